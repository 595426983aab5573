"""The one merge rule: how two records that are the same publication become one.

Import (an incoming record into the library's), ``reflib dedupe`` and the dashboard (copies of a cluster into
the keeper) and ``reflib enrich`` (a record fetched from PubMed or Crossref into the library's) all call
:func:`merge_records`. The rule:

* **Same value** (:func:`same_value`): values are equal up to case, diacritics, whitespace and punctuation; pages
  up to their format (``2043-52`` = ``2043--2052``), volumes and issues up to leading zeros, identifiers up to
  their form (``https://doi.org/10.1056/nejmoa…`` = ``10.1056/NEJMoa…``; ``PMC6134338.4`` = ``PMC6134338``),
  authors by their family names. Equal values are not conflicts.
* **Fill empty**: an empty field of the keeper is filled from the other record; a non-empty one is never
  overwritten (except by enrichment with ``replace``, which keeps the old value in provenance). An abbreviated
  journal name fills ``journal_abbrev``; lists (keywords, MeSH, publication types ...) are unioned.
* **Protected fields** (``protect``; ``*`` = the whole record) are never filled or replaced.
* **Provenance**: a differing value is kept in the keeper's ``provenance`` as one note format,
  :func:`provenance_note`: ``field: value (from SOURCE)``, or ``field: old value (replaced by SOURCE, DATE)``.
  A note already there is not repeated, so re-importing a file changes nothing.

What the other record is decides only what else happens, never the rule: a **copy** that the merge removes
(``absorb=True``: dedupe) hands over everything it has (links, relations, notes, synopsis, its key as an alias
in ``ids``) and every differing value is noted, protected or not, abstract included — nothing is lost; an
**incoming** record (import, enrich: ``absorb=False``) lives on in its file or at its source, so only its
bibliographic fields are merged and its differing abstract is listed but not copied into provenance.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields

from ..identifiers import InvalidIdentifier, normalize_pmid, pmcid_key
from ..model import Author, EntryLink, Record, Relation
from ..normalize import normalize_pages
from .comparison_keys import doi_key, fold, journal_tokens, volume_key
from .scoring import journal_relation

__all__ = ["BIBLIOGRAPHIC", "MergeOutcome", "canonical", "merge_records", "provenance_note", "same_value"]

# Fields an incoming record (import, enrichment) may fill, in this order.
BIBLIOGRAPHIC = ("authors", "editors", "title", "journal", "journal_abbrev", "booktitle", "publisher", "year",
                 "month", "volume", "issue", "pages", "doi", "pmid", "pmcid", "issn", "isbn", "url", "urldate",
                 "abstract", "language", "note")
_LISTS = ("keywords", "mesh", "pubtypes", "topics", "topics_auto", "topics_suggested", "topics_rejected",
          "reasons_auto", "protect")
_INCOMING_LISTS = ("keywords", "mesh", "pubtypes")
_PEOPLE = frozenset({"authors", "editors"})
_IDENTIFIERS = frozenset({"doi", "pmid", "pmcid"})
_SILENT = frozenset({"design_auto", "level_auto", "url", "issn", "note"})  # derived or auxiliary: never conflicts
_LONG = frozenset({"abstract"})  # an incoming record's differing abstract is listed, not copied into provenance
_SPECIAL = frozenset({"key", "entry_type", "provenance", "notes", "links", "relations", "synopsis", "extra",
                      "retracted", "added", "modified", *_LISTS})
_TEXT_FIELDS = tuple(f.name for f in fields(Record)
                     if f.type == "str" and f.name not in {"key", "provenance", "added", "modified"})
_COPY_SCALARS = tuple(f.name for f in fields(Record) if f.name not in _SPECIAL and f.name not in _PEOPLE)


def _pmid(value: str) -> str:
    try:
        return normalize_pmid(value)
    except InvalidIdentifier:
        return value.strip()


def _families(value: object) -> str:
    return "|".join(fold(a.literal or a.family) for a in value)  # type: ignore[attr-defined]


def _people(value: object) -> str:
    """Every word of every name, per person: the same people however a source split the name into parts
    ("Mammen, Mammen P., Jr" read as family "Mammen, Mammen P.", a group "The Lancet HIV" read as a person)."""
    return "|".join(" ".join(sorted(fold(f"{a.literal} {a.family} {a.given} {a.suffix}").split()))
                    for a in value)  # type: ignore[attr-defined]


_CANONICAL: dict[str, Callable[[str], str]] = {
    "doi": lambda v: doi_key(v) or fold(v), "pmid": _pmid, "pmcid": lambda v: pmcid_key(v) or fold(v),
    "pages": lambda p: fold(normalize_pages(p)), "volume": volume_key, "issue": volume_key}


def canonical(name: str, value: object) -> object:
    """The comparison form of a field value under the same-value rule (see the module docstring)."""
    if name in _PEOPLE:
        return _people(value)
    if isinstance(value, str):
        return _CANONICAL.get(name, fold)(value)
    if isinstance(value, list):
        return tuple(sorted({fold(str(v)) for v in value}))
    return value


def same_value(name: str, a: object, b: object) -> bool:
    """``a`` and ``b`` are one value of field ``name`` (``2043-52`` = ``2043--2052``, case, accents ...); people
    are the same when their family names are ("Dreyer, K." = "Dreyer, Kim") or all their name words are."""
    if a == b or canonical(name, a) == canonical(name, b):
        return True
    return name in _PEOPLE and _families(_listed(a)) == _families(_listed(b))


def _listed(value: object) -> object:
    """A name list without a closing BibTeX "others" (CSL-JSON and RIS leave it out: the same people)."""
    if isinstance(value, list) and value and isinstance(value[-1], Author) \
            and value[-1].literal.strip().lower() == "others" and not value[-1].family:
        return value[:-1]
    return value


def _shown(value: object) -> str:
    if isinstance(value, list):
        return " and ".join(v.display() if isinstance(v, Author) else str(v) for v in value)
    return " ".join(str(value).split()).replace(";", ",")


def provenance_note(name: str, value: object, source: str, replaced: str = "") -> str:
    """The one note format: ``field: value (from SOURCE)``; ``replaced`` (a date) for a value enrichment replaced:
    ``field: old value (replaced by SOURCE, DATE)``."""
    how = f"replaced by {source}, {replaced}" if replaced else f"from {source}"
    return f"{name}: {_shown(value)} ({how})"


@dataclass
class MergeOutcome:
    """What a merge did. ``record`` is the merged copy; neither input is changed."""

    record: Record
    filled: list[str] = field(default_factory=list)  # field names filled from the other record(s)
    filled_from: list[str] = field(default_factory=list)  # the same as "name (from SOURCE)"
    conflicts: list[str] = field(default_factory=list)  # differing values, as provenance notes
    differing: list[str] = field(default_factory=list)  # field names whose other value differs (kept as is)
    replaced: list[str] = field(default_factory=list)  # field names replaced (enrichment with replace=True)
    noted: bool = False  # provenance gained a note

    @property
    def changed(self) -> bool:
        return bool(self.filled or self.replaced or self.noted)


class _Merge:
    """One merge in progress: the keeper's copy, the protection, and the notes added to provenance."""

    def __init__(self, keeper: Record, absorb: bool, note_conflicts: bool, replace: str) -> None:
        self.out = MergeOutcome(keeper.copy())
        self.record = self.out.record
        self.protect = set(keeper.protect)
        self.frozen = "*" in self.protect
        self.absorb, self.note_conflicts, self.replace = absorb, note_conflicts, replace
        self.notes: list[str] = []

    def locked(self, name: str) -> bool:
        return self.frozen or name in self.protect

    def note(self, entry: str) -> None:
        if entry not in self.notes and entry not in self.record.provenance:
            self.notes.append(entry)

    def fill(self, name: str, value: object, source: str) -> None:
        setattr(self.record, name, list(value) if isinstance(value, list) else value)
        self.out.filled.append(name)
        self.out.filled_from.append(f"{name} (from {source})")

    def differ(self, name: str, mine: object, theirs: object, source: str) -> None:
        """A non-empty value of the other record that is not the keeper's."""
        if name in _SILENT:
            return
        if self.replace and not self.locked(name) and name not in _IDENTIFIERS and name not in _LONG:
            self.note(provenance_note(name, mine, source, self.replace))
            setattr(self.record, name, list(theirs) if isinstance(theirs, list) else theirs)
            self.out.replaced.append(name)
            return
        self.out.differing.append(name)
        note = provenance_note(name, theirs, source)
        self.out.conflicts.append(note)
        if self.absorb or (self.note_conflicts and name not in _LONG and not self.locked(name)):
            self.note(note)

    def scalar(self, name: str, theirs: object, source: str) -> None:
        mine = getattr(self.record, name)
        if theirs in ("", None, []):
            return
        if mine in ("", None, []):
            if not self.locked(name):
                self.fill(name, theirs, source)
            elif self.absorb:  # a removed copy's value that may not fill a protected field: kept in provenance
                self.differ(name, mine, theirs, source)
        elif name == "journal" and isinstance(theirs, str) and not same_value(name, mine, theirs) and \
                journal_relation(journal_tokens(str(mine)), journal_tokens(theirs)) == "compatible":
            # 'N Engl J Med' against 'New England Journal of Medicine': the other form, not a conflict
            if not self.record.journal_abbrev and len(theirs) < len(str(mine)) and not self.locked("journal_abbrev"):
                self.fill("journal_abbrev", theirs, source)
        elif not same_value(name, mine, theirs):
            self.differ(name, mine, theirs, source)


