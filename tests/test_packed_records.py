"""Packed records (issue 21: memory per record bounded): a packed record reads back equal, a RecordList behaves
as a list of copies, and a read file's records take a few hundred bytes each, not kilobytes."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.readers.bibtex import read_bibtex
from library import Library
from library.model import Author, EntryLink, Record, RecordList, Relation, Synopsis, pack_record, unpack_record

text = st.text(max_size=20)


@st.composite
def records(draw: st.DrawFn) -> Record:
    return Record(
        key=draw(text), entry_type=draw(st.sampled_from(["article", "misc", "book"])),
        authors=draw(st.lists(st.builds(Author, text, text, text, text), max_size=3)),
        title=draw(text), year=draw(st.none() | st.integers(0, 3000)), keywords=draw(st.lists(text, max_size=3)),
        topics=draw(st.lists(text, max_size=2)), relevance=draw(st.none() | st.integers(1, 5)),
        synopsis=Synopsis(draw(text), draw(text), draw(text)), retracted=draw(st.booleans()),
        relations=draw(st.lists(st.builds(Relation, text, text), max_size=2)),
        links=draw(st.lists(st.builds(EntryLink, text, text, st.none() | st.integers(1, 9)), max_size=2)),
        extra=draw(st.dictionaries(text, text, max_size=3)))


@given(records())
@settings(max_examples=100)
def test_a_packed_record_reads_back_equal(record: Record) -> None:
    assert unpack_record(pack_record(record)) == record
    assert record.copy() == record


def test_an_unpacked_record_is_a_copy() -> None:
    record = Record("k", topics=["a"], extra={"x": "1"}, synopsis=Synopsis("t"))
    packed = pack_record(record)
    record.topics.append("b")
    record.extra["y"] = "2"
    record.synopsis.tldr = "changed"
    first = unpack_record(packed)
    first.topics.append("c")
    assert unpack_record(packed) == Record("k", topics=["a"], extra={"x": "1"}, synopsis=Synopsis("t"))
    assert pack_record(Record("")) == ()  # every field at its default: nothing stored


def test_record_list_is_a_list_of_copies() -> None:
    items = RecordList([Record("a", title="A"), Record("b")])
    assert items == [Record("a", title="A"), Record("b")] and len(items) == 2
    items[0].title = "lost"  # an item is built on access: edit a copy, then assign it back
    assert items[0].title == "A"
    edited = items[0]
    edited.title = "kept"
    items[0] = edited
    items.append(Record("c"))
    assert [r.key for r in items] == ["a", "b", "c"] and items[0].title == "kept"
    assert [r.key for r in items.subset([2, 0])] == ["c", "a"] and [r.key for r in items[1:]] == ["b", "c"]
    del items[1]
    assert [r.key for r in items] == ["a", "c"] and items != [Record("a")]


@pytest.mark.slow
def test_a_read_file_takes_a_few_hundred_bytes_a_tiny_entry() -> None:
    data = "".join(f"@misc{{k{n}, title={{T{n}}}}}\n" for n in range(20_000)).encode()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = read_bibtex(data, "tiny.bib")
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(result.records) == 20_000 and result.records[19_999] == Record("k19999", "misc", title="T19999")
    assert held / 20_000 < 400, f"{held / 20_000:.0f} bytes a record (a list of Records took 2,300)"


@pytest.mark.slow
def test_a_save_of_much_new_text_reads_back(tmp_path: Path) -> None:
    """More than 16 MB of new entries are written piece by piece and the file read back (not held twice)."""
    lib = Library.create(tmp_path / "big.bib")
    for n in range(20):
        lib.add(Record(f"k{n}", "misc", title=f"T{n}", abstract=f"word{n} " * 150_000))
    assert lib.save()
    lib.add(Record("last", "misc", title="Last"))  # the saved bytes are the index of the next save
    assert lib.save()
    again = Library.load(tmp_path / "big.bib", use_cache=False)
    assert len(again) == 21 and again.get("k19").abstract == ("word19 " * 150_000).strip()
    assert again.get("last").title == "Last"
