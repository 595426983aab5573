"""On-disk cache of a library's index, so that re-opening a large file skips parsing (all of it, or all but the
edited chunks).

Kept outside the project (``$REFLIB_CACHE_DIR``, else ``$XDG_CACHE_HOME/reflib``, else ``~/.cache/reflib``) so
it never shows up in version control and works for read-only library folders. Keyed by the absolute path; valid
only for the exact file bytes it was built from (SHA-1 of the file). Two files: the frame rows as an Arrow IPC
file (uncompressed, memory-mapped on load: no parsing, no copies) under a new name at every write, and a small
pickle of the chunk table that names it, replaced atomically (temp file and rename). After a few edits, a third:
the rows the first file does not hold (edited and added entries), which the pickle stitches into its rows, so
that re-opening a 100k-record library after an edit writes a few rows, not all of them again.

Writes are cheap rather than durable: nothing is fsynced (a cache that is lost only costs speed), and the rows
file is never renamed over an existing file, so ext4 does not force its 100+ MB out at the next journal commit
(which would make an unrelated fsync - the next save of the .bib file - wait for it). What makes that safe is
the check on load: the pickle carries the CRC-32 of its own bytes and the size and CRC-32 of the rows file, so a
file torn by a crash, truncated, zero-filled, or written by another process in between is ignored, never read
as valid.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import struct
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from .frame import FRAME_SCHEMA
from .index import ENTRY, ChunkTable, FileIndex, RowOrigin

__all__ = ["CACHE_VERSION", "cache_dir", "cache_files", "load_cache", "save_cache"]

CACHE_VERSION = 10  # 10: name suffixes (Author.suffix; the authors column shows 'Family, Given, Suffix')
# 9: a second rows file of the rows edited since the first was written, and how to stitch them
DELTA_SHARE = 50  # a save may keep up to 1/50 of the rows in the second rows file ...
DELTA_RUNS = 32  # ... in at most this many stretches (fewer than index._MAX_RUNS); else all rows are written
_MAGIC = b"reflib-cache\x00"
_HEADER = struct.Struct("<13sII")  # magic, version, CRC-32 of the pickle that follows
_STALE_SECONDS = 600.0


def cache_dir() -> Path:
    if os.environ.get("REFLIB_CACHE_DIR"):
        return Path(os.environ["REFLIB_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reflib"


def _meta_path(path: Path) -> Path:
    name = hashlib.sha1(str(path.resolve()).encode(), usedforsecurity=False).hexdigest()[:20]
    return cache_dir() / f"{name}.meta"


def cache_files(path: Path) -> tuple[Path, Path | None]:
    """The cache's meta file and the rows file it names (None when there is no readable meta)."""
    meta_path = _meta_path(path)
    try:
        meta = _read_meta(meta_path)
    except (OSError, ValueError, struct.error, pickle.UnpicklingError, EOFError):
        return meta_path, None
    return meta_path, (meta_path.parent / meta["arrow_name"]) if meta else None


def _read_meta(meta_path: Path) -> dict[str, Any] | None:
    raw = meta_path.read_bytes()
    magic, version, crc = _HEADER.unpack_from(raw)
    payload = memoryview(raw)[_HEADER.size :]
    if magic != _MAGIC or version != CACHE_VERSION or zlib.crc32(payload) != crc:
        return None
    meta = pickle.loads(payload)  # noqa: S301 - our own cache file in the user's cache folder, CRC-checked
    return meta if isinstance(meta, dict) else None


def _crc(buffer: object) -> int:
    return zlib.crc32(memoryview(buffer))  # type: ignore[arg-type]


