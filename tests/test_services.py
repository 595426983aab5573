"""The service layer the CLI and the dashboard share: merge -> undo log -> save -> decisions, undo by key, and
import previews that change nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.services import ImportOptions, import_file, preview_import, read_import
from library import Library
from library.dedupe import MergeError
from library.fields import record_to_fields
from library.services import (
    apply_merges,
    decisions_of,
    find_saved_merge,
    recent_merges,
    record_decision,
    undo_merge,
)

from .conftest import FIXTURES

LIBRARY = FIXTURES / "dedupe" / "library.bib"
PAIR = ["dreyer2017oil", "dreyer2017crossref"]


@pytest.fixture
def bib(tmp_path: Path) -> Path:
    target = tmp_path / "references.bib"
    shutil.copyfile(LIBRARY, target)
    return target


def test_apply_merges_saves_logs_and_records_the_decision_then_undo_by_key_restores(bib: Path) -> None:
    lib = Library.load(bib)
    before = {key: record_to_fields(lib.get(key)) for key in PAIR}
    decisions = decisions_of(lib)
    [merge] = apply_merges(lib, [PAIR], decisions=decisions)
    assert merge.keeper == "dreyer2017oil" and merge.removed == ("dreyer2017crossref",)
    saved = Library.load(bib)
    assert "dreyer2017crossref" not in saved
    assert [e.keeper for e in recent_merges(saved)] == ["dreyer2017oil"]
    assert decisions_of(saved).accepted  # the editor's "same study" is remembered
    entry, written = undo_merge(saved, "dreyer2017crossref")  # by a removed key, as `dedupe --undo KEY`
    assert written and entry.keeper == "dreyer2017oil"
    again = Library.load(bib)
    assert {key: record_to_fields(again.get(key)) for key in PAIR} == before
    assert recent_merges(again) == [] and find_saved_merge(again, "dreyer2017oil") is None


def test_a_merge_not_saved_is_not_logged_nor_decided(bib: Path) -> None:
    lib = Library.load(bib)
    decisions = decisions_of(lib)
    assert apply_merges(lib, [PAIR], save=lambda merges: False, decisions=decisions) == []
    assert recent_merges(lib) == [] and not decisions.accepted
    assert "dreyer2017crossref" in Library.load(bib)


def test_undo_of_an_unknown_key_is_refused(bib: Path) -> None:
    with pytest.raises(MergeError, match="no saved merge into or of 'nope'"):
        undo_merge(Library.load(bib), "nope")


def test_record_decision_saves_a_rejection(bib: Path) -> None:
    lib = Library.load(bib)
    record_decision(lib, decisions_of(lib), *PAIR, same=False)
    assert decisions_of(Library.load(bib)).rejected


def test_preview_changes_nothing_and_import_file_saves_through_the_callback(bib: Path) -> None:
    lib = Library.load(bib)
    size = len(lib)
    result = read_import(FIXTURES / "import" / "hsg.ris")
    options = ImportOptions(topics=["Diagnostics"])
    preview = preview_import(lib, result.records, "hsg.ris", options)
    assert preview.dry_run and not lib.dirty and len(lib) == size
    saved: list[int] = []
    report = import_file(lib, result.records, "hsg.ris", options, save=lambda r: saved.append(len(r.added)) or True)
    assert saved == [len(report.added)] and len(report.added) == len(preview.added)
    assert [m.key for m in report.merged] == [m.key for m in preview.merged]
