"""The Duplicates page at scale through AppTest: one scan per library version, no Record per entry, paged lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard_pages.duplicates import CLUSTERS_PER_PAGE, REVIEWS_PER_PAGE, page_range
from library import Library
from library.dedupe import Decisions, decisions_path, save_decisions
from library.dedupe import find as find_module

from .test_dashboard import DUPLICATES, no_exception, run_dashboard


@pytest.fixture
def editor(references_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REFLIB_BIB", str(references_copy))
    monkeypatch.setenv("REFLIB_EDITOR", "1")
    return references_copy


def _page(**query: str) -> AppTest:
    return no_exception(run_dashboard(view="duplicates", **query))


def _texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def _keys(at: AppTest, prefix: str) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith(prefix)]


def _with_copies(path: Path, copies: int, near: int) -> None:
    """``copies`` records twice (sure duplicates) and ``near`` records again with another volume and no
    identifiers (pairs to review)."""
    lib = Library.load(path)
    records = list(lib.records())
    for record in records[:copies]:
        copy = record.copy()
        copy.key = record.key + "copy"
        lib.add(copy)
    for record in records[copies - near:copies]:
        copy = record.copy()
        copy.key, copy.doi, copy.pmid, copy.pmcid = record.key + "near", "", "", ""
        copy.volume = str(int(record.volume) + 1) if record.volume.isdigit() else "999"
        lib.add(copy)
    lib.save()


def test_page_range_is_clamped_to_the_pages_there_are() -> None:
    assert page_range(45, 20, 1) == range(0, 20)
    assert page_range(45, 20, 3) == range(40, 45)
    assert page_range(45, 20, 4) == range(40, 45)  # a page that merges emptied: the last one
    assert page_range(45, 20, 0) == range(0, 20)
    assert page_range(0, 20, 2) == range(0, 0)


def test_each_list_shows_one_page_and_the_next_page_merges_its_own_cluster(editor: Path) -> None:
    _with_copies(editor, CLUSTERS_PER_PAGE + 1, REVIEWS_PER_PAGE + 2)
    at = _page()
    texts = _texts(at)
    assert f"Sure duplicates ({CLUSTERS_PER_PAGE + 1})" in texts
    (reviews,) = re.findall(r"### To review \((\d+)\)", texts)  # the headings count every finding
    assert int(reviews) > REVIEWS_PER_PAGE
    assert _keys(at, "dup-cluster-") == [f"dup-cluster-{n}" for n in range(CLUSTERS_PER_PAGE)]
    assert _keys(at, "dup-merge-") == [f"dup-merge-{n}" for n in range(REVIEWS_PER_PAGE)]
    assert f"Showing 1–{CLUSTERS_PER_PAGE} of {CLUSTERS_PER_PAGE + 1}." in texts

    at.pagination(key="dup-cluster-page").set_value(2).run()
    no_exception(at)
    assert _keys(at, "dup-cluster-") == [f"dup-cluster-{CLUSTERS_PER_PAGE}"]
    assert _keys(at, "dup-merge-") == [f"dup-merge-{n}" for n in range(REVIEWS_PER_PAGE)]  # its own pages
    (line,) = [m.value for m in at.markdown if m.value.startswith("**") and "why:" in m.value]
    keys = line.split("**")[1].replace("\\", "").split(", ")
    at.button(key=f"dup-cluster-{CLUSTERS_PER_PAGE}").click().run()
    no_exception(at)
    merged = at.success[0].value.replace("\\", "")
    assert merged.startswith("Merged ") and all(key in merged for key in keys)
    assert sum(f"@article{{{key}," in editor.read_text() for key in keys) == 1
    # the second page is gone: the first one is shown, with every cluster still to merge on it
    assert f"Sure duplicates ({CLUSTERS_PER_PAGE})" in _texts(at)
    assert _keys(at, "dup-cluster-") == [f"dup-cluster-{n}" for n in range(CLUSTERS_PER_PAGE)]
    assert not at.get("pagination") or all(p.key != "dup-cluster-page" for p in at.pagination)


def test_the_scan_runs_once_per_library_version_and_reads_no_record_it_does_not_show(
        editor: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    editor.write_text(editor.read_text() + DUPLICATES)
    scans: list[int] = []
    build_table = find_module.build_table

    def counted_build_table(records: object) -> object:
        scans.append(1)
        return build_table(records)  # type: ignore[arg-type]

    read: list[str] = []
    get = Library.get

    def counted_get(self: Library, key: str, *, keep: bool = True) -> object:
        read.append(key)
        return get(self, key, keep=keep)

    monkeypatch.setattr(find_module, "build_table", counted_build_table)
    monkeypatch.setattr(Library, "get", counted_get)
    at = _page()
    assert "Sure duplicates (1)" in _texts(at) and "To review (1)" in _texts(at)
    assert len(scans) == 1
    # the records of the shown cluster and pair only, not one per entry of the library (38 here)
    assert len(set(read)) <= 4, sorted(set(read))
    at.run()
    no_exception(at)
    _page()  # another session on the same file version
    assert len(scans) == 1
    at.button(key="dup-reject-0").click().run()  # a new decision: scanned again
    no_exception(at)
    assert len(scans) == 2 and "Sure duplicates (1)" in _texts(at) and "To review" not in _texts(at)


def test_a_decision_flipped_outside_the_page_is_seen(editor: Path) -> None:
    """The scan's key is the decisions' content, not their number: accepted -> rejected keeps the count."""
    editor.write_text(editor.read_text() + DUPLICATES)
    at = _page()
    assert "To review (1)" in _texts(at)
    review_keys = [b.label.replace("Open ", "").replace("\\", "") for b in at.button
                   if b.key and b.key.startswith("dup-open-")]
    decided = Decisions()
    decided.accept(*review_keys)  # as `reflib dedupe` run by another editor would record it
    save_decisions(decided, decisions_path(editor))
    at.run()
    no_exception(at)
    assert "Sure duplicates (2)" in _texts(at) and "To review" not in _texts(at)
    decided.reject(*review_keys)
    save_decisions(decided, decisions_path(editor))
    at.run()
    no_exception(at)
    assert "Sure duplicates (1)" in _texts(at) and "To review" not in _texts(at)
