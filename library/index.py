"""Index a .bib file's bytes into chunks, blocks and frame rows, reusing earlier work by chunk hash.

This is what makes a 100k-record library re-open fast: a chunk whose bytes hash the same as in the cache (or
as before a save) keeps its parsed blocks and its frame rows; only new or edited chunks are parsed again. The
chunk table is columnar (numpy arrays) and materializes :class:`ChunkInfo` objects only when asked, so opening
from the cache creates almost no Python objects.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .bibfile import Block, expand_value, parse_blocks
from .errors import BibFileError
from .fields import record_from_fields
from .frame import FRAME_COLUMNS, build_frame, record_row
from .model import Record

__all__ = ["ChunkInfo", "ChunkTable", "FileIndex", "Known", "build_index", "chunk_starts", "decode_chunk",
           "entry_record"]

DIGEST_SIZE = 20  # SHA-1


@dataclass(slots=True)
class ChunkInfo:
    start: int  # byte offsets in the file
    end: int
    digest: bytes
    line: int  # 0-based line of the chunk's first byte
    blocks: list[Block]
    row_start: int = 0  # first row of this chunk's entries in FileIndex.rows


_KINDS = ("entry", "string", "preamble", "comment", "malformed")


class ChunkTable:
    """The chunks of one file, stored as arrays; ``table[i]`` gives a (cached) ChunkInfo."""

    def __init__(self, arrays: dict[str, object] | None = None, infos: list[ChunkInfo] | None = None) -> None:
        if infos is not None:
            self._infos: list[ChunkInfo | None] = list(infos)
            self._arrays: dict[str, object] | None = None
            self._count = len(infos)
        else:
            assert arrays is not None
            self._arrays = arrays
            starts = arrays["starts"]
            assert isinstance(starts, np.ndarray)
            self._count = len(starts)
            self._infos = [None] * self._count
        self._lists: dict[str, list[Any]] | None = None

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i: int) -> ChunkInfo:
        info = self._infos[i]
        if info is None:
            info = self._materialize(int(i))
            self._infos[i] = info
        return info

    def __iter__(self) -> Iterator[ChunkInfo]:
        for i in range(self._count):
            yield self[i]

    def _columns(self) -> dict[str, list[Any]]:
        """The arrays as Python lists, converted once: indexing a list is far cheaper than a numpy scalar."""
        if self._lists is None:
            a = self._arrays
            assert a is not None
            self._lists = {name: (value.tolist() if isinstance(value, np.ndarray) else list(value))  # type: ignore[call-overload]
                           for name, value in a.items() if name not in ("digests", "string_fields")}
        return self._lists

    def _materialize(self, i: int) -> ChunkInfo:
        a = self._arrays
        assert a is not None
        c = self._columns()
        offsets, kind, bstart, bend, bline = c["block_offsets"], c["kind"], c["bstart"], c["bend"], c["bline"]
        keys, etypes, errors = c["key"], c["etype"], c["error"]
        fields: dict[int, list[tuple[str, str]]] = a["string_fields"]  # type: ignore[assignment]
        blocks = [
            Block(_KINDS[kind[j]], bstart[j], bend[j], bline[j], keys[j], etypes[j], list(fields.get(j, [])),
                  errors[j])
            for j in range(offsets[i], offsets[i + 1])
        ]
        digests: bytes = a["digests"]  # type: ignore[assignment]
        return ChunkInfo(c["starts"][i], c["ends"][i], digests[i * DIGEST_SIZE:(i + 1) * DIGEST_SIZE],
                         c["lines"][i], blocks, c["row_starts"][i])

    def digests(self) -> list[bytes]:
        if self._arrays is not None:
            blob: bytes = self._arrays["digests"]  # type: ignore[assignment]
            return [blob[i * DIGEST_SIZE:(i + 1) * DIGEST_SIZE] for i in range(self._count)]
        return [c.digest for c in self]

    def malformed(self) -> Iterator[tuple[int, Block]]:
        """(1-based file line, block) of every malformed block, without materializing other chunks."""
        if self._arrays is not None:
            kinds = self._arrays["kind"]
            assert isinstance(kinds, np.ndarray)
            offsets = self._arrays["block_offsets"]
            assert isinstance(offsets, np.ndarray)
            for j in np.flatnonzero(kinds == _KINDS.index("malformed")):
                c = int(np.searchsorted(offsets, j, side="right") - 1)
                chunk = self[c]
                block = chunk.blocks[int(j - offsets[c])]
                yield chunk.line + block.line + 1, block
            return
        for chunk in self:
            for block in chunk.blocks:
                if block.kind == "malformed":
                    yield chunk.line + block.line + 1, block

    def to_arrays(self) -> dict[str, object]:
        if self._arrays is not None and all(i is None for i in self._infos):
            return self._arrays
        chunks = list(self)
        blocks = [b for c in chunks for b in c.blocks]
        offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
        np.cumsum([len(c.blocks) for c in chunks], out=offsets[1:])
        return {
            "starts": np.array([c.start for c in chunks], dtype=np.int64),
            "ends": np.array([c.end for c in chunks], dtype=np.int64),
            "lines": np.array([c.line for c in chunks], dtype=np.int64),
            "row_starts": np.array([c.row_start for c in chunks], dtype=np.int64),
            "digests": b"".join(c.digest for c in chunks),
            "block_offsets": offsets,
            "kind": np.array([_KINDS.index(b.kind) for b in blocks], dtype=np.int8),
            "bstart": np.array([b.start for b in blocks], dtype=np.int64),
            "bend": np.array([b.end for b in blocks], dtype=np.int64),
            "bline": np.array([b.line for b in blocks], dtype=np.int64),
            "key": [b.key for b in blocks],
            "etype": [b.entry_type for b in blocks],
            "error": [b.error for b in blocks],
            "string_fields": {j: b.fields for j, b in enumerate(blocks) if b.kind == "string"},
        }


@dataclass(slots=True)
class FileIndex:
    data: bytes
    chunks: ChunkTable
    rows: pd.DataFrame  # one row per entry block (duplicate keys included), in file order
    entry_refs: np.ndarray  # row -> (chunk index, block index)
    macros: dict[str, str] = field(default_factory=dict)
    macros_digest: bytes = b""


@dataclass(slots=True)
class Known:
    """What an earlier index (the cache, or the library before a save) can lend: blocks and rows by digest."""

    rows: pd.DataFrame
    table: ChunkTable
    positions: dict[bytes, int]
    macros_digest: bytes = b""

    @classmethod
    def of(cls, index: FileIndex) -> Known:
        positions = {d: i for i, d in enumerate(index.chunks.digests())}
        return cls(index.rows, index.chunks, positions, index.macros_digest)


def chunk_starts(data: bytes) -> list[int]:
    """Offsets of chunk starts: 0 and every line beginning with '@'; ends with len(data)."""
    starts = [0]
    find = data.find
    pos = find(b"\n@")
    while pos != -1:
        starts.append(pos + 1)
        pos = find(b"\n@", pos + 1)
    starts.append(len(data))
    return starts


def _digest(view: memoryview | bytes) -> bytes:
    return hashlib.sha1(view, usedforsecurity=False).digest()


def decode_chunk(data: bytes, start: int, end: int, path: str) -> str:
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = data.count(b"\n", 0, start + exc.start) + 1
        raise BibFileError(f"{path}: not UTF-8 text (line {bad_line}, byte 0x{data[start + exc.start]:02x})") from exc


def entry_record(block: Block, macros: dict[str, str]) -> Record:
    values = {name.lower(): expand_value(raw, macros) for name, raw in block.fields}
    return record_from_fields(block.key, block.entry_type, values)


def _macros(chunks: list[ChunkInfo]) -> dict[str, str]:
    """@string definitions in file order (later ones may use earlier ones)."""
    macros: dict[str, str] = {}
    for chunk in chunks:
        for block in chunk.blocks:
            if block.kind == "string" and block.fields:
                name, raw = block.fields[0]
                macros[name.lower()] = expand_value(raw, macros)
    return macros


def _macros_digest(macros: dict[str, str]) -> bytes:
    return _digest(repr(sorted(macros.items())).encode())


def _parse_at(data: bytes, starts: list[int], i: int, path: str) -> tuple[list[Block], int]:
    """Parse chunk i; when it fails, retry merged with up to 8 following chunks. Returns (blocks, end chunk)."""
    text = decode_chunk(data, starts[i], starts[i + 1], path)
    blocks = parse_blocks(text)
    count = len(starts) - 1
    if any(b.kind == "malformed" for b in blocks):
        for j in range(i + 2, min(count, i + 9) + 1):
            merged_text = decode_chunk(data, starts[i], starts[j], path)
            merged = parse_blocks(merged_text)
            if not any(b.kind == "malformed" for b in merged):
                return merged, j
    return blocks, i + 1


def build_index(data: bytes, path: str, known: Known | None = None,
                progress: Callable[[int, int], None] | None = None) -> FileIndex:
    """Chunk, hash and parse ``data``; chunks whose digest is in ``known`` reuse their blocks and rows."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # building 100k small objects triggers useless collections
    try:
        return _build_index(data, path, known, progress)
    finally:
        if gc_was_enabled:
            gc.enable()


