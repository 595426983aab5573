"""Import speed: BibTeX with LaTeX decoding (target >= 3,000 records/s) and RIS (target >= 10,000 records/s).

Inputs: the synthetic 1.5 KB journal articles of :mod:`benchmarks.synth` (names and journals rewritten with
LaTeX accents and escapes so that decoding is exercised), the same records written as RIS, and real exports
from ../shared/corpus when present (TUGboat's BibTeX bibliography, a Scopus RIS export repeated).
Figures are read + normalize (records ready for the importer); "import" adds matching and keying. Rates are
records per CPU-second of this process (``time.process_time``), so that other work on a shared machine does not
distort them; the machine reference line tells how fast this machine runs plain Python.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.run import WORK, Report
from benchmarks.synth import make_entry

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "github"
_LATEX = {"ü": '{\\"u}', "é": "{\\'e}", "è": "{\\`e}", "í": "{\\'i}", "ø": "{\\o}", "Ø": "{\\O}", "ç": "{\\c c}",
          "á": "{\\'a}", "ö": '{\\"o}'}


def synthetic_bibtex(n: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    text = "".join(make_entry(i, rng) + "\n" for i in range(n))
    text = re.sub("|".join(_LATEX), lambda m: _LATEX[m.group()], text)
    text = re.sub(r"(?m)^(  title +=.*?)\b(sonography|trial)\b", r"\1{\\emph{\2}}", text)  # LaTeX in titles
    return text.replace("Rui", "R{\\'u}i").replace("hysterosalpingography", "{HSG}").encode("utf-8")


def synthetic_ris(n: int, seed: int = 7) -> bytes:
    from ingest.readers.bibtex import read_bibtex

    records = read_bibtex(synthetic_bibtex(min(n, 2000), seed), "synth").records
    out = []
    for i in range(n):
        r = records[i % len(records)]
        lines = ["TY  - JOUR", *(f"AU  - {a.family}, {a.given}" for a in r.authors), f"TI  - {r.title}",
                 f"T2  - {r.journal}", f"PY  - {r.year}", f"VL  - {r.volume}", f"IS  - {r.issue}",
                 f"SP  - {r.pages.split('--')[0]}", f"EP  - {r.pages.split('--')[-1]}", f"DO  - 10.9999/ris.{i}",
                 f"AB  - {r.abstract.replace(chr(10), ' ')}", "KW  - hysterosalpingography", "KW  - tubal patency",
                 "LA  - English", "DB  - Scopus", "ER  - ", ""]
        out.append("\n".join(lines))
    return "\n".join(out).encode("utf-8")


def _rate(read: Callable[[bytes, str], object], data: bytes, count: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        read(data, "bench")
        best = min(best, time.process_time() - started)
    return count / best


def run(report: Report) -> None:
    from ingest.importer import import_records
    from ingest.readers.bibtex import read_bibtex
    from ingest.readers.ris import read_ris
    from library.store import Library

    started = time.process_time()
    sum(range(10**6))
    report.add("import", "machine reference: sum(range(10**6)), CPU time (10-15 ms on a current desktop CPU)",
               f"{(time.process_time() - started) * 1000:.0f} ms", "")
    n = 10_000
    bib = synthetic_bibtex(n)
    report.add("import", f"BibTeX read+decode+normalize, {n:,} synthetic 1.5 KB entries",
               f"{_rate(read_bibtex, bib, n):,.0f} rec/s", ">= 3,000 rec/s")
    tugboat = SHARED / "plk-biber" / "etc" / "tugboat.bib"
    if tugboat.exists():
        data = tugboat.read_bytes()
        count = len(read_bibtex(data, "tugboat").records)
        report.add("import", f"BibTeX read, real TUGboat bibliography ({count:,} entries, LaTeX-heavy)",
                   f"{_rate(read_bibtex, data, count):,.0f} rec/s", ">= 3,000 rec/s")
    ris = synthetic_ris(n)
    report.add("import", f"RIS read+normalize, {n:,} synthetic records",
               f"{_rate(read_ris, ris, n):,.0f} rec/s", ">= 10,000 rec/s")
    scopus = SHARED / "mjwestgate-synthesisr" / "inst" / "extdata" / "scopus.ris"
    if scopus.exists():
        data = scopus.read_bytes() * 50
        count = len(read_ris(data, "scopus").records)
        report.add("import", f"RIS read, real Scopus export x50 ({count:,} records, long abstracts)",
                   f"{_rate(read_ris, data, count):,.0f} rec/s", ">= 10,000 rec/s")
    records = read_ris(ris, "bench").records
    WORK.mkdir(exist_ok=True)
    path = WORK / "import-target.bib"
    path.unlink(missing_ok=True)
    lib = Library.create(path)
    started = time.process_time()
    result = import_records(lib, records, source="bench")
    elapsed = time.process_time() - started
    report.add("import", f"import_records into an empty library ({len(result.added):,} added)",
               f"{len(records) / elapsed:,.0f} rec/s", "")
