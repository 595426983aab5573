"""First open of a large file on every core: workers parse ranges of chunks, the index then reuses their work.

Workers return what an earlier index would lend (:class:`library.index.ReusableChunks`): a chunk table and frame rows by
chunk digest. The normal serial pass then only hashes and stitches, so the result is exactly what a serial parse
gives; chunks with a malformed block are never lent, and the serial pass parses them with its merge-on-failure
rule (which may need chunks beyond the worker's range).

Since chunks are parsed by :func:`library.bibfile.parse_chunk` (several times faster than bibtexparser), a serial
first open of the 100k benchmark file takes about half of ``bibtexparser.parse_file``; on two cores the workers
saved no wall time (forking, shipping rows back and hashing again ate the gain, and any other load takes the
second core) while costing a third more CPU. So workers are used only for large files on machines with at least
:data:`PARALLEL_MIN_CORES` cores available.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing as mp
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np
import pyarrow as pa

from .bibfile import Block, parse_chunk
from .frame import record_row, rows_to_table
from .index import (
    KINDS,
    ChunkTable,
    ReusableChunks,
    chunk_digests,
    chunk_starts,
    decode_chunk,
    entry_record,
    macros_digest,
    macros_of,
)

__all__ = ["PARALLEL_MIN_BYTES", "parallel_known"]

PARALLEL_MIN_BYTES = 32_000_000
PARALLEL_MIN_CORES = 4
_STRING_START = re.compile(rb"(?:^|\n)@\s*string\s*[{(]", re.IGNORECASE)


def _work(data: bytes, starts: list[int], macros: dict[str, str], path: str) -> tuple[dict[str, object], bytes]:
    """Parse chunks [starts[0], starts[-1]) of ``data`` (a slice): their chunk table and rows (Arrow IPC)."""
    gc.disable()  # a worker lives for this one call; collections while building objects only cost time
    blocks_of = [parse_chunk(decode_chunk(data, starts[i], starts[i + 1], path)) for i in range(len(starts) - 1)]
    blocks = [b for chunk in blocks_of for b in chunk]
    rows = [record_row(entry_record(b, macros)) for b in blocks if b.kind == "entry"]
    arrays: dict[str, object] = {
        "digests": b"".join(chunk_digests(data, starts)),
        "newlines": np.array([data.count(b"\n", starts[i], starts[i + 1]) for i in range(len(starts) - 1)],
                             dtype=np.int64),
        "counts": np.array([len(chunk) for chunk in blocks_of], dtype=np.int64),
        "kinds": np.array([KINDS.index(b.kind) for b in blocks], dtype=np.int8),
        "starts": np.array([b.start for b in blocks], dtype=np.int64),
        "ends": np.array([b.end for b in blocks], dtype=np.int64),
        "lines": np.array([b.line for b in blocks], dtype=np.int64),
    }
    table = rows_to_table(rows)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return arrays, sink.getvalue().to_pybytes()


def _string_macros(data: bytes, starts: list[int], path: str) -> dict[str, str]:
    firsts = {m.start() + (1 if data[m.start() : m.start() + 1] == b"\n" else 0) for m in _STRING_START.finditer(data)}
    blocks: list[Block] = []
    for i in range(len(starts) - 1):
        if starts[i] in firsts:
            blocks.extend(parse_chunk(decode_chunk(data, starts[i], starts[i + 1], path)))
    return macros_of(blocks)


def parallel_known(data: bytes, path: str, workers: int | None = None,
                   progress: Callable[[int, int], None] | None = None) -> ReusableChunks | None:
    """Parse ``data`` in worker processes; None when the file is small or too few cores are available."""
    if workers is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        if cores < PARALLEL_MIN_CORES:
            return None
        workers = min(cores, 4)
    if len(data) < PARALLEL_MIN_BYTES or workers < 2:
        return None
    starts = chunk_starts(data).tolist()
    macros = _string_macros(data, starts, path)
    count = len(starts) - 1
    bounds = [round(count * k / workers) for k in range(workers + 1)]
    method = "fork" if threading.active_count() == 1 else "forkserver"
    jobs = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method)) as pool:
        for lo, hi in itertools.pairwise(bounds):
            if hi <= lo:
                continue
            base = starts[lo]
            local = [s - base for s in starts[lo : hi + 1]]
            jobs.append(pool.submit(_work, data[base : starts[hi]], local, macros, path))
        for done, _ in enumerate(as_completed(jobs), start=1):
            if progress is not None:
                progress(len(data) * done // (len(jobs) + 1), len(data))  # the serial stitching pass remains
        results = [job.result() for job in jobs]
    parts = [arrays for arrays, _ in results]

    def joined(name: str) -> np.ndarray:
        return np.concatenate([part[name] for part in parts])  # type: ignore[misc]

    counts = joined("counts")
    chunks = ChunkTable(
        bounds=np.array(starts, dtype=np.int64),
        digests=b"".join(part["digests"] for part in parts),  # type: ignore[misc]
        newlines=joined("newlines"),
        block_offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        kinds=joined("kinds"), starts=joined("starts"), ends=joined("ends"), lines=joined("lines"),
    )
    table = pa.concat_tables([pa.ipc.open_stream(ipc).read_all() for _, ipc in results])
    return ReusableChunks(chunks, table, macros_digest(macros))