def _held(record: Record, value: str) -> bool:
    """The record holds ``value`` already, in another field or an extra field (same-value rule): BibLaTeX's ``eid``
    is the record's article number in ``pages``, RIS's ``N1`` note (``annote``) its ``note``."""
    folded = fold(value)
    texts = [getattr(record, name) for name in _TEXT_FIELDS] + list(record.extra.values())
    return any(text and fold(text) == folded for text in texts)


_LIST_PARTS = re.compile(r"\s*[;,]\s*")


def _union(values: list[str], more: list[str]) -> list[str]:
    """``values`` and the items of ``more`` not in it (same-value rule); an item that joins items already there
    ("brainstem, DTI" where the list has "brainstem" and "DTI": one source's list read as one item) adds nothing."""
    seen = {fold(v) for v in values}
    out = list(values)
    for value in more:
        parts = [fold(p) for p in _LIST_PARTS.split(value)]
        parts = [p for p in parts if p]
        if fold(value) in seen or (len(parts) > 1 and all(p in seen for p in parts)):
            continue
        seen.add(fold(value))
        out.append(value)
    return out


def _merge_links(keeper: list[EntryLink], other: list[EntryLink], source: str, merge: _Merge) -> list[EntryLink]:
    """The keeper's links and the copy's. A citation of the same entry under another number is kept too: the
    entry's text has that superscript, and dropping it would leave the number without its source (or give it to
    the next study linked); ``reflib check`` reports the study's two numbers, and the merge lists it."""
    out = list(keeper)
    have = {(link.slug, link.kind): link for link in keeper}
    for link in other:
        mine = have.get((link.slug, link.kind))
        if mine is None:
            out.append(link)
            have[(link.slug, link.kind)] = link
        elif link.number is not None and link not in out:
            entry = f"cited_in: {link.slug}#{link.number} (from {source})"
            merge.out.conflicts.append(entry)
            merge.note(entry)
            out.append(link)
    return out