def _build_index(data: bytes, path: str, known: Known | None,
                 progress: Callable[[int, int], None] | None) -> FileIndex:
    starts = chunk_starts(data)
    view = memoryview(data)
    count = len(starts) - 1
    lent = known.positions if known is not None else {}
    chunks: list[ChunkInfo] = []
    reused: list[int | None] = []  # per chunk: index in known.table, or None when parsed now
    i = 0
    parsed = 0
    while i < count:
        digest = _digest(view[starts[i] : starts[i + 1]])
        hit = lent.get(digest)
        if hit is not None and known is not None:
            chunks.append(ChunkInfo(starts[i], starts[i + 1], digest, 0, known.table[hit].blocks))
            reused.append(hit)
            i += 1
            continue
        blocks, end = _parse_at(data, starts, i, path)
        if end != i + 1:
            digest = _digest(view[starts[i] : starts[end]])
        chunks.append(ChunkInfo(starts[i], starts[end], digest, 0, blocks))
        reused.append(None)
        i = end
        parsed += 1
        if progress is not None and parsed % 1000 == 0:
            progress(starts[i], len(data))
    if progress is not None:
        progress(len(data), len(data))
    line, previous = 0, 0
    for info in chunks:
        line += data.count(b"\n", previous, info.start)
        previous = info.start
        info.line = line
    for info, hit in zip(chunks, reused, strict=True):
        if hit is not None and any(b.kind == "string" and not b.fields for b in info.blocks):
            info.blocks = _parse_at(data, [info.start, info.end], 0, path)[0]
    macros = _macros([c for c in chunks if any(b.kind == "string" for b in c.blocks)])
    macros_digest = _macros_digest(macros)
    reuse_rows = known is not None and macros_digest == known.macros_digest
    new_rows: list[tuple[object, ...]] = []
    order: list[int] = []  # row -> position in known.rows, or -(1 + position in new_rows)
    refs: list[tuple[int, int]] = []
    for c, (info, hit) in enumerate(zip(chunks, reused, strict=True)):
        info.row_start = len(refs)
        entry_blocks = [b_i for b_i, b in enumerate(info.blocks) if b.kind == "entry"]
        if hit is not None and reuse_rows and known is not None:
            first = known.table[hit].row_start
            order.extend(range(first, first + len(entry_blocks)))
        else:
            if hit is not None and any(not info.blocks[b].fields for b in entry_blocks):
                info.blocks = _parse_at(data, [info.start, info.end], 0, path)[0]
            for b_i in entry_blocks:
                order.append(-1 - len(new_rows))
                new_rows.append(record_row(entry_record(info.blocks[b_i], macros)))
        refs.extend((c, b_i) for b_i in entry_blocks)
    rows = _assemble(known.rows if known is not None and reuse_rows else None, new_rows, order)
    entry_refs = np.array(refs, dtype=np.int64).reshape(-1, 2)
    if len(rows):
        rows["line"] = pd.array(
            [chunks[c].line + chunks[c].blocks[b].line + 1 for c, b in refs], dtype="Int64")
    return FileIndex(data, ChunkTable(infos=chunks), rows, entry_refs, macros, macros_digest)


def _assemble(old: pd.DataFrame | None, new_rows: list[tuple[object, ...]], order: list[int]) -> pd.DataFrame:
    fresh = build_frame(new_rows)
    if old is None or not any(p >= 0 for p in order):
        return fresh
    base = len(old)
    positions = np.array([p if p >= 0 else base + (-1 - p) for p in order], dtype=np.int64)
    combined = pd.concat([old, fresh], ignore_index=True) if new_rows else old
    breaks = np.flatnonzero(np.diff(positions) != 1) + 1
    if len(breaks) < 64:  # a few edits: stitch slices (Arrow chunks, no copy) instead of copying every column
        runs = np.split(positions, breaks)
        pieces = [combined.iloc[int(run[0]) : int(run[-1]) + 1] for run in runs if len(run)]
        frame = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0].reset_index(drop=True)
        return frame[list(FRAME_COLUMNS)]
    return combined.take(positions).reset_index(drop=True)[list(FRAME_COLUMNS)]
