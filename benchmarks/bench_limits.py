"""Bounded input (issue 21): peak RSS and time of ``reflib import`` on hostile files at full size, default limits.

The "before" figures in the targets are those measured on the code before the limits (same machine, same files).
"""

from __future__ import annotations

import shutil

from .hostile_inputs import Run, gzip_bomb, one_line_medline, run_import, tiny_bibtex
from .run import WORK, Report


def _figure(run: Run) -> str:
    return f"{run.rss_mb:,.0f} MB {run.seconds:.0f} s x{run.code}"


def run(report: Report) -> None:
    folder = WORK / "limits"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    lib = folder / "lib.bib"
    bomb = gzip_bomb(folder / "bomb.bib.gz", 3900)
    result = run_import(lib, str(bomb))
    report.add("limits", f"gzip bomb {bomb.stat().st_size / 1e6:.1f} MB -> 3.9 GB: refused, peak RSS",
               _figure(result), "<1 GB, exit 1 (before: >4.2 GB, MemoryError)")
    line = one_line_medline(folder / "one-line.nbib", 25)
    result = run_import(lib, "--dry-run", str(line))
    report.add("limits", "25 MB one-line MEDLINE record: refused (record error)", _figure(result),
               "<1 GB, exit 1 (before: 734 MB, read)")
    result = run_import(lib, "--dry-run", str(line), env={"REFLIB_MAX_RECORD_KB": "32768"})
    report.add("limits", "25 MB one-line MEDLINE, limit raised: read, peak RSS", _figure(result), "<1 GB")
    million = tiny_bibtex(folder / "million.bib", 1_000_000)
    result = run_import(lib, str(million))
    report.add("limits", "1M tiny BibTeX entries (31 MB): refused, peak RSS", _figure(result),
               "<1 GB, exit 1 (before: 4.5 GB, 216 s)")
    with million.open() as source, (folder / "100k.bib").open("w") as target:
        for _ in range(100_000):
            target.write(source.readline())
    result = run_import(folder / "lib100k.bib", str(folder / "100k.bib"))
    report.add("limits", "100k tiny BibTeX entries (the record limit): imported, peak RSS", _figure(result),
               "<1 GB, exit 0")
    shutil.rmtree(folder, ignore_errors=True)
