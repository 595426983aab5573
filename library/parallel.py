"""First open of a large file on every core: workers parse ranges of chunks, the index then reuses their work.

Workers return what an earlier index would lend (:class:`library.index.Known`): blocks and frame rows by chunk
digest. The normal serial pass then only hashes and stitches, so the result is exactly what a serial parse gives;
chunks a worker found malformed are not lent, and the serial pass parses them with its merge-on-failure rule
(which may need chunks beyond the worker's range).
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

import pyarrow as pa

from .bibfile import Block
from .frame import build_frame, record_row, table_to_frame
from .index import ChunkInfo, ChunkTable, Known, _digest, _macros, _macros_digest, _parse_at, chunk_starts, entry_record

__all__ = ["PARALLEL_MIN_BYTES", "parallel_known"]

PARALLEL_MIN_BYTES = 4_000_000
_STRING_START = re.compile(rb"(?:^|\n)@\s*string\s*[{(]", re.IGNORECASE)

_Slim = tuple[bytes, list[tuple[object, ...]]]


def _slim(block: Block) -> tuple[object, ...]:
    fields = block.fields if block.kind == "string" else []
    return (block.kind, block.start, block.end, block.line, block.key, block.entry_type, fields, block.error)


def _work(data: bytes, starts: list[int], macros: dict[str, str], path: str) -> tuple[list[_Slim], bytes]:
    """Parse chunks [starts[0], starts[-1]) of ``data`` (a slice); returns lent chunks and their rows (Arrow IPC)."""
    lent: list[_Slim] = []
    rows: list[tuple[object, ...]] = []
    view = memoryview(data)
    for i in range(len(starts) - 1):
        blocks, _ = _parse_at(data, [starts[i], starts[i + 1]], 0, path)
        if any(b.kind == "malformed" for b in blocks):
            continue
        lent.append((_digest(view[starts[i] : starts[i + 1]]), [_slim(b) for b in blocks]))
        rows.extend(record_row(entry_record(b, macros)) for b in blocks if b.kind == "entry")
    table = pa.Table.from_pandas(build_frame(rows), preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return lent, sink.getvalue().to_pybytes()


def _string_macros(data: bytes, starts: list[int], path: str) -> dict[str, str]:
    firsts = {m.start() + (1 if data[m.start() : m.start() + 1] == b"\n" else 0) for m in _STRING_START.finditer(data)}
    chunks = []
    for i in range(len(starts) - 1):
        if starts[i] in firsts:
            blocks, _ = _parse_at(data, starts, i, path)
            chunks.append(ChunkInfo(starts[i], starts[i + 1], b"", 0, blocks))
    return _macros(chunks)


def parallel_known(data: bytes, path: str, workers: int | None = None,
                   progress: Callable[[int, int], None] | None = None) -> Known | None:
    """Parse ``data`` in worker processes; None when the file is small or only one core is available."""
    workers = workers or min(os.cpu_count() or 1, 4)
    if len(data) < PARALLEL_MIN_BYTES or workers < 2:
        return None
    starts = chunk_starts(data)
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
    infos: list[ChunkInfo] = []
    frames = []
    row = 0
    for lent, ipc in results:
        table = pa.ipc.open_stream(ipc).read_all()
        frames.append(table)
        for digest, slim in lent:
            blocks = [Block(*b) for b in slim]  # type: ignore[arg-type]
            infos.append(ChunkInfo(0, 0, digest, 0, blocks, row))
            row += sum(1 for b in blocks if b.kind == "entry")
    rows = table_to_frame(pa.concat_tables(frames)) if frames else build_frame([])
    positions = {info.digest: i for i, info in enumerate(infos)}
    return Known(rows, ChunkTable(infos=infos), positions, _macros_digest(macros))
