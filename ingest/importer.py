"""Put read records into a library: match, merge (fill empty fields only), key, tag, link - and report it.

Rules (the contract other parts rely on):

* Matching, in this order: DOI (case-insensitive, :attr:`Record.doi_key`), PMID, PMCID; then - so that
  re-importing a file whose records have no identifiers adds nothing - the exact normalized title (letters and
  digits, case- and accent-folded) with the same year and first author family name, but never across two
  different values of the same identifier; then the optional ``matcher(record, lib) -> key | None`` hook
  (the dedupe module's fuzzy matching plugs in there). Identifiers that point at two different records are
  not guessed between: the incoming record is skipped and both keys are named.
* Merging fills empty fields of the existing record only. A non-empty field is never overwritten, the key never
  changes, protected fields (``protect``; ``*`` = whole record) are not filled. A differing value is a
  conflict: listed in the report and kept in the record's ``provenance`` as ``field: value (source)``
  (abstracts are only listed, not copied).
* New records get a key from :func:`library.keys.make_key`; the source's own key (BibTeX, CSL ``id``) is
  shown in the report next to it.
* ``topics`` are added to every imported or matched record (``Record.topics``, manual topics); ``entry`` with
  ``link_kind`` ``cited``/``discussed`` links each record to that encyclopedia entry, cited records numbered
  after the entry's highest number, in import order; an existing link of the same kind is kept as it is.
* Records added by one import are also compared with each other by the dedupe module (fuzzy copies inside
  one file, e.g. a combined PubMed + Embase export): they are not merged, the report counts them and names
  ``reflib dedupe``, where an editor sees and merges them with the usual preview and undo.
* The library is changed in memory only (the caller saves); with ``dry_run`` it is not changed at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from library.dedupe import DecisionsError, auto_matcher, decisions_path, find_duplicates, load_decisions
from library.evidence import EvidenceFileError, Taxonomy, classify_record, next_number, taxonomy_for
from library.identifiers import InvalidIdentifier, doi_key, normalize_pmcid, normalize_pmid
from library.keys import make_key
from library.model import EntryLink, Record
from library.normalize import ascii_fold, normalize_record
from library.store import Library

from .base import ReadProblem

__all__ = ["Added", "ImportReport", "Matcher", "Merged", "Skipped", "import_records"]

Matcher = Callable[[Record, Library], "str | None"]

FILLABLE = ("entry_type", "authors", "editors", "title", "journal", "journal_abbrev", "booktitle", "publisher",
            "year", "month", "volume", "issue", "pages", "doi", "pmid", "pmcid", "issn", "isbn", "url", "urldate",
            "abstract", "keywords", "mesh", "pubtypes", "language", "note")
_NOT_CONFLICTS = frozenset({"entry_type", "keywords", "mesh", "pubtypes", "url", "issn", "note"})
_NOT_IN_PROVENANCE = frozenset({"abstract"})


@dataclass(slots=True)
class Added:
    key: str
    title: str
    source_key: str = ""


@dataclass(slots=True)
class Merged:
    key: str  # the existing record
    incoming: str  # the incoming record: its source key, or its title
    matched_on: str  # doi | pmid | pmcid | title+year+author | matcher
    filled: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    tagged: bool = False  # topics or entry links were added
    noted: bool = False  # a conflicting value was newly written to provenance

    @property
    def changed(self) -> bool:
        return bool(self.filled or self.tagged or self.noted)


@dataclass(slots=True)
class Skipped:
    record: str
    reason: str


@dataclass(slots=True)
class ImportReport:
    source: str = ""
    dry_run: bool = False
    added: list[Added] = field(default_factory=list)
    merged: list[Merged] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    # added records that look like copies of each other: sure groups, and pairs an editor should look at
    duplicate_groups: list[list[str]] = field(default_factory=list)
    duplicate_pairs: list[list[str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added) or any(m.changed for m in self.merged)

    def summary(self, limit: int = 50) -> str:
        """A readable report: counts first, then each added/merged/skipped record and each problem."""
        unchanged = sum(1 for m in self.merged if not m.changed)
        head = (f"{self.source or 'import'}: {len(self.added)} added, {len(self.merged)} merged "
                f"({unchanged} already present unchanged), {len(self.skipped)} skipped, "
                f"{len(self.problems)} problem(s)")
        if self.dry_run:
            head += " - dry run, nothing written"
        lines = [head]
        lines += _limited([f"  + {a.key}" + (f" (was {a.source_key})" if a.source_key and a.source_key != a.key
                                              else "") + f": {a.title[:90]}" for a in self.added], limit)
        lines += _limited([f"  = {m.key} <- {m.incoming[:60]} (matched on {m.matched_on})"
                           + (f"; filled: {', '.join(m.filled)}" if m.filled else "")
                           + (f"; conflicts kept in provenance: {'; '.join(m.conflicts)}" if m.conflicts else "")
                           for m in self.merged if m.changed], limit)
        lines += _limited([f"  - {s.record[:70]}: {s.reason}" for s in self.skipped], limit)
        lines += _limited([f"  ! {p}" for p in self.problems], limit)
        if self.duplicate_groups or self.duplicate_pairs:
            lines.append(f"  ~ among the added records, {len(self.duplicate_groups)} group(s) are copies of one "
                         f"study and {len(self.duplicate_pairs)} pair(s) may be: `reflib dedupe` shows them "
                         "(`--apply` merges the sure groups)")
            lines += _limited([f"    {' = '.join(group)}" for group in self.duplicate_groups], limit)
            lines += _limited([f"    {a} ? {b}" for a, b in self.duplicate_pairs], limit)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "counts": {"added": len(self.added), "merged": len(self.merged), "skipped": len(self.skipped),
                       "problems": len(self.problems)},
            "added": [{"key": a.key, "source_key": a.source_key, "title": a.title} for a in self.added],
            "merged": [{"key": m.key, "incoming": m.incoming, "matched_on": m.matched_on, "filled": m.filled,
                        "conflicts": m.conflicts, "changed": m.changed} for m in self.merged],
            "skipped": [{"record": s.record, "reason": s.reason} for s in self.skipped],
            "problems": [{"source": p.source, "line": p.line, "record": p.record, "message": p.message,
                          "fatal": p.fatal} for p in self.problems],
            "duplicates_among_added": {"groups": self.duplicate_groups, "review": self.duplicate_pairs},
        }


def _limited(lines: list[str], limit: int) -> list[str]:
    return lines if len(lines) <= limit else [*lines[:limit], f"  ... and {len(lines) - limit} more"]


# --- matching -------------------------------------------------------------------------------------------------
def _id(kind: str, value: object) -> str:
    text = "" if value is None or value is pd.NA else str(value).strip()
    if not text:
        return ""
    try:
        return doi_key(text) if kind == "doi" else normalize_pmid(text) if kind == "pmid" else normalize_pmcid(text)
    except InvalidIdentifier:
        return ""


_NON_WORD = re.compile(r"[\W_]+")


def _title_key(title: str, year: object, first_author: str) -> tuple[str, str, str] | None:
    words = _NON_WORD.sub("", ascii_fold(title).casefold())
    if len(words) < 10:
        return None
    year_text = "" if year is None or year is pd.NA else str(int(year))  # type: ignore[call-overload]
    return words, year_text, _NON_WORD.sub("", ascii_fold(first_author).casefold())


class _Index:
    """Identifier and title look-ups over the library plus the records of this import."""

    def __init__(self) -> None:
        self.ids: dict[str, dict[str, str]] = {"doi": {}, "pmid": {}, "pmcid": {}}
        self.titles: dict[tuple[str, str, str], str] = {}
        self.key_ids: dict[str, dict[str, str]] = {}

    @classmethod
    def of(cls, lib: Library) -> _Index:
        index = cls()
        frame = lib.frame()
        if not len(frame):
            return index
        columns = [frame[c].tolist() for c in ("key", "doi", "pmid", "pmcid", "title", "year", "first_author")]
        for key, doi, pmid, pmcid, title, year, first in zip(*columns, strict=True):
            index._add(key, {"doi": _id("doi", doi), "pmid": _id("pmid", pmid), "pmcid": _id("pmcid", pmcid)},
                       _title_key(title or "", year, first or ""))
        return index

    def _add(self, key: str, ids: dict[str, str], title: tuple[str, str, str] | None) -> None:
        for kind, value in ids.items():
            if value:
                self.ids[kind].setdefault(value, key)
        self.key_ids[key] = ids
        if title is not None:
            self.titles.setdefault(title, key)

    def add(self, record: Record) -> None:
        self._add(record.key, _ids(record), _title_key(record.title, record.year, record.first_author_family()))

    def find(self, record: Record) -> tuple[str, str] | Skipped:
        """(key, matched on) of the matching record, ('', '') when none, Skipped when ids disagree."""
        ids = _ids(record)
        hits = {kind: self.ids[kind][value] for kind, value in ids.items() if value and value in self.ids[kind]}
        keys = set(hits.values())
        if len(keys) > 1:
            found = ", ".join(f"{kind} -> {key}" for kind, key in hits.items())
            return Skipped(_describe(record), f"identifiers match different records ({found}); resolve by hand")
        if keys:
            kind, key = next(iter(hits.items()))
            return key, kind
        title = _title_key(record.title, record.year, record.first_author_family())
        same = self.titles.get(title) if title is not None else None
        if same is not None:
            theirs = self.key_ids.get(same, {})
            if not any(ids[k] and theirs.get(k) and ids[k] != theirs[k] for k in ids):
                return same, "title+year+author"
        return "", ""


def _ids(record: Record) -> dict[str, str]:
    return {"doi": record.doi_key, "pmid": _id("pmid", record.pmid), "pmcid": _id("pmcid", record.pmcid)}


def _describe(record: Record) -> str:
    return record.key or record.title[:80] or record.doi or record.pmid or "(untitled)"


# --- merging --------------------------------------------------------------------------------------------------
def _same(name: str, mine: object, theirs: object) -> bool:
    if name == "authors":
        fam = [_NON_WORD.sub("", ascii_fold(a.literal or a.family).casefold()) for a in mine]  # type: ignore[attr-defined]
        other = [_NON_WORD.sub("", ascii_fold(a.literal or a.family).casefold()) for a in theirs]  # type: ignore[attr-defined]
        return fam == other
    if name == "doi":
        return _id("doi", mine) == _id("doi", theirs)
    if isinstance(mine, str) and isinstance(theirs, str):
        return _NON_WORD.sub("", mine.casefold()) == _NON_WORD.sub("", theirs.casefold())
    return mine == theirs


def _shown(name: str, value: object) -> str:
    if name in ("authors", "editors"):
        names = [a.display() for a in value]  # type: ignore[attr-defined]
        return " / ".join(names[:3]) + (" et al." if len(names) > 3 else "")
    return str(value)


def merge_into(existing: Record, incoming: Record, source: str) -> tuple[list[str], list[str]]:
    """Fill ``existing``'s empty fields from ``incoming`` in place; returns (filled fields, conflicts).

    Conflicts are noted in ``existing.provenance`` once (a repeated import does not repeat them)."""
    if "*" in existing.protect:
        return [], []
    filled: list[str] = []
    conflicts: list[str] = []
    for name in FILLABLE:
        mine, theirs = getattr(existing, name), getattr(incoming, name)
        if theirs in ("", None, []) or name in existing.protect:
            continue
        if name == "entry_type":
            if mine in ("", "misc") and theirs != "misc":
                existing.entry_type = theirs
                filled.append(name)
            continue
        if mine in ("", None, []):
            setattr(existing, name, list(theirs) if isinstance(theirs, list) else theirs)
            filled.append(name)
        elif name not in _NOT_CONFLICTS and not _same(name, mine, theirs):
            shown = _shown(name, theirs)
            conflicts.append(f"{name}: {shown[:80]}")
            entry = f"{name}: {shown} ({source})" if source else f"{name}: {shown}"
            if name not in _NOT_IN_PROVENANCE and entry not in existing.provenance:
                existing.provenance = f"{existing.provenance}; {entry}" if existing.provenance else entry
    for name, value in incoming.extra.items():
        if value and name not in existing.extra and name not in existing.protect:
            existing.extra[name] = value
            filled.append(name)
    return filled, conflicts


# --- topics and links -----------------------------------------------------------------------------------------
class _Linker:
    def __init__(self, lib: Library, topics: Sequence[str], entry: str | None, kind: str | None) -> None:
        self.topics = [t.strip() for t in topics if t.strip()]
        self.entry, self.kind = entry, kind
        self.number = next_number(lib, entry) - 1 if entry and kind == "cited" else 0

    def apply(self, record: Record) -> bool:
        changed = False
        for topic in self.topics:
            if topic not in record.topics:
                record.topics.append(topic)
                changed = True
        linked = any(lk.slug == self.entry and lk.kind == self.kind for lk in record.links)
        if self.entry and self.kind and not linked:
            number = None
            if self.kind == "cited":
                self.number += 1
                number = self.number
            record.links.append(EntryLink(self.entry, self.kind, number))
            changed = True
        return changed


# --- the import -----------------------------------------------------------------------------------------------
class _Keys:
    """The keys taken during one import: the library's and the new records'; only grows (see make_key's hints)."""

    def __init__(self, lib: Library, pending: dict[str, Record]) -> None:
        self.lib, self.pending = lib, pending
        self.hints: dict[str, int] = {}

    def __contains__(self, key: object) -> bool:
        return key in self.pending or key in self.lib


def import_records(lib: Library, records: list[Record], *, source: str = "", topics: Sequence[str] = (),
                   entry: str | None = None, link_kind: str | None = None, dry_run: bool = False,
                   matcher: Matcher | None = None, fuzzy: bool = True) -> ImportReport:
    """Match, merge and add ``records`` into ``lib`` (in memory); see the module docstring for the rules.

    Without a ``matcher``, ``fuzzy`` plugs in the dedupe module's matcher (its sure matches merge; uncertain ones
    are added and left to ``reflib dedupe --review``), honouring the editor's earlier accept/reject decisions.
    """
    if (entry is None) != (link_kind is None):
        raise ValueError("an entry link needs both the entry slug and the kind (cited or discussed)")
    if link_kind not in (None, "cited", "discussed"):
        raise ValueError(f"link kind must be 'cited' or 'discussed', not {link_kind!r}")
    report = ImportReport(source=source, dry_run=dry_run)
    index = _Index.of(lib)
    normalized = [normalize_record(r) for r in records]
    if matcher is None and fuzzy and len(lib) and records:
        # only what no identifier or exact title finds is compared fuzzily (a re-import compares nothing)
        unresolved = [r for r in normalized if (r.title or r.doi or r.pmid or r.pmcid) and index.find(r) == ("", "")]
        matcher = _dedupe_matcher(lib, unresolved) if unresolved else None
    linker = _Linker(lib, topics, entry, link_kind)
    new: dict[str, Record] = {}
    taken = _Keys(lib, new)
    touched: dict[str, Record] = {}
    for record in normalized:
        if not (record.title or record.doi or record.pmid or record.pmcid):
            report.skipped.append(Skipped(_describe(record), "no title and no identifier"))
            continue
        found = index.find(record)
        if isinstance(found, Skipped):
            report.skipped.append(found)
            continue
        key, how = found
        if not key and matcher is not None:
            key, how = matcher(record, lib) or "", "matcher"
        if key:
            target = new.get(key) or touched.get(key) or lib.get(key, keep=False)
            provenance = target.provenance
            filled, conflicts = merge_into(target, record, source)
            tagged = linker.apply(target)
            noted = target.provenance != provenance
            if key not in new and (filled or tagged or noted):  # an unchanged record is not held (nor re-saved)
                touched[key] = target
            report.merged.append(Merged(key, _describe(record), how, filled, conflicts, tagged, noted))
            continue
        record.key, source_key = make_key(record, taken, taken.hints), record.key
        linker.apply(record)
        new[record.key] = record
        index.add(record)
        report.added.append(Added(record.key, record.title, source_key))
    if fuzzy and len(new) > 1 and _may_hold_copies(list(new.values())):
        copies = find_duplicates(list(new.values()))
        report.duplicate_groups = [list(cluster.keys) for cluster in copies.clusters]
        report.duplicate_pairs = [[pair.a, pair.b] for pair in copies.review]
    if not dry_run:
        rules = _taxonomy(lib)
        for record in touched.values():
            lib.update(classify_record(record, rules) if rules else record)
        for record in new.values():
            lib.add(classify_record(record, rules) if rules else record)
    return report


def _may_hold_copies(records: list[Record]) -> bool:
    """False when no two of these new records can be one study: all have a PMID (or all a DOI, or all a PMCID),
    and the values differ (equal ones were merged on import) - a veto of the dedupe rules. A PubMed or Crossref
    batch is never compared with itself, then."""
    return not any(all(getattr(r, kind) for r in records) for kind in ("pmid", "doi", "pmcid"))


def _dedupe_matcher(lib: Library, records: list[Record]) -> Matcher | None:
    """The dedupe module's batch matcher of the (normalized) ``records`` over the library's frame; None when the
    decisions file is broken."""
    try:
        decisions = load_decisions(decisions_path(lib.path))
    except DecisionsError:
        return None  # `reflib dedupe` reports the broken file; import still matches exactly
    hook = auto_matcher(records, lib.frame(), decisions)
    return lambda record, library: hook(record, library)


def _taxonomy(lib: Library) -> Taxonomy | None:
    """The library's topic rules; None when the file is broken (`reflib check` reports it) or missing."""
    try:
        return taxonomy_for(lib.path)
    except EvidenceFileError:
        return None
