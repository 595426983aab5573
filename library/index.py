"""Index a .bib file's bytes into chunks, blocks and frame rows, reusing earlier work by chunk hash.

A *chunk* runs from a line that starts with ``@`` to the next one (see :func:`chunk_starts`); its blocks are a pure
function of its bytes, so a chunk whose SHA-1 is in an earlier index (the cache, or the library before a save)
keeps that index's blocks and frame rows, and only new or edited chunks are parsed. Everything is columnar: the
chunk table is a handful of numpy arrays and the frame rows an Arrow table, so re-using 100k unchanged chunks is
a few array gathers, not 100k Python objects. Parsed :class:`Block` objects (with their fields) exist only for the
chunks parsed now, and for chunks asked for later (:meth:`FileIndex.blocks` parses them again, cheaply).
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from .bibfile import Block, expand_value, parse_chunk
from .errors import BibFileError
from .fields import plain_values, record_from_fields
from .frame import record_row, rows_to_table, table_to_frame
from .model import Record

__all__ = ["ChunkTable", "FileIndex", "ReusableChunks", "RowOrigin", "build_index", "chunk_starts", "decode_chunk",
           "entry_record"]

DIGEST_SIZE = 20  # SHA-1
KINDS = ("entry", "string", "preamble", "comment", "malformed")
ENTRY, STRING, MALFORMED = KINDS.index("entry"), KINDS.index("string"), KINDS.index("malformed")
_MAX_RUNS = 64  # a re-used frame is stitched from at most this many slices, else copied with one take
_SCAN_BLOCK = 1 << 22


@dataclass(slots=True)
class ChunkTable:
    """The chunks of one file and their blocks, as arrays (block offsets and lines are relative to the chunk)."""

    bounds: np.ndarray  # int64[C + 1]: chunk i is data[bounds[i]:bounds[i + 1]]
    digests: bytes  # C * DIGEST_SIZE: SHA-1 of each chunk's bytes
    newlines: np.ndarray  # int64[C]: line breaks inside each chunk
    block_offsets: np.ndarray  # int64[C + 1]: the blocks of chunk i are block rows [bo[i], bo[i + 1])
    kinds: np.ndarray  # int8[B]: index in KINDS
    starts: np.ndarray  # int64[B]
    ends: np.ndarray  # int64[B]
    lines: np.ndarray  # int64[B]: 0-based line of the block's first character within its chunk

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def chunk_lines(self) -> np.ndarray:
        """0-based file line of each chunk's first byte."""
        out = np.zeros(len(self), dtype=np.int64)
        np.cumsum(self.newlines[:-1], out=out[1:])
        return out

    def chunk_of_blocks(self) -> np.ndarray:
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.block_offsets))

    def row_offsets(self) -> np.ndarray:
        """int64[C + 1]: the frame rows of chunk i are [ro[i], ro[i + 1]) (one row per entry block)."""
        entries = np.zeros(len(self.kinds) + 1, dtype=np.int64)
        np.cumsum(self.kinds == ENTRY, out=entries[1:])
        return entries[self.block_offsets]

    def digest(self, i: int) -> bytes:
        return self.digests[i * DIGEST_SIZE : (i + 1) * DIGEST_SIZE]

    def to_arrays(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]

    @classmethod
    def from_arrays(cls, arrays: dict[str, object]) -> ChunkTable:
        table = cls(**arrays)  # type: ignore[arg-type]
        c, b = len(table.bounds) - 1, len(table.kinds)
        if (c < 0 or len(table.digests) != c * DIGEST_SIZE or len(table.newlines) != c
                or len(table.block_offsets) != c + 1 or int(table.block_offsets[-1]) != b
                or not len(table.starts) == len(table.ends) == len(table.lines) == b):
            raise ValueError("inconsistent chunk table")
        return table

    @classmethod
    def empty(cls) -> ChunkTable:
        none = np.zeros(0, dtype=np.int64)
        return cls(np.zeros(1, dtype=np.int64), b"", none, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int8),
                   none, none, none)


