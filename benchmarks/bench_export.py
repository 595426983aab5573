"""Export speed: 10k records in each data format (target <= 2 s each) and the formatted styles' rate.

Input: the synthetic library of :mod:`benchmarks.synth` (1.5 KB journal articles with structured abstracts,
accented names), loaded once; only the export itself is timed (best of 3, CPU time of this process so that other
jobs on the machine do not distort it; records already in memory).
citeproc-py is far slower than the data formats, so the styles are measured on 500 records in one bibliography
(styles parsed and cached beforehand; the parse is reported separately) and the 10k time is extrapolated.
"""

from __future__ import annotations

import time

from benchmarks.run import WORK, Report
from benchmarks.synth import write_library

N_RECORDS = 10_000
N_FORMATTED = 500


def _best(func: object, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        func()  # type: ignore[operator]
        best = min(best, time.process_time() - started)
    return best


def run(report: Report) -> None:
    from library import Library
    from library.export import DATA_FORMATS, STYLE_FORMATS, export_records
    from library.export.citeproc import _style

    path = write_library(WORK / "export-10k.bib", N_RECORDS, seed=11)
    records = list(Library.load(path, use_cache=False).records())
    for fmt in DATA_FORMATS:
        seconds = _best(lambda fmt=fmt: export_records(records, fmt))
        size = len(export_records(records, fmt).text.encode("utf-8")) / 1e6
        report.add("export", f"{N_RECORDS:,} records -> {fmt} ({size:.1f} MB)", f"{seconds:.2f} s", "<= 2 s")
    sample = records[:N_FORMATTED]
    for style in STYLE_FORMATS:
        _style.cache_clear()
        parse = _best(lambda style=style: _style(style), repeat=1)  # cache just cleared: a real parse
        seconds = _best(lambda style=style: export_records(sample, style), repeat=1)
        rate = N_FORMATTED / seconds
        report.add("export", f"{style}: formatted references (citeproc-py, one bibliography)",
                   f"{rate:,.0f} rec/s", f"10k ~{N_RECORDS / rate:.0f} s")
        report.add("export", f"{style}: first use (parse CSL style + locale, then cached)",
                   f"{parse * 1000:.0f} ms", "")
