"""On-disk cache of a library's index, so that re-opening a large unchanged file skips parsing.

Kept outside the project (``$REFLIB_CACHE_DIR``, else ``$XDG_CACHE_HOME/reflib``, else ``~/.cache/reflib``) so
it never shows up in version control and works for read-only library folders. Keyed by the absolute path; valid
only for the exact file bytes it was built from (SHA-1 of the file). A broken or foreign cache is ignored.
The frame is an Arrow IPC file, memory-mapped on load (no parsing, no copies).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from pathlib import Path

import numpy as np
import pyarrow as pa

from .atomic import atomic_write
from .frame import FRAME_SCHEMA, table_to_frame
from .index import ChunkTable, FileIndex

__all__ = ["CACHE_VERSION", "cache_dir", "load_cache", "save_cache"]

CACHE_VERSION = 5


def cache_dir() -> Path:
    if os.environ.get("REFLIB_CACHE_DIR"):
        return Path(os.environ["REFLIB_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reflib"


def _paths(path: Path) -> tuple[Path, Path]:
    name = hashlib.sha1(str(path.resolve()).encode(), usedforsecurity=False).hexdigest()[:20]
    folder = cache_dir()
    return folder / f"{name}.meta", folder / f"{name}.arrow"


def save_cache(path: Path, file_digest: bytes, index: FileIndex) -> None:
    """Best effort: a cache that cannot be written only costs speed next time."""
    meta_path, rows_path = _paths(path)
    arrays = index.chunks.to_arrays()
    meta = {"version": CACHE_VERSION, "file": file_digest, "arrays": arrays, "refs": index.entry_refs,
            "macros": index.macros, "macros_digest": index.macros_digest}
    with contextlib.suppress(OSError, pa.ArrowException):
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(index.rows, preserve_index=False, schema=FRAME_SCHEMA)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_file(sink, FRAME_SCHEMA) as writer:
            writer.write_table(table)
        atomic_write(rows_path, [sink.getvalue().to_pybytes()])
        atomic_write(meta_path, [pickle.dumps(meta, protocol=pickle.HIGHEST_PROTOCOL)])


def load_cache(path: Path) -> tuple[bytes, FileIndex] | None:
    """(digest of the file it describes, index without file data) or None."""
    meta_path, rows_path = _paths(path)
    try:
        with meta_path.open("rb") as handle:
            meta = pickle.load(handle)  # noqa: S301 - our own cache file in the user's cache folder
        if not isinstance(meta, dict) or meta.get("version") != CACHE_VERSION:
            return None
        with pa.memory_map(str(rows_path)) as source:
            table = pa.ipc.open_file(source).read_all()
        if table.schema != FRAME_SCHEMA:
            return None
    except (OSError, pickle.UnpicklingError, EOFError, pa.ArrowException, AttributeError, ValueError, KeyError):
        return None
    refs = meta["refs"]
    if not isinstance(refs, np.ndarray) or len(refs) != table.num_rows:
        return None
    index = FileIndex(b"", ChunkTable(arrays=meta["arrays"]), table_to_frame(table), refs, meta["macros"],
                      meta["macros_digest"])
    return meta["file"], index
