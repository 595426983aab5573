"""Saved merges (``<library>.merges.json``): a merge can be undone after it was saved, never over later edits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from library import Library
from library.cli import main
from library.dedupe import MergeError, merge_cluster
from library.dedupe.undo_log import (
    KEEP,
    JournalError,
    journal_path,
    load_journal,
    record_merges,
    save_journal,
    undo_saved_merge,
)
from library.fields import record_to_fields
from library.model import Relation

from .conftest import FIXTURES

LIBRARY = FIXTURES / "dedupe" / "library.bib"
REFERRER = """
@article{comment2018,
  author = {Smith, Ann},
  title = {Comment on the crossref copy},
  journal = {Fertility and Sterility},
  year = {2018},
  relations = {comment-on dreyer2017crossref}
}
"""


@pytest.fixture
def bib(tmp_path: Path) -> Path:
    target = tmp_path / "references.bib"
    shutil.copyfile(LIBRARY, target)
    return target


def _fields(lib: Library, key: str) -> dict[str, str]:
    return record_to_fields(lib.get(key))


def _merge_and_save(bib: Path) -> tuple[Library, dict[str, dict[str, str]]]:
    lib = Library.load(bib)
    before = {key: _fields(lib, key) for key in ("dreyer2017oil", "dreyer2017crossref", "comment2018") if key in lib}
    result = merge_cluster(lib, ["dreyer2017oil", "dreyer2017crossref"])
    lib.save()
    record_merges(lib, [result])
    return Library.load(bib), before


def test_saved_merge_is_undone_field_for_field(bib: Path) -> None:
    bib.write_text(bib.read_text() + REFERRER)
    lib, before = _merge_and_save(bib)
    assert "dreyer2017crossref" not in lib
    assert lib.get("comment2018").relations == [Relation("comment-on", "dreyer2017oil")]  # re-pointed by the merge
    [entry] = load_journal(journal_path(bib))
    assert entry.keeper == "dreyer2017oil" and entry.removed == ("dreyer2017crossref",)
    undo_saved_merge(lib, entry)
    lib.save()
    again = Library.load(bib)
    for key, fields in before.items():
        assert _fields(again, key) == fields, key  # the copies (and the re-pointed link) exactly as before
    assert again.get("comment2018").relations == [Relation("comment-on", "dreyer2017crossref")]


def test_undo_is_refused_after_an_edit_and_changes_nothing(bib: Path) -> None:
    lib, _ = _merge_and_save(bib)
    record = lib.get("dreyer2017oil")
    record.notes = "edited after the merge"
    lib.update(record)
    lib.save()
    lib = Library.load(bib)
    on_disk = bib.read_bytes()
    [entry] = load_journal(journal_path(bib))
    with pytest.raises(MergeError, match="edited after the merge"):
        undo_saved_merge(lib, entry)
    assert not lib.dirty and bib.read_bytes() == on_disk


def test_undo_is_refused_when_a_removed_key_exists_again(bib: Path) -> None:
    lib, _ = _merge_and_save(bib)
    [entry] = load_journal(journal_path(bib))
    lib.add(entry.before[1])  # the copy imported again by hand
    with pytest.raises(MergeError, match="exist"):
        undo_saved_merge(lib, entry)


def test_journal_keeps_the_newest_merges_and_names_a_bad_file(bib: Path) -> None:
    _merge_and_save(bib)
    [entry] = load_journal(journal_path(bib))
    save_journal([entry] * (KEEP + 5), journal_path(bib))
    assert len(load_journal(journal_path(bib))) == KEEP
    journal_path(bib).write_text("{not json")
    with pytest.raises(JournalError, match=r"references\.merges\.json"):
        load_journal(journal_path(bib))
    journal_path(bib).write_text(json.dumps({"format": "something else"}))
    with pytest.raises(JournalError, match="not a reflib merge journal"):
        load_journal(journal_path(bib))


def test_cli_apply_then_undo(bib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = Library.load(bib)
    before = {key: _fields(original, key) for key in original}
    main(["--bib", str(bib), "dedupe", "--apply"])
    out = capsys.readouterr().out
    assert "undo one with: reflib dedupe --undo KEY" in out
    assert len(load_journal(journal_path(bib))) == 2
    assert main(["--bib", str(bib), "dedupe", "--undo", "vanwelie2019ris"]) == 0  # named by the removed key
    assert "vanwelie2019ris restored" in capsys.readouterr().out
    lib = Library.load(bib)
    assert _fields(lib, "vanwelie2019ris") == before["vanwelie2019ris"]
    assert _fields(lib, "vanwelie2019foam") == before["vanwelie2019foam"]
    assert [e.keeper for e in load_journal(journal_path(bib))] == ["dreyer2017oil"]  # the other merge stays
    assert main(["--bib", str(bib), "dedupe", "--undo", "vanwelie2019ris"]) == 1  # nothing left to undo
    assert "no saved merge" in capsys.readouterr().err
    assert main(["--bib", str(bib), "dedupe", "--undo", "x", "--apply"]) == 2


def _order(bib: Path) -> list[str]:
    return [line.split("{", 1)[1].rstrip(",\n") for line in bib.read_text().splitlines() if line.startswith("@")]


def test_undone_copies_go_back_where_they_were(bib: Path) -> None:
    original = _order(bib)
    lib = Library.load(bib)
    results = [merge_cluster(lib, ["dreyer2017oil", "dreyer2017crossref"]),
               merge_cluster(lib, ["vanwelie2019ris", "vanwelie2019foam"])]
    lib.save()
    entries = record_merges(lib, results)
    assert entries[0].after == (("dreyer2017crossref", "dreyer2017oil"),)
    assert [dict(e.after) for e in load_journal(journal_path(bib))] == [dict(e.after) for e in entries]
    assert "dreyer2017crossref" not in _order(bib)
    lib = Library.load(bib)
    for entry in reversed(entries):
        undo_saved_merge(lib, entry)
    lib.save()
    assert _order(bib) == original  # not at the end of the file
    lib = Library.load(bib)
    assert lib.keys() == original


def test_undone_copy_goes_to_the_end_when_its_neighbour_is_gone(bib: Path) -> None:
    lib = Library.load(bib)
    result = merge_cluster(lib, ["dreyer2017oil", "dreyer2017crossref"])
    lib.save()
    [entry] = record_merges(lib, [result])
    journal = json.loads(journal_path(bib).read_text())
    journal["merges"][0]["after"] = {"dreyer2017crossref": "vanwelie2019foam"}
    journal_path(bib).write_text(json.dumps(journal))
    lib = Library.load(bib)
    lib.remove("vanwelie2019foam")
    lib.save()
    lib = Library.load(bib)
    [entry] = load_journal(journal_path(bib))
    undo_saved_merge(lib, entry)
    lib.save()
    assert _order(bib)[-1] == "dreyer2017crossref"
    del journal["merges"][0]["after"]  # a journal written before positions were kept
    journal_path(bib).write_text(json.dumps(journal))
    assert load_journal(journal_path(bib))[0].after == ()


def test_undoing_an_editors_merge_puts_the_pair_back_for_review(bib: Path) -> None:
    """An editor's "same study" is remembered as an accepted pair, which later runs merge again; undoing that merge
    withdraws it, so the pair is offered for review instead of being merged again (and left off the review list)."""
    from library.dedupe import decisions_path, load_decisions
    from library.services import apply_merges, undo_merge

    lib = Library.load(bib)
    decided = load_decisions(decisions_path(bib))
    (merge,) = apply_merges(lib, [["vanwelie2019foam", "vanwelie2019ris"]], decisions=decided)
    assert load_decisions(decisions_path(bib)).status("vanwelie2019foam", "vanwelie2019ris") == "accepted"
    undo_merge(Library.load(bib), merge.keeper)
    assert load_decisions(decisions_path(bib)).status("vanwelie2019foam", "vanwelie2019ris") == ""