def repoint(relations: list[Relation], moved: dict[str, str], own: str) -> list[Relation]:
    """Relations with removed keys renamed to their keeper, duplicates and links to ``own`` (itself) dropped."""
    out: dict[Relation, None] = {}
    for rel in relations:
        target = moved.get(rel.key, rel.key)
        if rel.key and target == own:
            continue
        out.setdefault(Relation(rel.kind, target) if target != rel.key else rel, None)
    return list(out)


def _absorb_rest(merge: _Merge, other: Record, source: str) -> None:
    """What a removed copy hands over besides its bibliographic fields: nothing of it may be lost."""
    merged = merge.record
    for part in ("tldr", "findings", "implications"):
        mine_text, theirs_text = getattr(merged.synopsis, part), getattr(other.synopsis, part)
        if theirs_text and not mine_text:
            setattr(merged.synopsis, part, theirs_text)
            merge.out.filled.append(part)
            merge.out.filled_from.append(f"{part} (from {source})")
        elif theirs_text and not same_value(part, mine_text, theirs_text):
            merge.differ(part, mine_text, theirs_text, source)
    merged.links = _merge_links(merged.links, other.links, source, merge)
    if other.notes and fold(other.notes) not in fold(merged.notes):
        merged.notes = f"{merged.notes}\n\n{other.notes}" if merged.notes else other.notes
    merged.retracted = merged.retracted or other.retracted
    if other.added and (not merged.added or other.added < merged.added):
        merged.added = other.added
    if other.provenance:
        merge.note(other.provenance)