def _replace(target: Path, write: object) -> None:
    """Write through ``write(file_name)`` into a temp file beside ``target``, then rename it into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)  # type: ignore[operator]
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _remove_leftovers(folder: Path, stem: str, keep: set[str]) -> None:
    """Rows files of earlier writes (and of cache version 5), and temp files of writes killed half-way (those
    only when old enough: another process may be writing them now)."""
    now = time.time()
    for leftover in [*folder.glob(f"{stem}.*.arrow"), *folder.glob(f".{stem}.*.tmp"), *folder.glob(f"{stem}.arrow")]:
        with contextlib.suppress(OSError):
            if leftover.name not in keep and (leftover.suffix == ".arrow"
                                              or now - leftover.stat().st_mtime > _STALE_SECONDS):
                leftover.unlink()


def _write_rows(folder: Path, stem: str, table: pa.Table) -> tuple[str, int, int]:
    """A new rows file (Arrow IPC, under a new name: no reader looks at it before a meta names it); returns its
    (name, size, CRC-32)."""
    if table.schema != FRAME_SCHEMA:
        table = table.cast(FRAME_SCHEMA)
    fd, rows_name = tempfile.mkstemp(prefix=f"{stem}.", suffix=".arrow", dir=folder)
    os.close(fd)
    try:
        with pa.OSFile(rows_name, "wb") as sink, pa.ipc.new_file(sink, FRAME_SCHEMA) as writer:
            writer.write_table(table)
        with pa.memory_map(rows_name) as source:
            buffer = source.read_buffer()
            size, crc = buffer.size, _crc(buffer)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(rows_name)
        raise
    return Path(rows_name).name, size, crc


def _runs(origin: np.ndarray) -> np.ndarray:
    """int64[runs, 3]: (0, first base row, length) for a stretch of consecutive rows of the base file, (1, first
    new row, length) for a stretch of rows it does not hold (numbered in file order among those rows)."""
    n = len(origin)
    if n == 0:
        return np.zeros((0, 3), dtype=np.int64)
    new = origin < 0
    breaks = np.flatnonzero((new[1:] != new[:-1]) | (~new[1:] & (np.diff(origin) != 1))) + 1
    starts = np.concatenate([[0], breaks])
    lengths = np.diff(np.concatenate([starts, [n]]))
    new_before = np.concatenate([[0], np.cumsum(new)])[starts]  # new rows before each run
    kinds = new[starts].astype(np.int64)
    firsts = np.where(kinds == 1, new_before, origin[starts])
    return np.stack([kinds, firsts, lengths], axis=1).astype(np.int64)


def save_cache(path: Path, file_digest: bytes, index: FileIndex) -> None:
    """Best effort: a cache that cannot be written only costs speed next time.

    When the index's rows are mostly rows of the rows file the cache names now (a few entries edited or added
    since it was written: :class:`library.index.RowOrigin`), only the other rows are written, to a small second
    rows file, with the runs that stitch the two together; else all rows go to a new rows file. A 100k-record
    library after an edit writes a few rows instead of ~170 MB."""
    meta_path = _meta_path(path)
    folder = meta_path.parent
    stem = meta_path.stem
    with contextlib.suppress(OSError, pa.ArrowException):
        folder.mkdir(parents=True, exist_ok=True)
        table = index.table
        origin = index.origin
        meta: dict[str, Any] = {"version": CACHE_VERSION, "file": file_digest, "arrays": index.chunks.to_arrays(),
                                "macros": index.macros, "macros_digest": index.macros_digest,
                                "rows": table.num_rows}
        runs = None
        if origin is not None and (folder / origin.base[0]).is_file():
            fresh = np.flatnonzero(origin.rows < 0)
            if len(fresh) <= table.num_rows // DELTA_SHARE:
                runs = _runs(origin.rows)
                if len(runs) > DELTA_RUNS:
                    runs = None
        if runs is None or origin is None:
            name, size, crc = _write_rows(folder, stem, table)
            keep = {name}
            index.origin = RowOrigin((name, size, crc), np.arange(table.num_rows, dtype=np.int64))
        else:
            name, size, crc = origin.base
            extra = table.take(pa.array(fresh, type=pa.int64()))
            delta, delta_size, delta_crc = _write_rows(folder, stem, extra)
            meta.update(delta_name=delta, delta_size=delta_size, delta_crc=delta_crc, runs=runs,
                        lines=table.column("line").to_numpy())
            keep = {name, delta}
        meta.update(arrow_name=name, arrow_size=size, arrow_crc=crc)
        payload = pickle.dumps(meta, protocol=pickle.HIGHEST_PROTOCOL)
        header = _HEADER.pack(_MAGIC, CACHE_VERSION, zlib.crc32(payload))

        def write_meta(tmp: str) -> None:
            with open(tmp, "wb") as handle:
                handle.write(header)
                handle.write(payload)

        _replace(meta_path, write_meta)
        _remove_leftovers(folder, stem, keep=keep)


def _read_rows(folder: Path, name: str, size: int, crc: int) -> pa.Table | None:
    with pa.memory_map(str(folder / Path(name).name)) as source:
        buffer = source.read_buffer()
        if buffer.size != size or _crc(buffer) != crc:
            return None
        table = pa.ipc.open_file(buffer).read_all()
    return table if table.schema == FRAME_SCHEMA else None


def load_cache(path: Path) -> tuple[bytes, FileIndex] | None:
    """(digest of the file it describes, index without file data) or None when absent, foreign or damaged."""
    meta_path = _meta_path(path)
    folder = meta_path.parent
    try:
        meta = _read_meta(meta_path)
        if meta is None:
            return None
        base = (str(meta["arrow_name"]), int(meta["arrow_size"]), int(meta["arrow_crc"]))
        table = _read_rows(folder, *base)
        if table is None:
            return None
        origin = np.arange(table.num_rows, dtype=np.int64)
        if "delta_name" in meta:
            extra = _read_rows(folder, meta["delta_name"], meta["delta_size"], meta["delta_crc"])
            if extra is None:
                return None
            table, origin = _stitched(table, extra, meta["runs"])
            lines = np.asarray(meta["lines"], dtype=np.int64)
            if len(lines) != table.num_rows:
                return None
            table = table.set_column(table.schema.get_field_index("line"), "line", pa.array(lines))
        if table.num_rows != meta["rows"]:
            return None
        chunks = ChunkTable.from_arrays(meta["arrays"])
        if int((chunks.kinds == ENTRY).sum()) != table.num_rows:
            return None
        index = FileIndex(b"", str(path), chunks, table, meta["macros"], meta["macros_digest"],
                          origin=RowOrigin(base, origin))
    except (OSError, struct.error, pickle.UnpicklingError, EOFError, pa.ArrowException, AttributeError,
            ValueError, KeyError, TypeError, IndexError):
        return None
    return meta["file"], index


def _stitched(base: pa.Table, extra: pa.Table, runs: np.ndarray) -> tuple[pa.Table, np.ndarray]:
    """The rows the runs describe (zero-copy slices of the two files' rows) and each one's base row or -1."""
    pieces, origin = [], []
    for kind, first, length in np.asarray(runs, dtype=np.int64).reshape(-1, 3).tolist():
        source = extra if kind else base
        if first < 0 or length <= 0 or first + length > source.num_rows:
            raise ValueError("cache runs out of range")
        pieces.append(source.slice(first, length))
        origin.append(np.full(length, -1, dtype=np.int64) if kind else np.arange(first, first + length))
    if not pieces:
        return base.slice(0, 0), np.zeros(0, dtype=np.int64)
    return pa.concat_tables(pieces), np.concatenate(origin).astype(np.int64)