class FileIndex:
    """A file's bytes, chunk table and frame rows (an Arrow table, one row per entry block, in file order)."""

    def __init__(self, data: bytes, path: str, chunks: ChunkTable, table: pa.Table, macros: dict[str, str],
                 macros_digest: bytes, blocks: dict[int, list[Block]] | None = None,
                 origin: RowOrigin | None = None) -> None:
        self.data = data
        self.path = path
        self.chunks = chunks
        self.table = table
        self.macros = macros
        self.macros_digest = macros_digest
        self.origin = origin  # where the rows are in the cache's rows file (library.cache), when known
        self._blocks: dict[int, list[Block]] = blocks if blocks is not None else {}
        self._rows: pd.DataFrame | None = None
        self._refs: np.ndarray | None = None
        self._lines: np.ndarray | None = None

    @property
    def rows(self) -> pd.DataFrame:
        if self._rows is None:
            self._rows = table_to_frame(self.table)
        return self._rows

    @property
    def entry_refs(self) -> np.ndarray:
        """int64[rows, 2]: (chunk, block within the chunk) of each frame row."""
        if self._refs is None:
            t = self.chunks
            blocks = np.flatnonzero(t.kinds == ENTRY)
            chunk = np.searchsorted(t.block_offsets, blocks, side="right") - 1
            self._refs = np.stack([chunk, blocks - t.block_offsets[chunk]], axis=1).astype(np.int64)
        return self._refs

    def entry_ref(self, row: int) -> tuple[int, int]:
        """(chunk, block within the chunk) of frame row ``row``, as Python ints."""
        refs = self.entry_refs
        return refs.item(row, 0), refs.item(row, 1)

    def span(self, c: int) -> tuple[int, int]:
        return _span(self.chunks, c)

    def line(self, c: int) -> int:
        """0-based file line of chunk ``c``'s first byte."""
        if self._lines is None:
            self._lines = self.chunks.chunk_lines()
        return int(self._lines[c])

    def blocks(self, c: int) -> list[Block]:
        """The blocks of chunk ``c`` with their fields (parsed again when not kept from the build)."""
        found = self._blocks.get(c)
        if found is None:
            start, end = self.span(c)
            found = parse_chunk(decode_chunk(self.data, start, end, self.path))
            offsets = self.chunks.block_offsets
            if len(found) != offsets.item(c + 1) - offsets.item(c):
                raise BibFileError(f"{self.path}: index out of step with the file (chunk at byte {start})")
            self._blocks[c] = found
        return found

    def malformed(self) -> Iterator[tuple[int, Block]]:
        """(1-based file line, block) of every malformed block."""
        t = self.chunks
        for j in np.flatnonzero(t.kinds == MALFORMED).tolist():
            c = int(np.searchsorted(t.block_offsets, j, side="right") - 1)
            block = self.blocks(c)[j - int(t.block_offsets[c])]
            yield self.line(c) + block.line + 1, block


@dataclass(frozen=True, slots=True)
class RowOrigin:
    """Where each frame row of an index is in a rows file of the index cache (:mod:`library.cache`): its row
    number there, or -1 for a row that file does not hold (parsed since). ``base`` names the file (opaque here).
    Carried through re-builds, so that the cache after a few edits can be saved as the few new rows and how to
    stitch them into that file's rows, instead of all rows again."""

    base: tuple[str, int, int]
    rows: np.ndarray  # int64[rows of the index]


class KnownRow(NamedTuple):
    """An entry a save wrote whose frame row is a row of the index before the save (only fields no row reads
    changed): when the saved bytes are indexed, a parsed entry with exactly this type and these fields (name and
    raw text, in order) takes that row instead of being built into a record again."""

    row: int
    entry_type: str
    fields: tuple[tuple[str, str], ...]


