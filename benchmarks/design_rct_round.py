"""Replays the RCT variants of benchmarks/data/design-rct-round2.md on one part of the labelled PubMed samples.

``python -m benchmarks.design_rct_round tune|report`` prints, per variant, the RCTs predicted, precision and
recall against the third party's rater, and new RCTs on records labelled systematic review, meta-analysis or
protocol. The variants swap the design module's sentence patterns for the run (nothing is changed on disk).
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import library.evidence.design as design
from benchmarks.bench_pubmed_sample import SAMPLES
from benchmarks.realdata import part_of
from library.evidence.patterns import compile_pattern
from library.model import Record

ROOT = Path(__file__).resolve().parent.parent
WIM = ROOT / "benchmarks" / "data" / "pubmed-2022-wim-sample.tsv.gz"
KINDS = ("randomized_trial", "systematic_review", "meta_analysis", "protocol")

V2 = (r"|\bmethods?\s*:\s*(?:a|an|in (?:a|an|this))\b[^.\n]*"
      r"|\bin (?:this|a|an) (?:[\w-]+,?\s+){0,8}(?:trial|study)\b[^.\n]*")
ALLOCATED = r"\b(?:were|was) (?:then |subsequently )?(?:randomi[sz]ed|randomly (?:assigned|allocated|divided))\b"
V4 = re.compile(ALLOCATED)
V6 = re.compile(ALLOCATED + r"[^.]{0,60}?(?:\b(?:to|into|between)\b|\b\d+\s*:\s*\d+\b)")


def labelled_rows() -> list[tuple[str, Record, dict[str, bool]]]:
    """(sample name, record, rater's labels) for every measured record of the three samples."""
    csv.field_size_limit(1 << 26)
    rows = []
    for path in (*SAMPLES, WIM):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if "2018" in path.name and not row.get("human"):
                    continue  # the 2018 rater did not label this record
                record = Record(key=f"pmid{row['pmid']}", pmid=row["pmid"], title=row["title"],
                                abstract=row["abstract"])
                rows.append((path.name, record, {k: row.get(k) == "1" for k in KINDS}))
    return rows


@contextmanager
def variant(statement_extra: str, body: re.Pattern[str] | None) -> Iterator[None]:
    """The design module with ``statement_extra`` added to its statement sentences and, when ``body`` is given,
    an allocation phrase anywhere in the abstract counted as an RCT statement (weak tier)."""
    saved_statement, saved_weak = design._STATEMENT, design._weak
    design._STATEMENT = compile_pattern(design.STATEMENT + statement_extra)

    def weak(record: Record) -> list[tuple[str, str]]:
        found = saved_weak(record)
        match = body.search(record.abstract[:design.MAX_TEXT].lower()) if body is not None else None
        if match:
            found.append(("rct", f"abstract says {match.group(0)!r}"))
        return found

    design._weak = weak
    try:
        yield
    finally:
        design._STATEMENT, design._weak = saved_statement, saved_weak


VARIANTS: dict[str, tuple[str, re.Pattern[str] | None]] = {
    "current": ("", None), "V2": (V2, None), "V4": ("", V4), "V6": ("", V6), "V5": (V2, V4), "V7": (V2, V6),
}


def _hits(rows: list[tuple[str, Record, dict[str, bool]]], expected: list[bool], said: list[bool]) -> tuple[int, int]:
    """(records said and expected, records said that the rater labelled a systematic review, meta-analysis or
    protocol)."""
    hits = sum(e and s for e, s in zip(expected, said, strict=True))
    wrong_kind = sum(s and (lab["systematic_review"] or lab["meta_analysis"] or lab["protocol"])
                     for s, (_, _, lab) in zip(said, rows, strict=True))
    return hits, wrong_kind


def measure(rows: list[tuple[str, Record, dict[str, bool]]], name: str,
            show: Callable[[str], None] = print) -> list[str]:
    extra, body = VARIANTS[name]
    with variant(extra, body):
        predicted = [design.detect_design(record).design for _, record, _ in rows]
    expected = [labels["randomized_trial"] for _, _, labels in rows]
    said = [p == "rct" for p in predicted]
    hits, wrong_kind = _hits(rows, expected, said)
    show(f"{name}: {len(rows)} records, rater {sum(expected)} RCTs, predicted {sum(said)}, "
         f"precision {hits / max(sum(said), 1):.3f}, recall {hits / max(sum(expected), 1):.3f}, "
         f"false {sum(said) - hits} ({(sum(said) - hits) / len(rows) * 10000:.0f} per 10,000), "
         f"RCT on SR/MA/protocol {wrong_kind}")
    return predicted


def main(part: str, names: list[str]) -> None:
    rows = [row for row in labelled_rows() if part_of(row[1].pmid) == part]
    for name in names or list(VARIANTS):
        measure(rows, name)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])


SPLIT = re.compile(r"\b(?:training|validation|testing|test|derivation|development)\b")


def suggestion(record: Record, guess: str) -> str:
    """Rule S of the round's document, as replayed here (the product's rule lives in library.evidence.design)."""
    if guess:
        return ""
    text = record.abstract[:design.MAX_TEXT].lower()
    for match in V6.finditer(text):
        end = text.find(".", match.end())
        if not SPLIT.search(text, match.start(), end if end >= 0 else len(text)):
            return "rct"
    return ""


def measure_suggestions(part: str) -> None:
    rows = [row for row in labelled_rows() if part_of(row[1].pmid) == part]
    guesses = measure(rows, "current", lambda s: None)
    said = [suggestion(record, g) == "rct" and g != "preclinical"
            for (_, record, _), g in zip(rows, guesses, strict=True)]
    expected = [lab["randomized_trial"] for _, _, lab in rows]
    open_rcts = sum(e and not g for e, g in zip(expected, guesses, strict=True))
    hits, wrong_kind = _hits(rows, expected, said)
    print(f"suggestions ({part}): {sum(said)} suggested, {hits} of them the rater's RCTs "
          f"(precision {hits / max(sum(said), 1):.3f}); rater RCTs with no design {open_rcts}, suggested {hits} "
          f"({hits / max(open_rcts, 1):.3f}); on SR/MA/protocol {wrong_kind}; "
          f"{sum(said) / len(rows) * 10000:.0f} suggestions per 10,000 records")


def measure_kinds(part: str) -> None:
    """Protocol and systematic review / meta-analysis figures of the current rules on one part (protocol round)."""
    rows = [row for row in labelled_rows() if part_of(row[1].pmid) == part]
    guesses = [design.detect_design(record).design for _, record, _ in rows]
    for name, keys, designs in (("protocol", ("protocol",), {"protocol"}),
                                ("SR/MA", ("systematic_review", "meta_analysis"),
                                 {"systematic-review", "meta-analysis"})):
        expected = [any(lab[k] for k in keys) for _, _, lab in rows]
        said = [g in designs for g in guesses]
        hits = sum(e and s for e, s in zip(expected, said, strict=True))
        print(f"{name} ({part}, {len(rows)} records): rater {sum(expected)}, predicted {sum(said)}, found {hits}, "
              f"false {sum(said) - hits}, precision {hits / max(sum(said), 1):.3f}, "
              f"recall {hits / max(sum(expected), 1):.3f}")
