"""Real evaluation data outside the repository (``/work/bench-data``, or ``$REFLIB_BENCH_DATA``), read the way a
user's import reads it, and the shared tune / report split.

Benchmarks that need it print "data absent" and skip when it is missing; tests never use it.
"""

from __future__ import annotations

import csv
import hashlib
import os
import pickle
from collections.abc import Iterable
from pathlib import Path

from benchmarks.run import WORK
from ingest.readers import read_file
from library.model import Record

__all__ = ["BENCH_DATA", "hsg_positive", "part_of", "pubmed_random"]

BENCH_DATA = Path(os.environ.get("REFLIB_BENCH_DATA", "/work/bench-data"))


def part_of(pmid: str) -> str:
    """The shared split rule (HELPERS.md): 'tune' when sha1(pmid) is even, else 'report'."""
    return "tune" if int(hashlib.sha1(pmid.encode()).hexdigest(), 16) % 2 == 0 else "report"


def _cached(files: Iterable[Path], name: str) -> dict[str, list[Record]] | None:
    files = list(files)
    if not files:
        return None
    stamp = [(f.name, f.stat().st_size, int(f.stat().st_mtime)) for f in files]
    cache = WORK / f"{name}.pickle"
    if cache.exists():
        try:
            saved = pickle.loads(cache.read_bytes())
            if saved["stamp"] == stamp and saved["fields"] == list(Record.__dataclass_fields__):
                return saved["records"]  # type: ignore[no-any-return]
        except Exception:  # an old or broken cache: read the files again
            pass
    records = {f.name: list(read_file(f).records) for f in files}
    WORK.mkdir(exist_ok=True)
    cache.write_bytes(pickle.dumps({"stamp": stamp, "fields": list(Record.__dataclass_fields__),
                                    "records": records}))
    return records


def pubmed_random() -> dict[str, list[Record]] | None:
    """File name -> records of ``pubmed-random/*.xml.gz`` (None when absent)."""
    return _cached(sorted((BENCH_DATA / "pubmed-random").glob("*.xml.gz")), "pubmed-random")


def hsg_positive() -> tuple[list[tuple[Record, dict[str, str]]], int] | None:
    """(record, label row) pairs of the hand-labelled HSG-area set, and how many labelled records the importer
    could not read (no title, author or DOI on the page they came from). None when absent."""
    folder = BENCH_DATA / "hsg-positive"
    labels_file = folder / "labels.csv"
    if not labels_file.is_file():
        return None
    with labels_file.open(encoding="utf-8", newline="") as handle:
        labels = list(csv.DictReader(handle))
    by_source = {row["source"]: row for row in labels if row["file"] == "records_pages.ris"}
    by_pmid = {row["pmid"]: row for row in labels if row["file"] == "pubmed_subset.xml"}
    pairs: list[tuple[Record, dict[str, str]]] = []
    for record in read_file(folder / "records_pages.ris").records:
        row = by_source.get(record.url)
        if row is not None:
            pairs.append((record, row))
    for record in read_file(folder / "pubmed_subset.xml").records:
        row = by_pmid.get(record.pmid)
        if row is not None:
            pairs.append((record, row))
    return pairs, len(labels) - len(pairs)