@dataclass(slots=True)
class ReusableChunks:
    """What an earlier index (the cache, the library before a save, or parallel workers) lends by chunk digest."""

    chunks: ChunkTable
    table: pa.Table
    macros_digest: bytes = b""
    _positions: dict[bytes, int] | None = None
    origin: RowOrigin | None = None

    @classmethod
    def of(cls, index: FileIndex) -> ReusableChunks:
        return cls(index.chunks, index.table, index.macros_digest, origin=index.origin)

    def positions(self) -> dict[bytes, int]:
        """Digest (as :func:`digest_keys` gives it) -> chunk; chunks with a malformed block are not lent (in a new
        context they may merge)."""
        if self._positions is None:
            t = self.chunks
            bad = np.zeros(len(t), dtype=bool)
            malformed = np.flatnonzero(t.kinds == MALFORMED)
            if len(malformed):
                bad[np.searchsorted(t.block_offsets, malformed, side="right") - 1] = True
            lent = np.flatnonzero(~bad)
            self._positions = dict(zip(digest_keys(t.digests)[lent].tolist(), lent.tolist(), strict=True))
        return self._positions


def digest_keys(blob: bytes) -> np.ndarray:
    """Concatenated digests as an array of fixed-width byte strings (made in C, not by slicing in Python). Its
    items drop trailing zero bytes, alike for every digest looked up, so equal digests still give equal keys,
    and two different SHA-1 digests collide only if they differ in nothing but trailing zeros."""
    return np.frombuffer(blob, dtype=f"S{DIGEST_SIZE}")


_BLOCK_START = re.compile(rb"@[\w\x80-\xff]*[ \t]*[{(]")  # as bibtexparser's, non-ASCII letters included


def chunk_starts(data: bytes) -> np.ndarray:
    """Offsets of chunk starts: 0 and every line that starts with a block start (``@type{``); ends with len(data).

    A line of a value that merely begins with ``@`` (an e-mail, a handle) starts no chunk, so such lines never
    split an entry, however many there are."""
    a = np.frombuffer(data, dtype=np.uint8)
    found = [np.zeros(1, dtype=np.int64)]
    match = _BLOCK_START.match
    for low in range(1, len(a), _SCAN_BLOCK):  # in blocks: a file-sized temporary array costs more than the scan
        at = np.flatnonzero(a[low : low + _SCAN_BLOCK] == ord("@")) + low
        at = at[a[at - 1] == ord("\n")]
        starts = [int(i) for i in at.tolist() if match(data, i)]
        found.append(np.array(starts, dtype=np.int64))
    found.append(np.array([len(data)], dtype=np.int64))
    return np.concatenate(found)


def _digest(view: memoryview | bytes) -> bytes:
    return hashlib.sha1(view, usedforsecurity=False).digest()


def chunk_digests(data: bytes, starts: list[int]) -> list[bytes]:
    view = memoryview(data)
    sha1 = hashlib.sha1
    return [sha1(view[starts[i] : starts[i + 1]], usedforsecurity=False).digest() for i in range(len(starts) - 1)]


def decode_chunk(data: bytes, start: int, end: int, path: str) -> str:
    try:
        return data[start:end].decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = data.count(b"\n", 0, start + exc.start) + 1
        raise BibFileError(f"{path}: not UTF-8 text (line {bad_line}, byte 0x{data[start + exc.start]:02x})") from exc


def entry_record(block: Block, macros: dict[str, str]) -> Record:
    """The record of an entry block (``macros``: the file's); notes on the block whether its values are plain
    (:func:`library.fields.plain_values`), which a save of new fields for it asks again."""
    # a braced value without '#' expands to what is inside the braces (most values: no call)
    values = {name.lower(): raw[1:-1] if raw[:1] == "{" and raw[-1:] == "}" and "#" not in raw
              else expand_value(raw, macros) for name, raw in block.fields}
    plain = plain_values(tuple(values), list(values.values()))
    if len(values) == len(block.fields):  # (no two fields of one name)
        block.plain = plain
    return record_from_fields(block.key, block.entry_type, values, plain)


def macros_of(blocks: Iterator[Block] | list[Block]) -> dict[str, str]:
    """@string definitions in file order (later ones may use earlier ones)."""
    macros: dict[str, str] = {}
    for block in blocks:
        if block.kind == "string" and block.fields:
            name, raw = block.fields[0]
            macros[name.lower()] = expand_value(raw, macros)
    return macros


