"""What ``reflib check`` reports about evidence and links (the store reports syntax and identifier validity).

Each problem is a dict ``{line, kind, key, message}`` (``line``: the record's first line in the .bib; 0 for
problems in the taxonomy or entries file, whose message starts with ``file:line``). Kinds:

unknown-entry       a study links to an entry slug that encyclopedia.toml does not define
citation-number     an entry's citations share a number, a citation has none, or one study has several numbers
                    in one entry (a merge of copies cited under different numbers keeps them all)
unknown-topic       a manual topic not in the taxonomy (automatic ones: run ``reflib classify``)
entry-topic         an entry names a topic the taxonomy does not define
no-topic            a study with neither manual nor automatic topics
missing-identifier  no DOI, PMID, PMCID, ISBN or URL: readers cannot find the study
unverified          fields still to check against a source (the record's ``unverified`` list)
retracted-cited     a retracted study is still cited by an entry
unknown-relation    a ``relations`` item names a key that is not in the library (or has no key)
invalid-value       design, level, stance, relevance or a relation kind outside their vocabularies
inconsistent-level  a level above what the study design allows for its question (OCEBM 2011) with no stated
                    ``level_reason``, or any OCEBM level on a preclinical (animal / in-vitro) study
taxonomy / entries  the taxonomy or entries file is missing or malformed

Links always point at a record of the library (they are stored on it, and ``reflib link`` refuses unknown keys),
so "unknown key" can only come from an entry slug; that is what ``unknown-entry`` catches. Related-record links
(``relations``) name other records by key, and a merge or a hand edit can leave one dangling:
``unknown-relation``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container
from typing import Any

import pandas as pd

from ..columns import arrow_data, is_arrow_backed
from ..fields import parse_relations
from ..model import RELATION_KINDS, EntryLink, Record
from ..store import Library
from .design import DESIGNS
from .editor import STANCES
from .encyclopedia import Encyclopedia, EntriesError, find_entries, load_entries
from .level import level_problem, parse_level
from .taxonomy import Taxonomy, TaxonomyError, find_taxonomy, load_taxonomy

__all__ = ["evidence_problems", "record_problems", "relation_problems"]

Problem = dict[str, Any]


def _problem(kind: str, message: str, key: str = "", line: int = 0) -> Problem:
    return {"line": line, "kind": kind, "key": key, "message": message}


def _value_problems(record: Record) -> list[tuple[str, str]]:
    found = []
    if record.design and record.design not in DESIGNS:
        found.append(("invalid-value", f"design {record.design!r} is not one of: {', '.join(DESIGNS)}"))
    for name in ("level", "level_auto"):
        value = getattr(record, name)
        if value:
            try:
                parse_level(value)
            except ValueError as exc:
                found.append(("invalid-value", f"{name}: {exc}"))
    if record.stance and record.stance not in STANCES:
        found.append(("invalid-value", f"stance {record.stance!r} is not one of: {', '.join(STANCES)}"))
    if record.relevance is not None and not 1 <= record.relevance <= 5:
        found.append(("invalid-value", f"relevance {record.relevance} is not between 1 and 5"))
    elif record.relevance is None and record.extra.get("relevance"):
        found.append(("invalid-value", f"relevance {record.extra['relevance']!r} is not a number from 1 to 5"))
    return found


def record_problems(record: Record, taxonomy: Taxonomy | None, entries: Encyclopedia | None) -> list[tuple[str, str]]:
    """(kind, message) pairs for one record; pure, so the dashboard can show them beside the record."""
    found: list[tuple[str, str]] = []
    if entries is not None:
        for link in record.links:
            if link.slug not in entries:
                found.append(("unknown-entry", f"{link.kind} in unknown encyclopedia entry {link.slug!r}"))
    if taxonomy is not None:
        for topic in record.topics:
            if topic not in taxonomy:
                found.append(("unknown-topic", f"topic {topic!r} is not in the taxonomy"))
        stale = [t for t in record.topics_auto if t not in taxonomy]
        if stale:
            found.append(("unknown-topic", f"automatic topics no longer in the taxonomy: {'; '.join(stale)} "
                                           "(run `reflib classify`)"))
    if not record.topics and not record.topics_auto:
        found.append(("no-topic", "no topic (tag one with `reflib tag`, or run `reflib classify`)"))
    if not (record.doi or record.pmid or record.pmcid or record.isbn or record.url):
        found.append(("missing-identifier", "no DOI, PMID, PMCID, ISBN or URL"))
    if record.verification == "unverified":
        found.append(("unverified", f"still to verify: {record.unverified}"))
    if record.retracted and record.cited_in():
        slugs = ", ".join(link.slug for link in record.cited_in())
        found.append(("retracted-cited", f"retracted but still cited in {slugs}"))
    found.extend(_value_problems(record))
    inconsistent = level_problem(record.effective_design, record.effective_level, record.level_reason)
    if inconsistent:
        hint = "" if record.level else " (an automatic level: run `reflib classify`)"
        found.append(("inconsistent-level", inconsistent + hint))
    return found


def relation_problems(record: Record, keys: Container[str]) -> list[tuple[str, str]]:
    """(kind, message) pairs for the record's ``relations``: unknown keys, items without a key, unknown kinds."""
    found: list[tuple[str, str]] = []
    for rel in record.relations:
        if not rel.key:
            found.append(("unknown-relation", f"relation {rel.kind!r} names no record (write `KIND KEY`)"))
            continue
        if rel.kind not in RELATION_KINDS:
            found.append(("invalid-value", f"relation kind {rel.kind!r} is not one of: {', '.join(RELATION_KINDS)}"))
        if rel.key not in keys:
            found.append(("unknown-relation", f"{rel.kind} {rel.key!r}: no record with that key in the library"))
    return found


