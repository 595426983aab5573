"""Issue 21: concurrent writers (API and CLI) on a >= 20 MB library lose no edit and report every refusal."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.synth import write_library
from benchmarks.torture import run_torture

WORK = Path(__file__).resolve().parent.parent / ".bench"


def run(report) -> None:  # type: ignore[no-untyped-def]
    WORK.mkdir(exist_ok=True)
    path = write_library(Path(tempfile.mkdtemp(dir=WORK)) / "torture.bib", 15_000)
    size = path.stat().st_size / 1e6
    started = time.perf_counter()
    result = run_torture(path, api_writers=3, cli_writers=2, edits=8)
    elapsed = time.perf_counter() - started
    report.add("torture", f"{size:.0f} MB library, 3 API + 2 CLI writers x 8 edits", f"{elapsed:.0f} s", "")
    report.add("torture", "edits that reported success / refused", f"{result.successes} / {result.refusals}",
               f"of {result.attempts}")
    report.add("torture", "lost or unreported edits (failures)", f"{len(result.failures)}", "target 0")