def macros_digest(macros: dict[str, str]) -> bytes:
    return _digest(repr(sorted(macros.items())).encode())


def _parse_at(data: bytes, starts: list[int], i: int, path: str) -> tuple[list[Block], int]:
    """Parse chunk i; when it fails, retry merged with up to 8 following chunks. Returns (blocks, end chunk)."""
    blocks = parse_chunk(decode_chunk(data, starts[i], starts[i + 1], path))
    count = len(starts) - 1
    if any(b.kind == "malformed" for b in blocks):
        for j in range(i + 2, min(count, i + 9) + 1):
            merged = parse_chunk(decode_chunk(data, starts[i], starts[j], path))
            if not any(b.kind == "malformed" for b in merged):
                return merged, j
    return blocks, i + 1


def _gather(offsets: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ranges [offsets[k], offsets[k] + counts[k]) as one index array."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    out_starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=out_starts[1:])
    return np.repeat(offsets - out_starts, counts) + np.arange(total, dtype=np.int64)


def _stitch(table: pa.Table, positions: np.ndarray) -> pa.Table:
    """table.take(positions), as zero-copy slices when the positions form a few runs (a few chunks edited)."""
    if len(positions) == 0:
        return table.slice(0, 0)
    breaks = np.flatnonzero(np.diff(positions) != 1) + 1
    if len(breaks) >= _MAX_RUNS:
        return table.take(pa.array(positions))
    edges = [0, *breaks.tolist(), len(positions)]
    pieces = [table.slice(int(positions[a]), b - a) for a, b in itertools.pairwise(edges)]
    stitched = pa.concat_tables(pieces) if len(pieces) > 1 else pieces[0]
    column = stitched.column(0)
    if column.num_chunks > _MAX_RUNS:  # fragments add up over many re-opens: compact now and then
        stitched = stitched.combine_chunks()
    return stitched


def build_index(data: bytes, path: str, known: ReusableChunks | None = None,
                progress: Callable[[int, int], None] | None = None,
                rows: dict[str, KnownRow] | None = None, blocks: dict[bytes, list[Block]] | None = None
                ) -> FileIndex:
    """Chunk, hash and parse ``data``; chunks whose digest is in ``known`` reuse their blocks and rows; entries
    in ``rows`` (by key; rows of ``known``'s table) reuse theirs when their type and fields are the ones given;
    a chunk whose digest is in ``blocks`` (a save that knows what the text it wrote parses into) is not parsed."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # building many small objects triggers useless collections
    try:
        index = _build_index(data, path, known, progress, rows, blocks)
        if index is None:  # the @string macros changed: every entry's row must be built again
            index = _build_index(data, path, None, progress, blocks=blocks)
        assert index is not None
        return index
    finally:
        if gc_was_enabled:
            gc.enable()


def _build_index(data: bytes, path: str, known: ReusableChunks | None,
                 progress: Callable[[int, int], None] | None,
                 rows: dict[str, KnownRow] | None = None, blocks: dict[bytes, list[Block]] | None = None
                 ) -> FileIndex | None:
    starts_array = chunk_starts(data)
    starts = starts_array.tolist()
    digests = chunk_digests(data, starts)
    old = known.chunks if known is not None else ChunkTable.empty()
    lent = known.positions() if known is not None else {}
    hits = np.fromiter(map(lent.get, digest_keys(b"".join(digests)).tolist(), itertools.repeat(-1)), dtype=np.int64,
                       count=len(digests))
    parsed, keep = _parse_missing(data, starts, hits, digests, path, progress, blocks or {})

    first = np.flatnonzero(keep)  # basic chunk index of each final chunk
    source = hits[first]  # the chunk in `old` it re-uses, or -1 when parsed now
    new_order = first[source < 0].tolist()  # parsed chunks, in file order
    new_blocks = [b for i in new_order for b in parsed[i]]
    chunks = _chunk_table(data, old, starts_array[np.append(first, len(keep))], source,
                          b"".join(digests[i] for i in first.tolist()), [parsed[i] for i in new_order])

    # macros: @string blocks in file order (re-used chunks with one are parsed again: they are few)
    final_blocks = dict(zip(np.flatnonzero(source < 0).tolist(), (parsed[i] for i in new_order), strict=True))
    string_blocks: list[Block] = []
    for c in np.unique(chunks.chunk_of_blocks()[chunks.kinds == STRING]).tolist():
        if c not in final_blocks:
            final_blocks[c] = parse_chunk(decode_chunk(data, *_span(chunks, c), path))
        string_blocks.extend(final_blocks[c])
    macros = macros_of(string_blocks)
    digest = macros_digest(macros)
    if known is not None and digest != known.macros_digest and (source >= 0).any():
        return None  # rows built with other macros cannot be re-used

    fresh_from: np.ndarray | None = None  # rows of `fresh` that are rows of known.table (-1: built now)
    if rows and known is not None and digest == known.macros_digest:
        fresh, fresh_from = _rows_reusing(known.table, [b for b in new_blocks if b.kind == "entry"], macros, rows)
    else:
        fresh = rows_to_table([record_row(entry_record(b, macros)) for b in new_blocks if b.kind == "entry"])
    table, taken = _rows_table(known, source, [parsed[i] for i in new_order], fresh)
    entry_blocks = np.flatnonzero(chunks.kinds == ENTRY)
    lines = chunks.chunk_lines()[chunks.chunk_of_blocks()[entry_blocks]] + chunks.lines[entry_blocks] + 1
    table = table.set_column(table.schema.get_field_index("line"), "line", pa.array(lines, type=pa.int64()))
    origin = None
    if known is not None and known.origin is not None and taken is not None:
        before = known.origin.rows
        after = np.full(fresh.num_rows, -1, dtype=np.int64)  # rows parsed now: in no rows file
        if fresh_from is not None:  # ... but those a save kept are the rows they were
            kept = fresh_from >= 0
            after[kept] = before[fresh_from[kept]]
        origin = RowOrigin(known.origin.base, np.concatenate([before, after])[taken])
    return FileIndex(data, path, chunks, table, macros, digest, final_blocks, origin)


def _span(chunks: ChunkTable, c: int) -> tuple[int, int]:
    return chunks.bounds.item(c), chunks.bounds.item(c + 1)


def _parse_missing(data: bytes, starts: list[int], hits: np.ndarray, digests: list[bytes], path: str,
                   progress: Callable[[int, int], None] | None, known: dict[bytes, list[Block]]
                   ) -> tuple[dict[int, list[Block]], np.ndarray]:
    """Parse every chunk not lent (a malformed one merged with the chunks after it when that repairs it); a chunk
    whose digest is in ``known`` takes those blocks.

    Returns the blocks by first basic chunk, and which basic chunks start a final chunk (not merged into the one
    before); ``digests`` of merged chunks are updated to cover the merged bytes.
    """
    parsed: dict[int, list[Block]] = {}
    keep = np.ones(len(hits), dtype=bool)
    covered = 0
    for i in np.flatnonzero(hits < 0).tolist():
        if i < covered:
            continue  # merged into an earlier malformed chunk
        found = known.get(digests[i])
        blocks, end = (found, i + 1) if found is not None else _parse_at(data, starts, i, path)
        parsed[i] = blocks
        if end > i + 1:
            keep[i + 1 : end] = False
            digests[i] = _digest(memoryview(data)[starts[i] : starts[end]])
        covered = end
        if progress is not None and len(parsed) % 1000 == 0:
            progress(starts[end], len(data))
    if progress is not None:
        progress(len(data), len(data))
    return parsed, keep


def _chunk_table(data: bytes, old: ChunkTable, bounds: np.ndarray, source: np.ndarray, digests: bytes,
                 parsed: list[list[Block]]) -> ChunkTable:
    """The final chunk table: rows of ``old`` for re-used chunks (``source`` >= 0), ``parsed`` blocks for the rest."""
    reused = source >= 0
    new_blocks = [b for blocks in parsed for b in blocks]
    parsed_counts = np.array([len(blocks) for blocks in parsed], dtype=np.int64)
    counts = np.zeros(len(source), dtype=np.int64)
    offsets = np.zeros(len(source), dtype=np.int64)
    counts[reused] = np.diff(old.block_offsets)[source[reused]]
    offsets[reused] = old.block_offsets[source[reused]]
    counts[~reused] = parsed_counts
    offsets[~reused] = len(old.kinds) + np.cumsum(parsed_counts) - parsed_counts
    take = _gather(offsets, counts)

    def column(old_values: np.ndarray, new_values: list[int], dtype: type) -> np.ndarray:
        return np.concatenate([old_values, np.array(new_values, dtype=dtype)])[take]

    newlines = np.zeros(len(source), dtype=np.int64)
    newlines[reused] = old.newlines[source[reused]]
    newlines[~reused] = [data.count(b"\n", s, e) for s, e in zip(bounds[:-1][~reused].tolist(),
                                                                  bounds[1:][~reused].tolist(), strict=True)]
    return ChunkTable(
        bounds=bounds, digests=digests, newlines=newlines,
        block_offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        kinds=column(old.kinds, [KINDS.index(b.kind) for b in new_blocks], np.int8),
        starts=column(old.starts, [b.start for b in new_blocks], np.int64),
        ends=column(old.ends, [b.end for b in new_blocks], np.int64),
        lines=column(old.lines, [b.line for b in new_blocks], np.int64),
    )


def _rows_reusing(old: pa.Table, entries: list[Block], macros: dict[str, str], rows: dict[str, KnownRow]
                  ) -> tuple[pa.Table, np.ndarray]:
    """The rows of parsed ``entries``: an old row where ``rows`` knows the entry's exact type and fields (the
    same fields, with the same macros, make the same record), else built from the entry; and for each, the row
    of ``old`` it is (-1: built)."""
    built: list[tuple[object, ...]] = []
    take: list[int] = []
    base = old.num_rows
    for b in entries:
        hint = rows.get(b.key)
        if hint is not None and b.entry_type == hint.entry_type and tuple(b.fields) == hint.fields:
            take.append(hint.row)
        else:
            take.append(base + len(built))
            built.append(record_row(entry_record(b, macros)))
    taken = np.array(take, dtype=np.int64)
    reused = np.where(taken < base, taken, -1)
    if len(built) == len(entries):
        return rows_to_table(built), reused
    if not built:  # every row an old one (a save of slugs for the whole file: all of them, in order)
        if len(take) == base and take == list(range(base)):
            return old, reused
        return old.take(pa.array(take, type=pa.int64())), reused
    return pa.concat_tables([old, rows_to_table(built)]).take(pa.array(take, type=pa.int64())), reused


def _rows_table(known: ReusableChunks | None, source: np.ndarray, parsed: list[list[Block]],
                fresh: pa.Table) -> tuple[pa.Table, np.ndarray | None]:
    """Frame rows in file order: slices of ``known``'s table for re-used chunks, ``fresh`` for parsed ones; and
    for each, its row in ``known``'s table and ``fresh`` put together (None without ``known``)."""
    if known is None:
        return fresh, None
    reused = source >= 0
    old_rows = known.chunks.row_offsets()
    parsed_rows = np.array([sum(1 for b in blocks if b.kind == "entry") for blocks in parsed], dtype=np.int64)
    counts = np.zeros(len(source), dtype=np.int64)
    offsets = np.zeros(len(source), dtype=np.int64)
    counts[reused] = np.diff(old_rows)[source[reused]]
    offsets[reused] = old_rows[source[reused]]
    counts[~reused] = parsed_rows
    offsets[~reused] = known.table.num_rows + np.cumsum(parsed_rows) - parsed_rows
    pool = pa.concat_tables([known.table, fresh]) if fresh.num_rows else known.table
    positions = _gather(offsets, counts)
    return _stitch(pool, positions), positions