def merge_records(keeper: Record, others: Sequence[Record], *, source: str = "", absorb: bool = True,
                  note_conflicts: bool = True, replace: bool = False, today: str | None = None) -> MergeOutcome:
    """Merge ``others`` into a copy of ``keeper`` under the one rule (module docstring); pure.

    ``source`` names the other record in provenance notes (default: its key, else "import"). ``absorb``: the
    others are copies that the merge removes (dedupe) rather than incoming records (import, enrich).
    ``note_conflicts=False`` lists differing values without noting them (enrichment without ``replace``);
    ``replace=True`` lets the other record's values replace the keeper's (never identifiers, the abstract or
    protected fields), the old value noted with ``today``'s date.
    """
    stamp = (today or dt.date.today().isoformat()) if replace else ""
    merge = _Merge(keeper, absorb, note_conflicts, stamp)
    merged = merge.record
    for other in others:
        name_of = source or other.key or "import"
        if not merge.locked("entry_type") and merged.entry_type in ("", "misc") and \
                other.entry_type not in ("", "misc"):
            merged.entry_type = other.entry_type
            merge.out.filled.append("entry_type")
            merge.out.filled_from.append(f"entry_type (from {name_of})")
        elif absorb and other.entry_type not in ("", "misc") and not same_value("entry_type", merged.entry_type,
                                                                               other.entry_type):
            merge.differ("entry_type", merged.entry_type, other.entry_type, name_of)
        for name in (("authors", "editors", *_COPY_SCALARS) if absorb else BIBLIOGRAPHIC):
            merge.scalar(name, getattr(other, name), name_of)
        for name in (_LISTS if absorb else _INCOMING_LISTS):
            if merge.locked(name) and not absorb:
                continue
            joined = _union(getattr(merged, name), getattr(other, name))
            if len(joined) != len(getattr(merged, name)):
                setattr(merged, name, joined)
                if not absorb:
                    merge.out.filled.append(name)
                    merge.out.filled_from.append(f"{name} (from {name_of})")
        for name, value in other.extra.items():
            if name == "ids" or not value:
                continue
            if not merged.extra.get(name):
                if _held(merged, value):
                    continue  # the value is the record's already, under another name (RIS N1 "annote" = note)
                if not merge.locked(name):
                    merged.extra[name] = value
                    merge.out.filled.append(name)
                    merge.out.filled_from.append(f"{name} (from {name_of})")
            elif absorb and not same_value(name, merged.extra[name], value):
                merge.differ(name, merged.extra[name], value, name_of)
        if absorb:
            _absorb_rest(merge, other, name_of)
    if absorb:
        relations = [*merged.relations, *(rel for other in others for rel in other.relations)]
        merged.relations = repoint(relations, {o.key: merged.key for o in others if o.key}, merged.key)
        aliases = [a.strip() for a in merged.extra.get("ids", "").split(",") if a.strip()]
        for other in others:
            aliases += [other.key] + [a.strip() for a in other.extra.get("ids", "").split(",") if a.strip()]
        aliases = [a for a in dict.fromkeys(aliases) if a and a != merged.key]
        if aliases:
            merged.extra["ids"] = ", ".join(aliases)
        day = today or dt.date.today().isoformat()
        merge.notes.append(f"merged: {', '.join(o.key or 'import' for o in others)} ({day})")
    if merge.notes:
        merged.provenance = "; ".join([merged.provenance, *merge.notes] if merged.provenance else merge.notes)
        merge.out.noted = True
    return merge.out
