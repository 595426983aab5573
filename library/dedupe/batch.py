"""An incoming batch (an import) against the library and against itself, under the one decision.

:func:`match_batch` compares every incoming record with the library records *and* with the other incoming
records it shares a blocking key with (the same candidate generation and rules as ``reflib dedupe``), and
returns the pairs the rules say something about: ``auto`` (sure), ``review`` (maybe) or ``veto`` (a known trap).
Pairs whose identifiers differ are dropped before any comparison (a vectorized veto: a PubMed batch of 20,000
records is never compared record by record with itself); a caller that joins records must therefore check
identifiers itself when it joins groups (:func:`identifier_conflict`).

:func:`identical_records` finds incoming records that are field for field a record of the library already (a
re-import of the same file, or of a file reflib exported): those are present, whatever their title says
("Correction" is identical to "Correction" only when every identifying field is the same, both ways).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..export.bibtex import KIND_TYPES
from ..export.parts import kind_of
from ..model import Record
from .blocking import candidate_pairs
from .combine import canonical, merge_records
from .comparison_keys import doi_version_base
from .find import PairEvidence, _assess
from .table import build_table, columns_from_frame, columns_from_records, fold_many

__all__ = ["IDENTITY_FIELDS", "Link", "identical_records", "identifier_conflict", "match_batch"]


@dataclass(frozen=True, slots=True)
class Link:
    """What the rules say about incoming record ``index`` and ``other``: a library key (str) or the position
    of another incoming record (int, always smaller than ``index``)."""

    index: int
    other: str | int
    decision: str  # auto | review | veto
    evidence: PairEvidence


def _differ(column: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    a, b = column[left], column[right]
    return (a != "") & (b != "") & (a != b)


def match_batch(incoming: Sequence[Record], existing: Sequence[Record] | pd.DataFrame) -> list[Link]:
    """The auto, review and veto pairs of each incoming record with the library and with earlier incoming
    records (see the module docstring); O(n) like :func:`~library.dedupe.find.find_duplicates`."""
    if not len(incoming):
        return []
    n_existing = len(existing)
    columns = columns_from_frame(existing) if isinstance(existing, pd.DataFrame) else columns_from_records(existing)
    arriving = columns_from_records(incoming)  # an incoming record is named incoming[N] (see label below)
    combined = columns + arriving if n_existing else arriving
    del columns, arriving  # only the combined columns are held while the table is built
    table = build_table(combined, consume=True)
    del combined
    pairs = candidate_pairs(table)
    pairs = pairs[pairs[:, 1] >= n_existing]  # (i < j): at least one incoming record in each pair
    left, right = pairs[:, 0], pairs[:, 1]
    same_pmid = (table.pmid[left] == table.pmid[right]) & (table.pmid[left] != "")
    versions = same_pmid & (table.doi_base[left] == table.doi_base[right])
    conflict = ((_differ(table.doi, left, right) & ~versions) | _differ(table.pmid, left, right)
                | _differ(table.pmcid, left, right))
    verdicts, _, _ = _assess(table, pairs[~conflict])
    def label(n: int) -> str:
        return str(table.keys[n]) if n < n_existing else f"incoming[{n - n_existing}]"

    links = []
    for i, j, verdict in verdicts:
        if j < n_existing:
            continue  # a pointer in a title note may name two library records
        other: str | int = label(i) if i < n_existing else i - n_existing
        evidence = PairEvidence(label(i), label(j), verdict.tier, verdict.score, verdict.decision, verdict.reasons)
        links.append(Link(j - n_existing, other, verdict.decision, evidence))
    return links


def identifier_conflict(a: dict[str, set[str]], b: dict[str, set[str]]) -> bool:
    """Two groups of records that hold different DOIs (up to a version suffix), PMIDs or PMCIDs."""
    return any(a.get(kind) and b.get(kind) and a[kind] != b[kind] for kind in ("doi", "pmid", "pmcid"))


def identifiers_of(record: Record) -> dict[str, set[str]]:
    """A record's identifiers in their comparison form (the DOI without a version suffix)."""
    found = {"doi": str(canonical("doi", record.doi)), "pmid": str(canonical("pmid", record.pmid)),
             "pmcid": str(canonical("pmcid", record.pmcid))}
    found["doi"] = doi_version_base(found["doi"])
    return {kind: {value} for kind, value in found.items() if value}


# the fields that say which item a record is: identical records agree on every one of them, both ways
IDENTITY_FIELDS = ("entry_type", "title", "authors", "year", "journal", "booktitle", "volume", "issue", "pages",
                   "doi", "pmid", "pmcid")


def _identity(record: Record) -> tuple[object, ...]:
    """The identifying fields in comparison form; the entry type as its kind of work (``report`` =
    ``techreport``, ``online`` = ``www``): a BibTeX or RIS export writes the other name of the same type."""
    kind = kind_of(record)
    if kind == "misc":
        kind = record.entry_type.lower()  # unknown types: only the same name is the same
    elif kind not in KIND_TYPES:  # a web page, dataset, software: BibTeX has no such type, its export writes @misc
        kind = "misc"
    return tuple(kind if name == "entry_type" else canonical(name, getattr(record, name)) for name in IDENTITY_FIELDS)


def _quick(title: str, year: object) -> tuple[str, str]:
    return title, "" if year is None or year is pd.NA else str(int(year))  # type: ignore[call-overload]


def identical_records(incoming: Sequence[Record], frame: pd.DataFrame, get: object) -> dict[int, str]:
    """Incoming position -> key of a library record that is the same entry: every identifying field the same
    (both ways), and nothing else of the incoming record that the library record lacks or has otherwise.

    ``frame`` is the library's pandas view (read for titles and years only); ``get(key)`` returns a library
    record. Linear: each library record whose title and year occur in the batch is read once.
    """
    if not len(incoming) or not len(frame):
        return {}
    wanted: dict[tuple[str, str], list[int]] = {}
    quick = [(r.title, r.year) for r in incoming]  # one pass: a packed RecordList builds each record once
    for n, title in enumerate(fold_many([title for title, _ in quick])):
        wanted.setdefault(_quick(title, quick[n][1]), []).append(n)
    del quick
    titles = fold_many([str(t) if isinstance(t, str) else "" for t in frame["title"].tolist()])
    by_identity: dict[tuple[object, ...], str] = {}
    seen: dict[tuple[str, str], None] = {}  # the quick keys of library records, in frame order
    for key, title, year in zip(frame["key"].tolist(), titles, frame["year"].tolist(), strict=True):
        if (found_key := _quick(title, year)) in wanted:
            seen[found_key] = None
            by_identity.setdefault(_identity(get(str(key))), str(key))  # type: ignore[operator]
    found: dict[int, str] = {}
    for positions in (wanted[k] for k in seen):  # incoming records no library record shares title+year with
        for n in positions:                      # cannot be identical to one
            key = by_identity.get(_identity(incoming[n]))
            if key is None:
                continue
            outcome = merge_records(get(key), [incoming[n]], absorb=False)  # type: ignore[operator]
            if not outcome.filled and not outcome.differing:
                found[n] = key
    return found
