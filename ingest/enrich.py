"""Enrichment that never destroys: fill what a record lacks from PubMed and Crossref, flag retractions.

Rules (:func:`enrich_record`, pure):

* The fetched record is used only when it is surely the same publication
  (:func:`library.dedupe.same_publication`, the decision import and dedupe use): its PMID or DOI is the record's,
  and its title and authors agree. Otherwise nothing is used and the reason is reported ("likely a wrong
  identifier: the same PMID, but the titles differ"); a retraction the source lists is reported, not flagged.
* The one merge rule (:func:`library.dedupe.merge_records`): only empty fields are filled (abstract, MeSH, PMID
  from the DOI, DOI and PMCID from PubMed, journal abbreviation, pages ...); publication types, keywords and MeSH
  are merged (added, never removed); values equal under the same-value rule are not differences.
* An existing value (title, authors ...) is never replaced unless ``force`` is given; a replaced value is kept in
  ``provenance`` (``field: old value (replaced by PubMed, DATE)``); without ``force`` a differing value is only
  reported. Identifiers and abstracts are never replaced.
* ``protect`` is honored: listed fields are never touched; ``*`` leaves the whole record alone (a retraction
  found for such a record is still reported).
* ``retracted`` is set when PubMed lists the study as a "Retracted Publication" or has a RetractionIn comment
  (or Crossref has a retraction update); it is never cleared.

:func:`fetch_enrichment` does the I/O: EFetch for records with a PMID, ESearch ``DOI[doi]`` for records with a
DOI only, then Crossref ``/works/{doi}`` for those PubMed does not have.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from library.dedupe import same_publication
from library.dedupe.combine import BIBLIOGRAPHIC, canonical, merge_records
from library.journals import fill_journal_abbrev
from library.model import Record

from .crossref import Crossref
from .http import NotFound
from .pubmed import BATCH_SIZE, PubMed

__all__ = ["ENRICHABLE", "Enrichment", "enrich_record", "fetch_enrichment"]

ENRICHABLE = BIBLIOGRAPHIC
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


def enrich_record(existing: Record, fetched: Record, *, source: str, force: bool = False,
                  today: str | None = None) -> tuple[Record, Enrichment]:
    """(the enriched copy, what changed); ``existing`` itself is not modified."""
    change = Enrichment(existing.key, source)
    record = existing.copy()
    decision = same_publication(existing, fetched)
    if not decision.same:
        listed = " (it lists the study as retracted: check the identifier)" if fetched.retracted else ""
        change.note = f"{source} record not used: {decision.reasons[0]}{listed}"
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
    outcome = merge_records(record, [fetched], source=source, absorb=False, note_conflicts=False, replace=force,
                            today=today)
    change.filled, change.replaced, change.differing = outcome.filled, outcome.replaced, outcome.differing
    if fill_journal_abbrev(outcome.record):  # the NLM list, when neither the record nor the source had one
        change.filled.append("journal_abbrev")
    return outcome.record, change


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
    by_pmid = {str(canonical("pmid", r.pmid)): r.key for r in records if r.pmid}
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
