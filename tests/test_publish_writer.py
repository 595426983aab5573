"""The site writer waits for the writing mark to be durable before the first file of the site changes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from library.publish.output import STATE_DIR, SiteWriter, load_state, mark_writing


def test_the_wait_runs_once_before_the_first_change_and_not_for_unchanged_files(tmp_path: Path) -> None:
    same = b"<p>unchanged</p>"
    (tmp_path / "a.html").write_bytes(same)
    writer = SiteWriter(tmp_path, {"a.html": hashlib.sha1(same).hexdigest()})
    calls: list[str] = []
    writer.before_change = lambda: calls.append("wait")
    writer.write("a.html", same)  # the same bytes: nothing changes, no wait
    assert calls == [] and writer.unchanged == 1
    writer.write("b.html", "<p>new</p>")
    writer.write_page("library/c.html", "<p>page</p>", None)
    assert calls == ["wait"] and (tmp_path / "b.html").exists() and (tmp_path / "library/c.html").exists()


def test_mark_writing_leaves_the_mark_and_the_next_load_sees_an_interrupted_run(tmp_path: Path) -> None:
    wait = mark_writing(tmp_path)
    wait()
    wait()  # waiting again is harmless
    assert (tmp_path / STATE_DIR / "writing").exists()
    assert load_state(tmp_path).get("interrupted") is True
