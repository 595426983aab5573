"""CPU time of the site's citation work per study: ``cite_many(batch, "html", items=...)`` over batches of 500
synthetic records (round 1 with the per-shape compile costs, round 2 at steady state) and ``to_ris([record])``
per record, as ``reflib publish`` calls them.

``python -m benchmarks.cite_speed [N] [--profile round1|round2|ris] [--no-gc]``: N records (10,000 by default) of
:func:`benchmarks.synth.write_library` with seed 29. CPU time of this process (``time.process_time``); other
jobs on the machine slow it down only through caches, so say the load (``uptime``) with the figures.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import tempfile
import time
from pathlib import Path

BATCH = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", nargs="?", type=int, default=10_000)
    parser.add_argument("--profile", choices=("round1", "round2", "ris"))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-gc", action="store_true", help="cyclic GC paused, as reflib publish runs")
    args = parser.parse_args()

    from benchmarks.synth import write_library
    from library import Library
    from library.export import cite_many, to_ris
    from library.export.csljson import csl_item

    with tempfile.TemporaryDirectory() as folder:
        path = write_library(Path(folder) / "synth.bib", args.n, seed=29)
        library = Library.load(path, use_cache=False)
        records = [library.get(key, keep=False) for key in library]
    items = [csl_item(record, keep_custom=True) for record in records]
    batches = [(records[i:i + BATCH], items[i:i + BATCH]) for i in range(0, len(records), BATCH)]

    def cite_round() -> float:
        started = time.process_time()
        for batch, batch_items in batches:
            cite_many(batch, "html", items=batch_items)
        return time.process_time() - started

    def ris_round() -> float:
        started = time.process_time()
        for record in records:
            to_ris([record])
        return time.process_time() - started

    if args.no_gc:
        gc.disable()
    profiler = cProfile.Profile() if args.profile else None
    figures = []
    for number in range(1, args.rounds + 1):
        profiling = profiler is not None and args.profile == f"round{min(number, 2)}" and (
            number == 1 or args.profile == "round2")
        if profiling:
            profiler.enable()  # type: ignore[union-attr]
        figures.append(cite_round())
        if profiling:
            profiler.disable()  # type: ignore[union-attr]
    if profiler is not None and args.profile == "ris":
        profiler.enable()
    ris = ris_round()
    if profiler is not None and args.profile == "ris":
        profiler.disable()
    per = 1000 / len(records)
    for number, seconds in enumerate(figures, start=1):
        print(f"cite_many round {number}: {seconds:.2f} s CPU, {seconds * per:.3f} ms/study")
    print(f"to_ris: {ris:.2f} s CPU, {ris * per:.4f} ms/study")
    print(f"load: {os.getloadavg()}")
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(35)


if __name__ == "__main__":
    main()
