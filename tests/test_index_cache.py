"""The index and its cache: a re-open that reuses unchanged chunks (from the cache, after a save, or from parallel
workers) gives exactly what a cold parse gives, and a damaged or mismatched cache is never read as valid."""

from __future__ import annotations

import hashlib
import os
import random
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from library import Library, parallel
from library import cache as cache_mod
from library.index import FileIndex, ReusableChunks, build_index

from .conftest import FIXTURES, REFERENCES

WORDS = ["oil", "water", "contrast", "tubal", "patency", "Müller", "{\\\"o}", "trial", "HSG", "dose"]


def _library_text(n: int, seed: int = 3) -> str:
    rng = random.Random(seed)
    parts = ["% generated test library\n", "@string{hr = {Human Reproduction}}\n",
             "@string{fs = {Fertility} # { and Sterility}}\n\n"]
    for i in range(n):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
        journal = rng.choice(["hr", "fs", "{Radiology}", '"Lancet"'])
        parts.append(f"@article{{k{i},\n  author = {{Smith, J. and Doe, Ann}},\n  title = {{{title}}},\n"
                     f"  journal = {journal},\n  year = {1980 + i % 40},\n  topics = {{Diagnostics > HSG}}\n}}\n\n")
        if i % 37 == 5:
            parts.append("% a comment between entries\n\n")
    parts.append(REFERENCES.read_text(encoding="utf-8"))
    parts.append((FIXTURES / "mixed.bib").read_text(encoding="utf-8"))
    return "".join(parts)


def _assert_same_index(warm: FileIndex, cold: FileIndex) -> None:
    assert warm.table.equals(cold.table)
    for name, value in cold.chunks.to_arrays().items():
        other = warm.chunks.to_arrays()[name]
        assert (other == value) if isinstance(value, bytes) else np.array_equal(other, value), name
    assert warm.macros == cold.macros and warm.macros_digest == cold.macros_digest
    assert np.array_equal(warm.entry_refs, cold.entry_refs)


def _assert_same_library(path: Path) -> None:
    warm = Library.load(path)
    cold = Library.load(path, use_cache=False)
    _assert_same_index(warm.file_index, cold.file_index)
    pd.testing.assert_frame_equal(warm.frame(), cold.frame())
    assert warm.problems() == cold.problems()
    assert [warm.get(k) for k in list(warm)] == [cold.get(k) for k in list(cold)]
    assert b"".join(warm.render()) == path.read_bytes()
    again = Library.load(path)  # from the cache written by the warm open
    _assert_same_index(again.file_index, cold.file_index)


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _move_chunk(path: Path, opening: str, swap: bool) -> None:
    """Remove the chunk that starts with ``opening``, or swap it with the next one: every chunk stays known."""
    data = path.read_bytes()
    start = data.index(b"\n" + opening.encode()) + 1
    end = data.index(b"\n@", start) + 1
    if not swap:
        path.write_bytes(data[:start] + data[end:])
        return
    after = data.index(b"\n@", end) + 1
    path.write_bytes(data[:start] + data[end:after] + data[start:end] + data[after:])


EDITS = [
    ("edit a title", "title = {oil", "title = {Edited elsewhere: oil"),
    ("insert an entry", "@article{k40,", "@article{inserted,\n  title = {New}\n}\n\n@article{k40,"),
    ("remove an entry", "@article{k41,", "@comment{k41,"),
    ("break an entry", "@article{k60,\n  author = {", "@article{k60,\n  author = {{"),
    ("repair it", "@article{k60,\n  author = {{", "@article{k60,\n  author = {"),
    ("duplicate a key", "@article{k70,", "@article{k71,"),
    ("shift every line", "% generated test library\n", "% generated test library\n% one more line\n"),
    ("change a macro", "@string{hr = {Human Reproduction}}", "@string{hr = {Hum. Reprod.}}"),
    ("add a macro", "@string{fs", "@string{lancet = {The Lancet}}\n@string{fs"),
    ("edit the last byte", "", ""),
    ("remove a whole chunk (nothing new to parse)", "@article{k90,", "@article{k90,"),
    ("swap two chunks (nothing new to parse)", "@article{k95,", "@article{k95,"),
]


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_reopen_after_edits_on_disk_equals_a_cold_open(tmp_path: Path) -> None:
    path = tmp_path / "lib.bib"
    path.write_text(_library_text(300), encoding="utf-8")
    Library.load(path)  # writes the cache
    for label, old, new in EDITS:
        if not old:
            path.write_bytes(path.read_bytes() + b"\n% trailing, no newline")
        elif label.startswith(("remove", "swap")):
            _move_chunk(path, old, swap=label.startswith("swap"))
        else:
            _replace(path, old, new)
        try:
            _assert_same_library(path)
        except AssertionError as exc:
            raise AssertionError(f"after '{label}': {exc}") from exc


