"""Bounded input (issue 21): peak RSS and time of ``reflib import`` on hostile files at full size, default limits.

The "before" figures in the targets are those measured on the code before the limits (same machine, same files).
"""

from __future__ import annotations

import shutil

from .hostile_inputs import Run, gzip_bomb, one_article_pubmed, one_line_medline, run_import, tiny_bibtex
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
    article = one_article_pubmed(folder / "one-article.xml", 70)
    result = run_import(lib, "--dry-run", str(article))
    report.add("limits", "70 MB single PubMed XML article: refused while streaming", _figure(result),
               "<1 GB, exit 1 (before: 1,067 MB, read in 153 s)")
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
    # memory per record through a whole import (read, match, keys, save): the slope between 50k and 100k
    # entries, and the million imported with REFLIB_MAX_RECORDS raised (minutes: most of it is classification)
    with (folder / "100k.bib").open() as source, (folder / "50k.bib").open("w") as target:
        for _ in range(50_000):
            target.write(source.readline())
    half = run_import(folder / "lib50k.bib", str(folder / "50k.bib"))
    per_record = (result.rss_mb - half.rss_mb) * 1024 / 50_000
    report.add("limits", "memory per imported record (peak RSS slope, 50k -> 100k tiny entries)",
               f"{per_record:.2f} kB ({half.rss_mb:,.0f} -> {result.rss_mb:,.0f} MB)", "< 0.85 kB for 1M < 1 GB "
               "(before: 5 kB)")
    raised = run_import(folder / "lib1m.bib", str(million), env={"REFLIB_MAX_RECORDS": "1000000"}, timeout=3600)
    report.add("limits", "1M tiny BibTeX entries, REFLIB_MAX_RECORDS=1000000: imported, peak RSS",
               _figure(raised), "<1 GB, exit 0 (before: ~5.5 GB extrapolated; 200k took 1.19 GB, 117 s)")
    shutil.rmtree(folder, ignore_errors=True)
