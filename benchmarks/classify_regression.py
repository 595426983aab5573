"""Proof that the fast paths of classification change no result (issue 15: a 10,000-word abstract in <= 1 ms).

Classification skips work it can prove useless: topic rules none of whose literals occur in the record
(:mod:`library.evidence.literals`), the word count of the species rules when no animal or laboratory word occurs,
and design statements are found by literal-led alternatives. :func:`reference_mode` switches all three off, which
is the classification as it was before them; :func:`outcome` is everything a user sees of a record's
classification (topics, suggestions, design, level, every reason, and ``--explain``'s lines). The test
(tests/test_classify_fast_paths.py) compares both on a committed sample of real records, ``make bench`` on every
readable record of ../shared/corpus and the bundled library.
"""

from __future__ import annotations

import gzip
import json
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from ingest.readers import read_file
from library.evidence import design, species
from library.evidence.classify import classify_record, explain
from library.evidence.literals import LiteralScan
from library.evidence.taxonomy import Taxonomy
from library.model import Record
from library.store import Library

__all__ = ["SAMPLE", "corpus_records", "load_sample", "outcome", "reference_mode"]

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "benchmarks" / "data" / "classify-sample.jsonl.gz"
# the design-statement expression as one alternation, scanned with re.finditer: how statements were found before
_OLD_STATEMENT = re.compile(
    r"\b(?:(?:study )?design\s*:|we (?:conducted|performed|undertook|carried out|report|present|designed|did) "
    r"(?:a|an)\b|th(?:is|e present) (?:was|is) (?:a|an)\b)[^.\n]*")
_FIELDS = ("key", "title", "abstract", "keywords", "mesh", "pubtypes", "journal", "doi", "language", "pmid")




@contextmanager
def reference_mode(taxonomy: Taxonomy) -> Iterator[None]:
    """Classification without its fast paths, as it was before them (for comparisons only)."""
    saved = taxonomy.__dict__.get("scan")
    taxonomy.__dict__["scan"] = LiteralScan(())  # no literal scanned: every rule is searched
    try:
        with mock.patch.object(species, "has_trigger", lambda text: True), \
                mock.patch.object(design, "statements",
                                  lambda text: [m.group(0) for m in _OLD_STATEMENT.finditer(text)]):
            yield
    finally:
        if saved is None:
            taxonomy.__dict__.pop("scan", None)
        else:
            taxonomy.__dict__["scan"] = saved


def outcome(record: Record, taxonomy: Taxonomy, with_explain: bool = True) -> tuple[object, ...]:
    """Everything classification says about a record: automatic fields, reasons, and ``--explain`` lines."""
    out = classify_record(record, taxonomy)
    lines = tuple(explain(record, taxonomy)) if with_explain else ()
    return (tuple(out.topics_auto), tuple(out.topics_suggested), out.design_auto, out.level_auto,
            tuple(out.reasons_auto), lines)


def corpus_records(corpus: Path) -> list[tuple[str, Record]]:
    """(source, record) for the bundled library and every file of ``corpus`` the importer reads (the CSL test
    suite's fixtures are not bibliographic files and are left out)."""
    out = [("references.bib", r) for r in Library.load(ROOT / "references.bib", use_cache=False).records()]
    for path in sorted(corpus.rglob("*")):
        if not path.is_file() or path.name == "PROVENANCE.md" or "citation-style-language-test-suite" in path.parts:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                records = read_file(path).records
        except Exception:  # unreadable or not bibliographic: not part of the comparison
            continue
        source = str(path.relative_to(corpus))
        out.extend((source, r) for r in records)
    return out


def load_sample(path: Path = SAMPLE) -> list[Record]:
    """The committed sample (one JSON object per record: the fields classification reads)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [Record(**{"key": "", **{k: v for k, v in json.loads(line).items() if k in _FIELDS}})
                for line in handle if line.strip()]


def sample_row(source: str, record: Record) -> dict[str, object]:
    row: dict[str, object] = {"source": source}
    for name in _FIELDS:
        value = getattr(record, name)
        if value:
            row[name] = list(value) if isinstance(value, (list, tuple)) else value
    return row
