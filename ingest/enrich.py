"""Enrichment that never destroys: fill what a record lacks from PubMed and Crossref, flag retractions.

Rules (:func:`enrich_record`, pure):

* Only empty fields are filled (abstract, MeSH, PMID from the DOI, DOI and PMCID from PubMed, journal
  abbreviation, pages ...). Publication types and keywords are merged (added, never removed).
* An existing author list or title is never replaced unless ``force`` is given; with ``force`` other differing
  bibliographic fields are replaced too. A replaced value is kept in ``provenance`` (``field: old value (before
  enrich from PubMed, DATE)``); without ``force`` a differing value is only reported.
* ``protect`` is honored: listed fields are never touched; ``*`` leaves the whole record alone (a retraction
  found for such a record is still reported).
* A fetched record whose DOI or PMID contradicts the library's is not used at all.
* ``retracted`` is set when PubMed lists the study as a "Retracted Publication" or has a RetractionIn comment
  (or Crossref has a retraction update); it is never cleared.

:func:`fetch_enrichment` does the I/O: EFetch for records with a PMID, ESearch ``DOI[doi]`` for records with a
DOI only, then Crossref ``/works/{doi}`` for those PubMed does not have.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from library.identifiers import InvalidIdentifier, normalize_doi, normalize_pmid
from library.model import Record

from .crossref import Crossref
from .http import NotFound
from .pubmed import BATCH_SIZE, PubMed

__all__ = ["ENRICHABLE", "Enrichment", "enrich_record", "fetch_enrichment"]

ENRICHABLE = ("authors", "title", "journal", "journal_abbrev", "booktitle", "publisher", "year", "month",
              "volume", "issue", "pages", "doi", "pmid", "pmcid", "issn", "isbn", "abstract", "mesh", "language",
              "note")
_MERGED_LISTS = ("pubtypes", "keywords")
_IDENTIFIERS = ("doi", "pmid", "pmcid")
DOI_SEARCH_CHUNK = 20


@dataclass(slots=True)
class Enrichment:
    key: str
    source: str = ""
    filled: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)  # kept as they are (no --force, or protected)
    retracted: bool = False  # newly flagged
    note: str = ""  # why nothing was done, when nothing was

    @property
    def changed(self) -> bool:
        return bool(self.filled or self.replaced or self.retracted)


def _empty(value: object) -> bool:
    return value in ("", None, [])


def _key_of(kind: str, value: str) -> str:
    if not value:
        return ""
    try:
        return normalize_doi(value).lower() if kind == "doi" else normalize_pmid(value) if kind == "pmid" \
            else value.strip().upper()
    except InvalidIdentifier:
        return value.strip().lower()


def _shown(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(a.display() if hasattr(a, "display") else str(a) for a in value)
    return str(value)


def enrich_record(existing: Record, fetched: Record, *, source: str, force: bool = False,
                  today: str | None = None) -> tuple[Record, Enrichment]:
    """(the enriched copy, what changed); ``existing`` itself is not modified."""
    change = Enrichment(existing.key, source)
    record = existing.copy()
    for kind in _IDENTIFIERS:
        mine, theirs = _key_of(kind, getattr(existing, kind)), _key_of(kind, getattr(fetched, kind))
        if mine and theirs and mine != theirs:
            change.note = f"{source} record has a different {kind.upper()} ({getattr(fetched, kind)}); not used"
            return record, change
    whole = "*" in existing.protect
    if fetched.retracted and not existing.retracted:
        if whole or "retracted" in existing.protect:
            change.note = f"{source} lists it as retracted, but the record is protected; not flagged"
        else:
            record.retracted = True
            change.retracted = True
    if whole:
        change.note = change.note or "protected (protect = *); left as it is"
        return record, change
    stamp = today or dt.date.today().isoformat()
    for name in ENRICHABLE:
        mine, theirs = getattr(record, name), getattr(fetched, name)
        if _empty(theirs) or name in existing.protect:
            if not _empty(theirs) and not _empty(mine) and mine != theirs:
                change.differing.append(name)
            continue
        if _empty(mine):
            setattr(record, name, list(theirs) if isinstance(theirs, list) else theirs)
            change.filled.append(name)
        elif mine != theirs and _shown(mine).casefold() != _shown(theirs).casefold():
            if force and name not in _IDENTIFIERS and name != "abstract":
                entry = f"{name}: {_shown(mine)} (before enrich from {source}, {stamp})"
                record.provenance = f"{record.provenance}; {entry}" if record.provenance else entry
                setattr(record, name, list(theirs) if isinstance(theirs, list) else theirs)
                change.replaced.append(name)
            elif name != "note":
                change.differing.append(name)
    for name in _MERGED_LISTS:
        if name in existing.protect:
            continue
        mine_list: list[str] = getattr(record, name)
        added = [v for v in getattr(fetched, name) if v not in mine_list]
        if added:
            setattr(record, name, [*mine_list, *added])
            change.filled.append(name)
    return record, change


Progress = Callable[[int], None]


def _pubmed_by_pmid(pubmed: PubMed, pmids: Sequence[str], progress: Progress | None) -> dict[str, Record]:
    found: dict[str, Record] = {}
    for start in range(0, len(pmids), BATCH_SIZE):
        batch = list(pmids[start:start + BATCH_SIZE])
        _data, result = pubmed.fetch_xml(batch, label=f"PubMed enrichment batch {start // BATCH_SIZE + 1}")
        for record in result.records:
            found[record.pmid] = record
        if progress is not None:
            progress(len(batch))
    return found


def _pmids_for_dois(pubmed: PubMed, dois: Sequence[str]) -> list[str]:
    pmids: list[str] = []
    for start in range(0, len(dois), DOI_SEARCH_CHUNK):
        chunk = dois[start:start + DOI_SEARCH_CHUNK]
        term = " OR ".join(f'"{doi}"[doi]' for doi in chunk)
        pmids += pubmed.search(term, max_results=len(chunk) * 2, history=False).ids
    return pmids


def fetch_enrichment(records: Sequence[Record], pubmed: PubMed, crossref: Crossref | None, *,
                     progress: Progress | None = None) -> dict[str, tuple[str, Record]]:
    """key -> (source name, fetched record) for every record a source knows (matched on PMID or DOI)."""
    by_pmid = {_key_of("pmid", r.pmid): r.key for r in records if r.pmid}
    by_doi = {r.doi_key: r.key for r in records if r.doi_key}
    doi_only = [r.doi for r in records if r.doi_key and not r.pmid]
    pmids = list(by_pmid)
    if doi_only:
        pmids += [p for p in _pmids_for_dois(pubmed, doi_only) if p not in by_pmid]
    out: dict[str, tuple[str, Record]] = {}
    for pmid, fetched in _pubmed_by_pmid(pubmed, pmids, progress).items():
        key = by_pmid.get(pmid) or by_doi.get(fetched.doi_key)
        if key:
            out[key] = ("PubMed", fetched)
    if crossref is not None:
        for record in records:
            if record.key in out or not record.doi_key:
                continue
            try:
                _body, result = crossref.work(record.doi)
            except NotFound:
                continue
            if result.records:
                out[record.key] = ("Crossref", result.records[0])
            if progress is not None:
                progress(1)
    return out
