"""`make bench`: every figure beside its target, as one table.

Each ``benchmarks/bench_*.py`` module exposes ``run(report: Report) -> None`` and calls
``report.add(section, figure, measured, target)`` (strings). Modules run in separate processes so one's memory
use (or crash) does not distort another's figures. ``python -m benchmarks.run [name ...]`` runs a subset.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing as mp
import pkgutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

WORK = Path(__file__).resolve().parent.parent / ".bench"


@dataclass
class Report:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, section: str, figure: str, measured: str, target: str = "") -> None:
        self.rows.append((section, figure, measured, target))
        print(f"  {section:<10} {figure:<58} {measured:>16}   {target}", flush=True)


def _run_one(name: str, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    report = Report()
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        module.run(report)
    except Exception as exc:  # a broken benchmark is reported, the others still run
        report.add(name, "FAILED", type(exc).__name__, str(exc)[:80])
    queue.put(report.rows)


def main(argv: list[str]) -> int:
    WORK.mkdir(exist_ok=True)
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    rows: list[tuple[str, str, str, str]] = []
    started = time.perf_counter()
    print(f"  {'section':<10} {'figure':<58} {'measured':>16}   target")
    for name in names:
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_run_one, args=(name, queue))
        proc.start()
        proc.join()
        if not queue.empty():
            rows.extend(queue.get())
        else:
            rows.append((name, "CRASHED", f"exit {proc.exitcode}", ""))
            print(f"  {name} crashed (exit {proc.exitcode})")
    (WORK / "results.json").write_text(json.dumps(rows, indent=1))
    print(f"\n{len(rows)} figures in {time.perf_counter() - started:.0f} s; saved to {WORK / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
