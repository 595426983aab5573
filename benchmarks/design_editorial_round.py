"""Replays benchmarks/data/design-editorial-round.md: the editorial title rule as it was before the round and as the
round's variant (adopted: now library.evidence.design's rule) on every record of one part of the PubMed samples
(labelled or not), and on the audit's files when given.

``python -m benchmarks.design_editorial_round tune|report [AUDIT_DIR]`` lists every record whose design changes
(PMID, before -> after, title), for judging by hand. Nothing is changed on disk.
"""

from __future__ import annotations

import csv
import gzip
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import library.evidence.design as design
from benchmarks.bench_pubmed_sample import SAMPLES
from benchmarks.realdata import part_of
from library.evidence.patterns import compile_pattern
from library.model import Record

ROOT = Path(__file__).resolve().parent.parent
WIM = ROOT / "benchmarks" / "data" / "pubmed-2022-wim-sample.tsv.gz"
_PIECE = (r"(?:letters?|comments?|commentary|editorial|article|paper|authors?|critique|reviewers?|reply|response"
          r"|correspondence|\w+ et al)")
PHRASE = r"(?:response to|reply to|comment on|commentary on)"
LEAD = r"(?:(?:an?|in|our|(?:the )?authors'?)\s+)?"  # round 2
BEFORE = (r"^(editorial|comment(ary)?|letter|reply|response)\b"
          r"|\b(letter to the editor|in reply|reply to|response to|comment on|commentary on)\b")
VARIANT = (r"^(editorial|comment(ary)?|letter|reply|response)\b"
           r"|\b(letter to the editor|in reply)\b"
           rf"|^(?:re:\s*)?{LEAD}{PHRASE}\b"
           rf"|[:.\u2013\u2014-]\s+{LEAD}{PHRASE}\b"
           rf"|\b{PHRASE}(?:\s+\S+){{0,2}}?\s+{_PIECE}\b")


def sample_records(part: str) -> Iterator[Record]:
    csv.field_size_limit(1 << 26)
    seen: set[str] = set()
    for path in (*SAMPLES, WIM):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if part_of(row["pmid"]) != part or row["pmid"] in seen:
                    continue
                seen.add(row["pmid"])
                yield Record(key=f"pmid{row['pmid']}", pmid=row["pmid"], title=row["title"], abstract=row["abstract"])


def audit_records(folder: Path) -> Iterator[Record]:
    from ingest.readers import read_file

    seen: set[str] = set()
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".ris", ".bib", ".nbib", ".xml", ".json", ".csv", ".ciw", ".txt", ".isi",
                                       ".medline", ".scopus") or path.name.startswith("wos_"):
            continue
        try:
            records = read_file(path).records
        except Exception:  # an unreadable file of the audit is skipped
            continue
        for record in records:
            if record.title and record.title.casefold() not in seen:
                seen.add(record.title.casefold())
                yield record


@contextmanager
def variant(pattern: str) -> Iterator[None]:
    saved = design._TITLE["editorial"]
    design._TITLE["editorial"] = compile_pattern(pattern)
    try:
        yield
    finally:
        design._TITLE["editorial"] = saved


def changes(records: list[Record]) -> list[tuple[str, str, str, str]]:
    with variant(BEFORE):
        before = [design.detect_design(r).design for r in records]
    with variant(VARIANT):
        after = [design.detect_design(r).design for r in records]
    return [(r.pmid or r.doi or r.key, b, a, r.title) for r, b, a in zip(records, before, after, strict=True)
            if b != a]


def main(argv: list[str]) -> None:
    part = argv[0]
    groups = {f"PubMed samples, {part} part": list(sample_records(part))}
    if len(argv) > 1:
        groups["audit files"] = list(audit_records(Path(argv[1])))
    for name, records in groups.items():
        found = changes(records)
        print(f"== {name}: {len(records)} records, {len(found)} change")
        for identifier, before, after, title in found:
            print(f"  {identifier}\t{before} -> {after or '(none)'}\t{title[:150]}")


if __name__ == "__main__":
    main(sys.argv[1:])
