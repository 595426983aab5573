"""Bounded input (issue 21): peak RSS and time of ``reflib import`` on hostile files at full size, default limits.

The "before" figures in the targets are those measured on the code before the limits (same machine, same files).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .hostile_inputs import (
    TINY_FORMATS,
    Run,
    gzip_bomb,
    one_article_pubmed,
    one_line_medline,
    run_import,
    run_read,
    tiny_bibtex,
    tiny_records,
)
from .run import WORK, Report

# every reader, on small realistic records (title, one author, year, journal): READ records read alone, their
# peak RSS slope from SLOPE_FROM records extrapolated to a million (a million through every reader would take
# an hour); the refusal at the default limit (100,000) of a file of READ records; a whole import (match, keys,
# classify, save) of IMPORT MEDLINE records with --json, and with --screen (minutes each; the refusals are
# of IMPORT records too)
READ = 100_000
SLOPE_FROM = 10_000
IMPORT = 200_000
RAISED = {"REFLIB_MAX_RECORDS": "1000000"}
# before (issue 21, same machine, same files, 200k records): peak RSS (MB) of the refusal at the default limit,
# and of the whole import
_BEFORE_REFUSAL = {"bibtex": 218, "ris": 213, "wos": 205, "medline": 211, "csv": 294, "csl-json": 514,
                   "crossref-json": 517, "pubmed-xml": 213}
_BEFORE_IMPORT = {"medline": 630, "medline --json": 628, "medline --screen": 741}


def _figure(run: Run) -> str:
    return f"{run.rss_mb:,.0f} MB {run.seconds:.0f} s x{run.code}"


def _readers(report: Report, folder: Path) -> None:
    """Each reader alone: peak RSS per record read (slope), extrapolated to 1M; the refusal at the default limit."""
    for fmt in TINY_FORMATS:
        many = tiny_records(folder, fmt, IMPORT)
        refused = run_import(folder / "refused.bib", str(many))
        many.unlink()
        before = f" (before: {_BEFORE_REFUSAL[fmt]} MB)" if fmt in _BEFORE_REFUSAL else ""
        how = "streamed: at record limit + 1" if fmt == "pubmed-xml" else "before a record is built"
        report.add("limits", f"{IMPORT // 1000}k tiny {fmt} records, default limit: refused, peak RSS",
                   _figure(refused), f"<1 GB, exit 1, {how}{before}")
        small, big = tiny_records(folder, fmt, SLOPE_FROM), tiny_records(folder, fmt, READ)
        low, high = run_read(small, RAISED), run_read(big, RAISED)
        per_record = (high.rss_mb - low.rss_mb) * 1024 / (READ - SLOPE_FROM)
        million = high.rss_mb + per_record * (1_000_000 - READ) / 1024
        report.add("limits", f"{fmt} reader alone: kB per record ({SLOPE_FROM // 1000}k -> {READ // 1000}k), "
                   "1M extrapolated", f"{per_record:.2f} kB, {million:,.0f} MB ({high.seconds:.0f} s)",
                   f"<1 GB at 1M ({big.stat().st_size / 1e6:.0f} MB file at {READ // 1000}k)")
        small.unlink()
        big.unlink()


def _whole_imports(report: Report, folder: Path) -> None:
    """A whole import of realistic records (MEDLINE) with --json, and into the screening inbox."""
    records = tiny_records(folder, "medline", IMPORT)
    half = records.with_name("half.nbib")
    with records.open() as source, half.open("w") as target:
        target.write("".join(source.readline() for _ in range(IMPORT * 3)))  # 6 lines a record: the first half
    full = run_import(folder / "json.bib", "--json", str(records), env=RAISED, timeout=3600)
    low = run_import(folder / "half.bib", "--json", str(half), env=RAISED, timeout=3600)
    per_record = (full.rss_mb - low.rss_mb) * 1024 / (IMPORT // 2)
    report.add("limits", f"{IMPORT // 1000}k tiny MEDLINE records imported, --json report: peak RSS",
               _figure(full), f"<1 GB (before: {_BEFORE_IMPORT['medline --json']} MB)")
    report.add("limits", f"memory per imported MEDLINE record (slope {IMPORT // 2000}k -> {IMPORT // 1000}k), "
               "1M extrapolated", f"{per_record:.2f} kB, {full.rss_mb + per_record * (1e6 - IMPORT) / 1024:,.0f} MB",
               "<1 GB at 1M (open: the duplicate check's key table, ~1 kB a record)")
    screened = run_import(folder / "screen.bib", "--screen", str(records), env=RAISED, timeout=3600)
    report.add("limits", f"{IMPORT // 1000}k tiny MEDLINE records into the screening inbox: peak RSS",
               _figure(screened), f"<1 GB (before: {_BEFORE_IMPORT['medline --screen']} MB)")


def run(report: Report) -> None:
    folder = WORK / "limits"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    _readers(report, folder)
    _whole_imports(report, folder)
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
