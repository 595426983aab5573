"""The screening page through AppTest: one record at a time, include / exclude / maybe / undo, PRISMA."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard_pages.screening import highlight
from library import Library
from library.model import Author, Record
from library.screen.inbox import Inbox, inbox_path

from .conftest import ROOT

XSS = "<img src=x onerror=alert(1)>"


def _records() -> list[Record]:
    return [Record(key="", title=f"{XSS} hysterosalpingography trial {n}" if n == 0 else f"Screening study {n} of tubal "
                   f"patency and contrast media {n * 7919}", authors=[Author(family=f"Doe{n}", given="J")],
                   year=2020, journal="J Test", volume=str(n), pages=f"{n}--{n + 3}", pmid=str(900000 + n),
                   abstract=f"Oil contrast and pregnancy after hysterosalpingography, cohort {n}.")
            for n in range(5)]


@pytest.fixture
def screening(references_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REFLIB_BIB", str(references_copy))
    monkeypatch.setenv("REFLIB_EDITOR", "1")
    monkeypatch.setenv("REFLIB_REVIEWER", "ann")
    with Inbox.open(inbox_path(references_copy)) as inbox:
        inbox.add(_records(), source="hsg", topics=["Diagnostics > HSG"])
    return references_copy


def _app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["nav_view"] = "screening"
    return at.run()


def test_highlight_escapes_and_bolds():
    out = highlight("Oil *contrast* <b>x</b> oil", ["oil", "contrast medium"])
    assert out.count("**Oil**") == 1 and "**oil**" in out and "\\*contrast\\*" in out and "<b>" not in out
    # the words around a highlighted one keep their spaces ("minor trauma" read "**minor****trauma**")
    out = highlight("fracture due to minor trauma is reported", ["minor", "trauma"])
    assert out == "fracture due to **minor** **trauma** is reported"


def test_screen_include_exclude_maybe_undo(screening: Path):
    keys_before = set(Library.load(screening).keys())
    at = _app()
    assert not at.exception, [e.value for e in at.exception]
    assert "0 of 5 screened" in at.get("progress")[0].proto.text
    first = at.markdown[0].value if at.markdown else ""
    shown = "".join(m.value for m in at.markdown)
    assert "\\<img" in shown and not re.search(r"(?<!\\)<img", shown)  # escaped: shown as text, never HTML
    at.button(key="screen_include").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with Inbox.open(inbox_path(screening)) as inbox:
        (included,) = inbox.items(("included",))
        assert included.library_key
    lib = Library.load(screening)
    new = set(lib.keys()) - keys_before
    assert new == {included.library_key} and "Diagnostics > HSG" in lib.get(included.library_key).topics
    at.selectbox(key="screen_reason").set_value("wrong design").run()
    at.button(key="screen_exclude").click().run()
    at.button(key="screen_maybe").click().run()
    with Inbox.open(inbox_path(screening)) as inbox:
        assert inbox.count(("excluded",)) == 1 and inbox.count(("maybe",)) == 1
        assert inbox.exclusions()[0][2] == "wrong design"
    at.button(key="screen_undo").click().run()
    with Inbox.open(inbox_path(screening)) as inbox:
        assert inbox.count(("maybe",)) == 0 and inbox.count(("open",)) == 3
    assert first  # a record was shown
    assert not at.exception
    downloads = {b.proto.label for b in at.get("download_button")}
    assert {"Download SVG", "Download PNG"} <= downloads  # the PRISMA flow in both formats


def test_two_reviewer_mode_shows_conflicts_and_agreement(screening: Path, monkeypatch: pytest.MonkeyPatch):
    """Issue 18: in two-reviewer mode the page shows the records in conflict and each pair's Cohen's kappa
    (only `reflib screen stats` did)."""
    from ingest.screening import ScreeningConfig, load_config, save_config

    save_config(screening, ScreeningConfig(load_config(screening).reasons, reviewers=2))
    with Inbox.open(inbox_path(screening)) as inbox:
        inbox.set_reviewers(2)
        ids = [item.id for item in inbox.items()]
        for n, record_id in enumerate(ids[:4]):
            inbox.decide(record_id, "include", "ann")
            inbox.decide(record_id, "include" if n < 2 else "exclude", "bob", "" if n < 2 else "wrong design")
    monkeypatch.setenv("REFLIB_REVIEWER", "cy")
    at = _app()
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(c.value for c in at.caption).replace("\\", "")  # the markdown escapes
    assert "2 record(s) in conflict" in captions
    assert "ann / bob: Cohen's kappa 0.0 over 4 record(s), same decision on 50%" in captions
