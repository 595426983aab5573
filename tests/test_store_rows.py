"""A save that changes only fields no frame column reads (``reflib publish`` storing slugs) keeps the entries'
frame rows instead of parsing the saved entries into records again; the index after such a save must equal the
index built from the saved bytes from scratch, with and without other edits in the same save."""

from __future__ import annotations

from pathlib import Path

import pytest

import library.index
from benchmarks.synth import write_library
from library import Library
from library.frame import FRAME_FREE_FIELDS, record_row
from library.index import build_index

from .conftest import REFERENCES


def _fresh_table(bib: Path):  # type: ignore[no-untyped-def]
    return build_index(bib.read_bytes(), str(bib)).table


def test_frame_free_fields_change_no_row() -> None:
    for record in Library.load(REFERENCES, use_cache=False).records():
        before = record_row(record)
        for name in FRAME_FREE_FIELDS:
            record.extra[name] = "some-value-" + name
        assert record_row(record) == before


@pytest.mark.parametrize("source", ["bundled", "synthetic"])
def test_index_after_a_slug_save_equals_a_fresh_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      source: str) -> None:
    bib = tmp_path / "references.bib"
    if source == "bundled":
        bib.write_text(REFERENCES.read_text(encoding="utf-8"), encoding="utf-8")
    else:
        write_library(bib, 300, seed=5)
    lib = Library.load(bib, use_cache=False)
    records = [lib.get(key, keep=False) for key in lib]
    for i, record in enumerate(records):
        record.extra["slug"] = f"study-{i}"
        if i % 3 == 0:
            record.extra["slug_old"] = f"old-{i}"
    edited = records[len(records) // 2]
    edited.title = "An edited title: parsed again"  # a frame column: this entry's row is built anew
    lib.update_many(records, stamp=False)
    built = []
    original = library.index.entry_record

    def counting(block, macros):  # type: ignore[no-untyped-def]
        built.append(block.key)
        return original(block, macros)

    monkeypatch.setattr(library.index, "entry_record", counting)
    lib.save()
    table = lib.file_index.table
    assert built == [edited.key]  # every other saved entry kept its row
    monkeypatch.setattr(library.index, "entry_record", original)
    fresh = _fresh_table(bib)
    assert table.equals(fresh)
    assert lib.frame().equals(Library.load(bib, use_cache=False).frame())
    assert lib.get(edited.key).title == "An edited title: parsed again"
    assert lib.get(records[0].key).extra["slug"] == "study-0"