def test_reopen_after_a_save_equals_a_cold_open(tmp_path: Path) -> None:
    path = tmp_path / "lib.bib"
    path.write_text(_library_text(200), encoding="utf-8")
    lib = Library.load(path)
    record = lib.get("k100")
    record.title = "Changed by the library"
    lib.update(record)
    lib.remove("k101")
    lib.save()
    cold = Library.load(path, use_cache=False)
    _assert_same_index(lib.file_index, cold.file_index)  # the index refreshed from the saved bytes
    pd.testing.assert_frame_equal(lib.frame(), cold.frame())
    _assert_same_library(path)


@pytest.mark.slow  # ~6 s: starts worker processes
def test_parallel_workers_give_the_serial_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _library_text(400).replace("@article{k60,\n  author = {", "@article{k60,\n  author = {{").encode()
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    known = parallel.parallel_known(data, "lib.bib", workers=2)
    assert known is not None
    _assert_same_index(build_index(data, "lib.bib", known), build_index(data, "lib.bib"))


def test_reused_rows_keep_their_chunks_blocks(tmp_path: Path) -> None:
    data = _library_text(50).encode()
    cold = build_index(data, "x")
    edited = data.replace(b"@article{k20,", b"@article{k20b,")
    warm = build_index(edited, "x", ReusableChunks.of(cold))
    fresh = build_index(edited, "x")
    assert warm.table.column("key").to_pylist() == fresh.table.column("key").to_pylist()
    for c in range(len(warm.chunks)):
        assert warm.blocks(c) == fresh.blocks(c)


# --- a damaged cache is ignored ---------------------------------------------------------------------------------
@pytest.fixture
def cached(tmp_path: Path) -> Path:
    path = tmp_path / "lib.bib"
    path.write_text(_library_text(120), encoding="utf-8")
    Library.load(path)
    assert cache_mod.load_cache(path) is not None
    return path


def _files(path: Path) -> tuple[Path, Path]:
    meta, rows = cache_mod.cache_files(path)
    assert rows is not None and rows.exists()
    return meta, rows


def _check_ignored_then_rewritten(path: Path) -> None:
    assert cache_mod.load_cache(path) is None
    _assert_same_library(path)  # loads (parsing again), rewrites the cache, and compares with a cold open
    assert cache_mod.load_cache(path) is not None


@pytest.mark.parametrize("which", [0, 1])
def test_a_flipped_byte_in_either_file_is_detected(cached: Path, which: int) -> None:
    target = _files(cached)[which]
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    target.write_bytes(bytes(raw))
    _check_ignored_then_rewritten(cached)