def _citation_problems(records: list[Record], lines: dict[str, int]) -> list[Problem]:
    numbers: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    found = []
    for record in records:
        by_slug: dict[str, list[int]] = defaultdict(list)
        for link in record.cited_in():
            if link.number is not None:
                by_slug[link.slug].append(link.number)
        for slug, several in by_slug.items():
            if len(several) > 1:
                shown = " and ".join(f"#{n}" for n in sorted(several))
                found.append(_problem("citation-number", f"cited in {slug!r} as {shown}: one source, one number "
                                      f"(renumber the entry's text, then `reflib unlink {record.key} {slug} --as "
                                      "cited` and link it again with `--number N`)", record.key,
                                      lines.get(record.key, 0)))
        for link in record.cited_in():
            if link.number is None:
                found.append(_problem("citation-number", f"cited in {link.slug!r} without a number "
                                      "(relink with `reflib link KEY SLUG --as cited --number N`)",
                                      record.key, lines.get(record.key, 0)))
            else:
                numbers[link.slug][link.number].append(record.key)
    for slug, by_number in numbers.items():
        for number, keys in sorted(by_number.items()):
            for key in keys[1:]:
                found.append(_problem("citation-number", f"citation #{number} of {slug!r} is also "
                                      f"{keys[0]!r}; each number is one source", key, lines.get(key, 0)))
    return found


def _load_files(lib: Library) -> tuple[Taxonomy | None, Encyclopedia | None, list[Problem]]:
    found: list[Problem] = []
    taxonomy = entries = None
    tax_path, entries_path = find_taxonomy(lib.path), find_entries(lib.path)
    if tax_path is None:
        found.append(_problem("taxonomy", "no taxonomy.toml beside the library (or $REFLIB_TAXONOMY)"))
    else:
        try:
            taxonomy = load_taxonomy(tax_path)
        except TaxonomyError as exc:
            found.extend(_problem("taxonomy", str(p)) for p in exc.problems)
    if entries_path is None:
        found.append(_problem("entries", "no encyclopedia.toml beside the library (or $REFLIB_ENCYCLOPEDIA)"))
    else:
        try:
            entries = load_entries(entries_path)
        except EntriesError as exc:
            found.extend(_problem("entries", str(p)) for p in exc.problems)
    if taxonomy is not None and entries is not None:
        for entry in entries:
            for topic in entry.topics:
                if topic not in taxonomy:
                    found.append(_problem("entry-topic", f"{entries.path}:{entry.line}: entry {entry.slug!r} names "
                                          f"topic {topic!r}, which is not in the taxonomy"))
    return taxonomy, entries, found


_FRAME_COLUMNS = ("key", "line", "topics", "topics_manual", "design", "level", "stance", "relevance", "unverified",
                  "retracted", "doi", "pmid", "pmcid", "url", "cited_in", "discussed_in", "relations")


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    """A column as Python values; Arrow-backed columns convert in bulk (pandas' per-item iteration is 10x slower)."""
    column = frame[name]
    return arrow_data(column).to_pylist() if is_arrow_backed(column) else column.tolist()


def _frame_records(lib: Library) -> tuple[list[Record], dict[str, int]]:
    """Records as far as the frame knows them (fast: no BibTeX parsing), the full record only where the frame
    cannot answer: citation numbers, ISBNs of records without any other identifier, and the stated reason of a
    level above what the design allows.

    Materializing every record of a 100k library parses every entry (minutes); the frame is cached.
    """
    frame = lib.frame()
    columns = {name: _column(frame, name) for name in _FRAME_COLUMNS}
    records: list[Record] = []
    lines: dict[str, int] = {}
    for i, key in enumerate(columns["key"]):
        if not pd.isna(columns["line"][i]):
            lines[key] = int(columns["line"][i])
        row = {name: values[i] for name, values in columns.items()}
        if row["cited_in"] or not (row["doi"] or row["pmid"] or row["pmcid"] or row["url"]) \
                or level_problem(row["design"] or "", row["level"] or ""):  # the record says if it has a reason
            records.append(lib.get(key))
            continue
        manual = list(row["topics_manual"] or [])
        relevance = row["relevance"]
        records.append(Record(
            key=key, topics=manual, topics_auto=[t for t in row["topics"] or [] if t not in manual],
            design=row["design"] or "", level=row["level"] or "", stance=row["stance"] or "",
            relevance=None if pd.isna(relevance) else int(relevance), unverified=row["unverified"] or "",
            retracted=bool(row["retracted"]), doi=row["doi"] or "", pmid=row["pmid"] or "",
            pmcid=row["pmcid"] or "", url=row["url"] or "",
            links=[EntryLink(slug, "discussed") for slug in row["discussed_in"] or []],
            relations=parse_relations("; ".join(row["relations"] or []))))
    return records, lines


def evidence_problems(lib: Library) -> list[Problem]:
    """Every evidence and link problem of the library, file problems first, then records in file order."""
    taxonomy, entries, found = _load_files(lib)
    records, lines = _frame_records(lib)
    keys = {record.key for record in records}
    for record in records:
        found.extend(_problem(kind, message, record.key, lines.get(record.key, 0))
                     for kind, message in [*record_problems(record, taxonomy, entries),
                                           *relation_problems(record, keys)])
    found.extend(_citation_problems(records, lines))
    return found
