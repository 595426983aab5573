"""``Library.set_fields``: bookkeeping fields stored without re-rendering entries, the same bytes as storing the
records, and an index after the save that is the one a fresh load builds."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from library import Library, UnknownKeyError
from library.bibfile import parse_chunk, render_entry
from library.errors import InvalidRecordError
from library.fields import FIELD_ORDER
from library.index import decode_chunk

from .conftest import FIXTURES, REFERENCES, corpus_files, needs_shared

SEED = Path(__file__).resolve().parents[2] / "shared" / "data" / "seed-studies.bib"


def _fields_for(keys: list[str]) -> dict[str, dict[str, str]]:
    return {key: ({"slug": f"study-{i}"} if i % 3 else {"slug": f"study-{i}", "slug_old": f"old-{i} older-{i}"})
            for i, key in enumerate(keys)}


def _outcome(path: Path, values: dict[str, dict[str, str]], fast: bool) -> tuple[str | None, bytes, Library]:
    lib = Library.load(path, use_cache=False)
    try:
        if fast:
            lib.set_fields(values)
        else:
            records = []
            for key, fields in values.items():
                record = lib.get(key, keep=False)
                record.extra.update(fields)
                records.append(record)
            lib.update_many(records, stamp=False)
    except (InvalidRecordError, UnknownKeyError, ValueError) as exc:
        return type(exc).__name__, path.read_bytes(), lib
    lib.save()
    return None, path.read_bytes(), lib


def _assert_index_fresh(lib: Library) -> None:
    """The library's index after its save is the one a fresh parse of the file gives."""
    fresh = Library.load(lib.path, use_cache=False)
    assert lib.frame().equals(fresh.frame())
    assert lib.entry_digests() == fresh.entry_digests()
    ours, theirs = lib.file_index, fresh.file_index
    for name in ("bounds", "newlines", "block_offsets", "kinds", "starts", "ends", "lines"):
        assert np.array_equal(getattr(ours.chunks, name), getattr(theirs.chunks, name)), name
    assert ours.chunks.digests == theirs.chunks.digests
    for c in range(len(ours.chunks)):
        assert ours.blocks(c) == parse_chunk(decode_chunk(ours.data, *ours.span(c), "x"))
    for key in lib:
        assert lib.get(key) == fresh.get(key)


def _compare(source: bytes, tmp_path: Path, canonical: bool = False) -> None:
    a, b = tmp_path / "a.bib", tmp_path / "b.bib"
    a.write_bytes(source)
    if canonical:  # every entry written once in the store's layout (as after any edit of it)
        lib = Library.load(a, use_cache=False)
        try:
            lib.update_many([lib.get(k, keep=False) for k in lib], stamp=False)
        except InvalidRecordError:  # a file with a field name the store does not write: as given
            pass
        else:
            lib.save()
    b.write_bytes(a.read_bytes())
    values = _fields_for(Library.load(a, use_cache=False).keys())
    error_a, data_a, lib_a = _outcome(a, values, fast=True)
    error_b, data_b, _ = _outcome(b, values, fast=False)
    assert error_a == error_b
    assert data_a == data_b
    if error_a is None:
        _assert_index_fresh(lib_a)


@pytest.mark.parametrize("canonical", [False, True], ids=["as-given", "store-layout"])
@pytest.mark.parametrize("path", [REFERENCES, FIXTURES / "mixed.bib", FIXTURES / "import" / "hsg.bib",
                                  FIXTURES / "evidence" / "problems.bib", FIXTURES / "dedupe" / "library.bib"],
                         ids=lambda p: p.name)
def test_same_bytes_as_storing_the_records(path, canonical, tmp_path):
    _compare(path.read_bytes(), tmp_path, canonical)


# values that a save may decode, encode, split, re-join or drop: each must either be kept by both ways or make
# set_fields render the entry like update_many does
_PIECES = ["a", "Bc", "é", "Ł", "\\&", "&", "--", "-", " ", "  ", "{X}", "{\\\"o}", ",", ";", "; ", " and ", " AND ",
           "others", "0", "07", "12", "２", "#", "x#3", "x#0", "erratum-of k", "~", "$", "_", "%", "^", "\u00a0",
           "\u2009", "yes", "true", "Smith, J", "Doe, ", "\\emph{y}", "@", '"', "!", "2020"]
_NAMES = [*FIELD_ORDER, "slug", "slug_old", "eprint", "file", "series", "origtitle"]


def _value(rng: random.Random) -> str:
    return "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 5)))