@pytest.mark.parametrize("which", [0, 1])
def test_a_truncated_file_is_detected(cached: Path, which: int) -> None:
    target = _files(cached)[which]
    target.write_bytes(target.read_bytes()[: target.stat().st_size * 2 // 3])
    _check_ignored_then_rewritten(cached)


def test_a_zeroed_page_is_detected(cached: Path) -> None:
    """What a crash after an unsynced write can leave: the right size, a block of zeros."""
    target = _files(cached)[1]
    raw = bytearray(target.read_bytes())
    raw[4096:8192] = bytes(4096)
    target.write_bytes(bytes(raw))
    _check_ignored_then_rewritten(cached)


def test_files_of_two_different_writes_do_not_pair(cached: Path) -> None:
    old_rows = _files(cached)[1].read_bytes()
    _replace(cached, "title = {", "title = {Edited: ", -1)
    Library.load(cached)  # most rows edited: writes both files again (the rows under a new name)
    _files(cached)[1].write_bytes(old_rows)  # as if another process's write landed in between
    _check_ignored_then_rewritten(cached)


def test_each_write_uses_a_new_rows_file_and_removes_the_old_one(cached: Path) -> None:
    first = _files(cached)[1]
    _replace(cached, "title = {", "title = {Edited: ", -1)
    Library.load(cached)
    second = _files(cached)[1]
    assert second != first and not first.exists()
    assert sorted(p.name for p in second.parent.iterdir()) == sorted([second.name, _files(cached)[0].name])


def test_missing_files_and_other_versions_are_ignored(cached: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    meta, rows = _files(cached)
    with monkeypatch.context() as patch:
        patch.setattr(cache_mod, "CACHE_VERSION", cache_mod.CACHE_VERSION + 1)
        assert cache_mod.load_cache(cached) is None
    assert cache_mod.load_cache(cached) is not None
    rows.unlink()
    _check_ignored_then_rewritten(cached)
    meta.unlink()
    _check_ignored_then_rewritten(cached)


def test_stale_temp_files_are_removed_and_fresh_ones_kept(cached: Path) -> None:
    meta, _ = _files(cached)
    stale = meta.parent / f".{meta.stem}.meta.abc123.tmp"
    fresh = meta.parent / f".{meta.stem}.meta.def456.tmp"
    stale.write_bytes(b"half a write")
    fresh.write_bytes(b"a write in progress")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    _replace(cached, "title = {", "title = {Edited: ")
    Library.load(cached)
    assert not stale.exists() and fresh.exists()


# --- after a few edits only the edited rows are written ----------------------------------------------------------
def _meta(path: Path) -> dict[str, object]:
    meta = cache_mod._read_meta(cache_mod.cache_files(path)[0])
    assert meta is not None
    return meta


def _cache_names(path: Path) -> list[str]:
    meta = cache_mod.cache_files(path)[0]
    return sorted(p.name for p in meta.parent.iterdir() if p.name.startswith(meta.stem))


@pytest.fixture
def large(tmp_path: Path) -> Path:
    """A library with enough rows that a few edited ones are under the share kept apart (1/50)."""
    path = tmp_path / "large.bib"
    path.write_text(_library_text(600), encoding="utf-8")
    Library.load(path)
    assert "delta_name" not in _meta(path)
    return path


def test_a_few_edits_write_only_their_rows(large: Path) -> None:
    meta, base = _files(large)
    base_bytes = base.read_bytes()
    _replace(large, "@article{k20,\n  author = {Smith", "@article{k20,\n  author = {Smyth")
    _replace(large, "@article{k400,\n  author = {Smith, J.", "@article{k400,\n  author = {Smith, J. and Roe, R.")
    _assert_same_library(large)  # the stitched rows are what a cold parse gives
    first = _meta(large)
    assert first["arrow_name"] == base.name and base.read_bytes() == base_bytes  # the big file is not rewritten
    assert first["delta_name"] != base.name and (meta.parent / str(first["delta_name"])).stat().st_size < len(
        base_bytes) / 10
    assert [int(kind) for kind, _, _ in first["runs"]] == [0, 1, 0, 1, 0]  # type: ignore[attr-defined]
    # an entry added, one removed: the second file is made again (with every row the first does not hold)
    _replace(large, "@article{k300,", "@article{k300x,")
    text = large.read_text(encoding="utf-8")
    start = text.index("@article{k500,")
    large.write_text(text[:start] + text[text.index("@article{k501,"):], encoding="utf-8")
    _assert_same_library(large)
    second = _meta(large)
    assert second["arrow_name"] == base.name and second["delta_name"] != first["delta_name"]
    assert _cache_names(large) == sorted([meta.name, base.name, str(second["delta_name"])])  # the old one gone


def test_rows_a_save_kept_are_not_written_again(large: Path) -> None:
    """Rows a save re-uses (only slugs stored) stay rows of the big file; an edited one goes to the small one."""
    lib = Library.load(large)
    keys = list(lib)[:300]
    lib.set_fields({k: {"slug": f"s-{i}"} for i, k in enumerate(keys)})
    record = lib.get(keys[5])
    record.title = "Changed in the same save"
    lib.update(record)
    lib.save()
    index = lib.file_index  # the saved bytes indexed in this process, rows reused where a save kept them
    assert index.origin is not None and int((index.origin.rows < 0).sum()) == 1
    cache_mod.save_cache(large, hashlib.sha1(large.read_bytes()).digest(), index)
    assert "delta_name" in _meta(large)
    loaded = cache_mod.load_cache(large)
    assert loaded is not None
    loaded[1].data = large.read_bytes()
    _assert_same_index(loaded[1], build_index(large.read_bytes(), str(large)))


def test_a_damaged_or_missing_second_file_is_detected(large: Path) -> None:
    _replace(large, "@article{k20,\n  author = {Smith", "@article{k20,\n  author = {Smyth")
    Library.load(large)
    meta = _meta(large)
    delta = cache_mod.cache_files(large)[0].parent / str(meta["delta_name"])
    raw = bytearray(delta.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    delta.write_bytes(bytes(raw))
    _check_ignored_then_rewritten(large)
    _replace(large, "@article{k30,\n  author = {Smith", "@article{k30,\n  author = {Smyth")
    Library.load(large)
    (cache_mod.cache_files(large)[0].parent / str(_meta(large)["delta_name"])).unlink()
    _check_ignored_then_rewritten(large)


def test_many_edits_write_all_rows_again(large: Path) -> None:
    _, base = _files(large)
    for n in range(40):  # one at a time, each opened: the rows kept apart add up past their share
        _replace(large, f"@article{{k{n * 13},\n  author = {{Smith", f"@article{{k{n * 13},\n  author = {{Smyth")
        Library.load(large)
        if "delta_name" not in _meta(large):
            break
    else:
        raise AssertionError("the second file grew without limit")
    assert not base.exists() and _meta(large)["rows"] == Library.load(large, use_cache=False).frame().shape[0]
    assert _cache_names(large) == sorted(p.name for p in _files(large))
    _assert_same_library(large)


def _race_cache(path: str, cache_dir: str, variants: list[str], seed: int, rounds: int) -> None:
    """One of two processes saving and loading the cache of one library path whose text keeps changing (each
    round: one of ``variants``); every index the cache gives must be exactly the cold index of the text whose
    digest it claims, whatever the other process wrote in between (else the process exits non-zero)."""
    os.environ["REFLIB_CACHE_DIR"] = cache_dir
    rng = random.Random(seed)
    texts = [Path(v).read_bytes() for v in variants]
    expected = {hashlib.sha1(t).digest(): build_index(t, path).table for t in texts}
    for _ in range(rounds):
        data = rng.choice(texts)
        cached = cache_mod.load_cache(Path(path))
        if cached is not None:
            digest, index = cached
            if digest not in expected or not index.table.equals(expected[digest]):
                raise SystemExit("the cache gave rows that are not those of the text it names")
        known = ReusableChunks.of(cached[1]) if cached is not None else None
        cache_mod.save_cache(Path(path), hashlib.sha1(data).digest(), build_index(data, path, known))


@pytest.mark.slow  # a few seconds: two worker processes
def test_two_processes_writing_the_cache_never_pair_wrong_files(tmp_path: Path) -> None:
    import multiprocessing

    base = _library_text(600)
    edits = [base, base.replace("title = {", "title = {Edited: ", 1),
             base.replace("@article{k300,", "@article{k300x,").replace("title = {", "title = {Two: ", 2),
             base.replace("@article{k40,", "@article{inserted,\n  title = {New}\n}\n\n@article{k40,"),
             base.replace("title = {", "title = {All edited: ")]  # most rows: a full write
    variants = []
    for i, text in enumerate(edits):
        variants.append(str(tmp_path / f"v{i}.bib"))
        Path(variants[-1]).write_text(text, encoding="utf-8")
    path = tmp_path / "lib.bib"
    path.write_text(base, encoding="utf-8")
    cache_dir = str(tmp_path / "cache")
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_race_cache, args=(str(path), cache_dir, variants, seed, 40)) for seed in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
