"""On-disk cache of a library's index, so that re-opening a large file skips parsing (all of it, or all but the
edited chunks).

Kept outside the project (``$REFLIB_CACHE_DIR``, else ``$XDG_CACHE_HOME/reflib``, else ``~/.cache/reflib``) so
it never shows up in version control and works for read-only library folders. Keyed by the absolute path; valid
only for the exact file bytes it was built from (SHA-1 of the file). Two files: the frame rows as an Arrow IPC
file (uncompressed, memory-mapped on load: no parsing, no copies) under a new name at every write, and a small
pickle of the chunk table that names it, replaced atomically (temp file and rename).

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

import pyarrow as pa

from .frame import FRAME_SCHEMA
from .index import ENTRY, ChunkTable, FileIndex

__all__ = ["CACHE_VERSION", "cache_dir", "cache_files", "load_cache", "save_cache"]

CACHE_VERSION = 8
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


def _remove_leftovers(folder: Path, stem: str, keep: str) -> None:
    """Rows files of earlier writes (and of cache version 5), and temp files of writes killed half-way (those
    only when old enough: another process may be writing them now)."""
    now = time.time()
    for leftover in [*folder.glob(f"{stem}.*.arrow"), *folder.glob(f".{stem}.*.tmp"), *folder.glob(f"{stem}.arrow")]:
        with contextlib.suppress(OSError):
            if leftover.name != keep and (leftover.suffix == ".arrow"
                                          or now - leftover.stat().st_mtime > _STALE_SECONDS):
                leftover.unlink()


def save_cache(path: Path, file_digest: bytes, index: FileIndex) -> None:
    """Best effort: a cache that cannot be written only costs speed next time."""
    meta_path = _meta_path(path)
    folder = meta_path.parent
    with contextlib.suppress(OSError, pa.ArrowException):
        folder.mkdir(parents=True, exist_ok=True)
        table = index.table
        if table.schema != FRAME_SCHEMA:
            table = table.cast(FRAME_SCHEMA)
        fd, rows_name = tempfile.mkstemp(prefix=f"{meta_path.stem}.", suffix=".arrow", dir=folder)
        os.close(fd)  # a new name: no reader looks at it before the meta names it
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
        meta = {"version": CACHE_VERSION, "file": file_digest, "arrays": index.chunks.to_arrays(),
                "macros": index.macros, "macros_digest": index.macros_digest, "rows": table.num_rows,
                "arrow_name": Path(rows_name).name, "arrow_size": size, "arrow_crc": crc}
        payload = pickle.dumps(meta, protocol=pickle.HIGHEST_PROTOCOL)
        header = _HEADER.pack(_MAGIC, CACHE_VERSION, zlib.crc32(payload))

        def write_meta(name: str) -> None:
            with open(name, "wb") as handle:
                handle.write(header)
                handle.write(payload)

        _replace(meta_path, write_meta)
        _remove_leftovers(folder, meta_path.stem, keep=Path(rows_name).name)


def load_cache(path: Path) -> tuple[bytes, FileIndex] | None:
    """(digest of the file it describes, index without file data) or None when absent, foreign or damaged."""
    meta_path = _meta_path(path)
    try:
        meta = _read_meta(meta_path)
        if meta is None:
            return None
        with pa.memory_map(str(meta_path.parent / Path(str(meta["arrow_name"])).name)) as source:
            buffer = source.read_buffer()
            if buffer.size != meta["arrow_size"] or _crc(buffer) != meta["arrow_crc"]:
                return None
            table = pa.ipc.open_file(buffer).read_all()
        if table.schema != FRAME_SCHEMA or table.num_rows != meta["rows"]:
            return None
        chunks = ChunkTable.from_arrays(meta["arrays"])
        if int((chunks.kinds == ENTRY).sum()) != table.num_rows:
            return None
        index = FileIndex(b"", str(path), chunks, table, meta["macros"], meta["macros_digest"])
    except (OSError, struct.error, pickle.UnpicklingError, EOFError, pa.ArrowException, AttributeError,
            ValueError, KeyError, TypeError, IndexError):
        return None
    return meta["file"], index