def _entries(seed: int, count: int) -> str:
    rng = random.Random(seed)
    out = ["@string{jn = {Journal of Tests}}\n\n"]
    for i in range(count):
        names = rng.sample(_NAMES, rng.randint(1, 7))
        if rng.random() < 0.05:
            names.append(names[0].upper())  # the same field twice, in another case
        fields = []
        for name in names:
            style = rng.random()
            value = _value(rng)
            if style < 0.75:
                raw = "{" + value + "}"
            elif style < 0.85:
                raw = '"' + value.replace('"', "") + '"'
            elif style < 0.92:
                raw = str(rng.randint(0, 3000))
            else:
                raw = "jn"
            fields.append((name, raw))
        kind = rng.choice(["article", "article", "book", "Article", "misc"])
        text = render_entry(kind, f"k{i}", fields)
        if rng.random() < 0.1:  # another layout
            text = text.replace("  ", "\t", 1)
        out.append(text + "\n\n")
        if rng.random() < 0.05:
            out.append("a comment between entries\n\n")
    return "".join(out)


@pytest.mark.parametrize("seed", range(6))
def test_generated_entries_same_bytes(seed, tmp_path):
    _compare(_entries(seed, 120).encode(), tmp_path)


def test_appended_when_the_entry_is_in_the_store_layout(tmp_path):
    path = tmp_path / "lib.bib"
    path.write_text("% head\n\n" + render_entry("article", "k1", [("author", "{Smith, Ann and Doe, Bob}"),
                                                                 ("title", "{Oil \\& water}"), ("year", "{2017}")])
                    + "\n\n@misc{k2,\n title = {Odd layout}\n}\n", encoding="utf-8")
    lib = Library.load(path)
    lib.set_fields({"k1": {"slug": "oil-water"}, "k2": {"slug": "odd-layout"}})
    lib.save()
    text = path.read_text(encoding="utf-8")
    assert ("  year         = {2017},\n  slug         = {oil-water}\n}\n\n@misc{k2,\n"
            "  title        = {Odd layout},\n  slug         = {odd-layout}\n}\n") in text
    _assert_index_fresh(lib)


def test_pending_fields_behave_like_an_update(tmp_path):
    path = tmp_path / "lib.bib"
    path.write_bytes(REFERENCES.read_bytes())
    lib = Library.load(path)
    first, second, third = lib.keys()[:3]
    before = lib.entry_digests()
    assert lib.set_fields({first: {"slug": "one"}, second: {"slug": "two"}, third: {}}) == 2
    assert lib.dirty
    assert lib.get(first).extra["slug"] == "one"
    assert lib.get(first, keep=False).extra["slug"] == "one"
    assert first not in lib.entry_digests() and third in lib.entry_digests()
    assert lib.frame().equals(Library.load(path).frame())  # bookkeeping fields are in no frame column
    record = lib.get(second)
    record.title = "Edited"
    lib.update(record)  # the record given wins (it holds the field it was read with)
    lib.revert(first)
    assert "slug" not in lib.get(first).extra
    lib.set_fields({first: {"slug": "uno"}})
    lib.set_fields({first: {"slug_old": "one"}})
    lib.set_fields({second: {"slug_old": "deux"}})  # an edited record: set on it
    lib.save()
    again = Library.load(path, use_cache=False)
    assert again.get(first).extra["slug"] == "uno" and again.get(first).extra["slug_old"] == "one"
    assert again.get(second).title == "Edited" and again.get(second).extra["slug"] == "two"
    assert again.get(second).extra["slug_old"] == "deux"
    assert {k: v for k, v in before.items() if k not in (first, second)} == {
        k: v for k, v in again.entry_digests().items() if k not in (first, second)}
    lib.set_fields({third: {"slug": "three"}})
    lib.discard_changes()
    assert not lib.dirty and "slug" not in lib.get(third).extra


def test_refusals(tmp_path):
    path = tmp_path / "lib.bib"
    path.write_text("@article{good,\n  title        = {A}\n}\n\n@9lives{bad,\n  title        = {B}\n}\n",
                    encoding="utf-8")
    lib = Library.load(path)
    with pytest.raises(ValueError):
        lib.set_fields({"good": {"title": "Other"}})  # only bookkeeping fields
    with pytest.raises(UnknownKeyError):
        lib.set_fields({"missing": {"slug": "x"}})
    with pytest.raises(InvalidRecordError):
        lib.set_fields({"bad": {"slug": "x"}})  # as update_many: the entry type does not read back
    lib.remove("good")
    with pytest.raises(UnknownKeyError):
        lib.set_fields({"good": {"slug": "x"}})


@needs_shared
@pytest.mark.slow
@pytest.mark.parametrize("canonical", [False, True], ids=["as-given", "store-layout"])
def test_corpus_same_bytes(canonical, tmp_path):
    for path in corpus_files(".bib"):
        if path.stat().st_size > 2_000_000:
            continue
        try:
            Library.load(path, use_cache=False)
        except Exception:  # files the store refuses are not this test's subject
            continue
        _compare(path.read_bytes(), tmp_path, canonical)


def test_seed_library_same_bytes(tmp_path):
    if not SEED.is_file():
        pytest.skip("../shared/data/seed-studies.bib is not present")
    _compare(SEED.read_bytes(), tmp_path)
    _compare(SEED.read_bytes(), tmp_path, canonical=True)
