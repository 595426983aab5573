"""The one record model used everywhere (parsers, store, dedupe, evidence, export, dashboard).

A :class:`Record` holds Unicode text, never LaTeX: the BibTeX module decodes on read and encodes on write.
Bibliographic fields come first, then evidence fields, then encyclopedia links; anything the model does not know
travels in ``extra`` (field name -> text, in source order) so that nothing is lost on a round trip.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, MutableSequence
from dataclasses import dataclass, field, fields
from itertools import compress
from typing import overload

from .identifiers import InvalidIdentifier, normalize_doi, normalize_pmcid, normalize_pmid

__all__ = ["RELATION_KINDS", "Author", "EntryLink", "PackedRecord", "Record", "RecordList", "Relation", "Synopsis",
           "pack_record", "unpack_record"]


@dataclass(frozen=True, slots=True)
class Author:
    """A person (family + given, and a ``suffix`` such as "Jr" or "III": BibTeX's Jr part, never initialized) or a
    collective author (``literal``, e.g. a study group or society)."""

    family: str = ""
    given: str = ""
    literal: str = ""
    orcid: str = ""
    suffix: str = ""

    @property
    def is_collective(self) -> bool:
        return bool(self.literal)

    @property
    def is_others(self) -> bool:
        """BibTeX's ``and others`` (or a literal "et al."): the list goes on; never a person to print."""
        return not self.family and self.literal.strip().lower() in ("others", "et al", "et al.")

    def display(self) -> str:
        """'Family, Given' ('Family, Given, Suffix'; RIS's order) for people, the name itself for collectives."""
        if self.literal:
            return self.literal
        if self.suffix:
            return f"{self.family}, {self.given}, {self.suffix}"  # "Smith, , Jr" without a given name: read back
        return f"{self.family}, {self.given}" if self.given else self.family

    def sort_name(self) -> str:
        return (self.literal or self.family).casefold()


@dataclass(frozen=True, slots=True)
class EntryLink:
    """A link from a study to an encyclopedia entry: ``cited`` (numbered, ordered) or ``discussed``."""

    slug: str
    kind: str  # "cited" | "discussed"
    number: int | None = None  # position in the entry's "Cited in this entry" list


# "source KIND target" kinds of related records (found by ``reflib dedupe``), with how the target shows them
RELATION_KINDS = {"erratum-of": "has erratum", "retraction-of": "has retraction notice",
                  "concern-about": "has expression of concern", "comment-on": "has comment", "reply-to": "has reply",
                  "protocol-of": "has protocol", "abstract-of": "has meeting abstract",
                  "version-of": "has another version"}


@dataclass(frozen=True, slots=True)
class Relation:
    """A link from this record to another record of the library: "this ``kind`` ``key``" (``erratum-of smith2019``).

    Related records are never merged; the link lets an editor see a study's erratum, retraction or reply.
    An item stored without a key keeps its text in ``kind`` (and ``reflib check`` reports it).
    """

    kind: str
    key: str = ""

    def text(self) -> str:
        return f"{self.kind} {self.key}".strip()

    @classmethod
    def parse(cls, item: str) -> Relation:
        """The inverse of :meth:`text`: ``"erratum-of smith2019"`` -> Relation("erratum-of", "smith2019")."""
        kind, _, key = item.strip().partition(" ")
        return cls(kind, key.strip())


@dataclass(slots=True)
class Synopsis:
    tldr: str = ""
    findings: str = ""
    implications: str = ""

    def is_empty(self) -> bool:
        return not (self.tldr or self.findings or self.implications)


@dataclass(slots=True)
class Record:
    key: str
    entry_type: str = "article"
    # bibliographic
    authors: list[Author] = field(default_factory=list)
    editors: list[Author] = field(default_factory=list)
    title: str = ""
    journal: str = ""
    journal_abbrev: str = ""
    booktitle: str = ""
    publisher: str = ""
    year: int | None = None
    month: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""  # stored with "--" as range separator, e.g. "561--567" or an article number "e0193972"
    doi: str = ""  # as given by the source (case kept); compare with doi_key
    pmid: str = ""
    pmcid: str = ""
    issn: str = ""
    isbn: str = ""
    url: str = ""
    urldate: str = ""
    abstract: str = ""  # structured abstracts keep "LABEL: text" paragraphs separated by blank lines
    keywords: list[str] = field(default_factory=list)
    mesh: list[str] = field(default_factory=list)
    pubtypes: list[str] = field(default_factory=list)
    language: str = ""
    note: str = ""
    # evidence
    topics: list[str] = field(default_factory=list)  # manual topics: always win
    topics_auto: list[str] = field(default_factory=list)  # from classification rules; recomputed freely
    topics_suggested: list[str] = field(default_factory=list)  # low-confidence rule results: for an editor to judge
    topics_rejected: list[str] = field(default_factory=list)  # editor said no: never tagged or suggested again
    design: str = ""  # editor's study design
    design_auto: str = ""
    level: str = ""  # editor's evidence level, e.g. "OCEBM2011 therapy 1"
    level_auto: str = ""
    level_reason: str = ""  # editor's reason for a level above what the design allows (OCEBM upgrading)
    reasons_auto: list[str] = field(default_factory=list)  # why each automatic value is what it is
    grade: str = ""  # GRADE certainty notes per claim
    stance: str = ""  # supportive / neutral / critical / hostile
    relevance: int | None = None  # 1..5
    synopsis: Synopsis = field(default_factory=Synopsis)
    notes: str = ""  # editor's free notes
    unverified: str = ""  # which fields still need checking against a source; "none" when all were checked
    retracted: bool = False
    protect: list[str] = field(default_factory=list)  # fields enrichment must not overwrite; ["*"] = record
    provenance: str = ""  # conflicting values kept by merges
    added: str = ""
    modified: str = ""
    relations: list[Relation] = field(default_factory=list)  # related records: erratum-of, reply-to, ...
    # encyclopedia
    links: list[EntryLink] = field(default_factory=list)
    # everything else, in source order
    extra: dict[str, str] = field(default_factory=dict)

    def copy(self) -> Record:
        """A copy whose lists and synopsis can be edited without touching this record (cheaper than replace())."""
        new = Record(*[value.copy() if type(value) in _MUTABLE else value for value in _ALL_FIELDS(self)])
        new.synopsis = Synopsis(self.synopsis.tldr, self.synopsis.findings, self.synopsis.implications)
        return new

    # --- derived views -------------------------------------------------------------------------------------
    @property
    def all_topics(self) -> list[str]:
        """Manual topics first, then automatic ones not already present."""
        seen = dict.fromkeys(self.topics)
        for topic in self.topics_auto:
            seen.setdefault(topic, None)
        return list(seen)

    @property
    def effective_design(self) -> str:
        return self.design or self.design_auto

    @property
    def effective_level(self) -> str:
        return self.level or self.level_auto

    @property
    def verification(self) -> str:
        """'verified' when every field was checked, 'unverified' when some need checking, '' when unknown."""
        text = self.unverified.strip().lower()
        if not text:
            return ""
        return "verified" if text in {"none", "-"} else "unverified"

    @property
    def doi_key(self) -> str:
        """Lower-cased normalized DOI for comparisons, '' when absent or invalid."""
        try:
            return normalize_doi(self.doi).lower() if self.doi else ""
        except InvalidIdentifier:
            return ""

    def cited_in(self) -> list[EntryLink]:
        return [link for link in self.links if link.kind == "cited"]

    def discussed_in(self) -> list[EntryLink]:
        return [link for link in self.links if link.kind == "discussed"]

    def identifier_problems(self) -> list[str]:
        """Invalid identifiers, as messages; they are kept in the record, never silently dropped."""
        problems = []
        for kind, normalize in (("doi", normalize_doi), ("pmid", normalize_pmid), ("pmcid", normalize_pmcid)):
            value = getattr(self, kind)
            if value:
                try:
                    normalize(value)
                except InvalidIdentifier as exc:
                    problems.append(str(exc))
        return problems

    def first_author_family(self) -> str:
        if not self.authors:
            return ""
        first = self.authors[0]
        return first.literal or first.family


RECORD_FIELD_NAMES = tuple(f.name for f in fields(Record))
_ALL_FIELDS = operator.attrgetter(*RECORD_FIELD_NAMES)  # record -> the tuple of its 52 values, in field order
_MUTABLE = (list, dict)
_DEFAULTS = _ALL_FIELDS(Record(""))
_SYNOPSIS = RECORD_FIELD_NAMES.index("synopsis")
_EXTRA = RECORD_FIELD_NAMES.index("extra")
_NUMBERS = range(len(RECORD_FIELD_NAMES))


# --- packed records ---------------------------------------------------------------------------------------------
# A Record takes about 1.5 kB even when nearly empty (52 slots, 13 empty lists, a dict, a Synopsis); a million of
# them do not fit in the 1 GB an import of a million-entry file may use (issue 21). A packed record keeps only the
# fields that differ from the defaults, as a flat tuple (field number, value, field number, value, ...) of
# immutable values: lists become tuples, ``extra`` a tuple of (name, value) pairs, the synopsis a 3-tuple. A tiny
# entry takes about 100 bytes plus its strings (which it shares with the record it was packed from).
PackedRecord = tuple[object, ...]


def pack_record(record: Record) -> PackedRecord:
    """The fields of ``record`` that are not at their defaults, as a flat immutable tuple (see above)."""
    out: list[object] = []
    values = _ALL_FIELDS(record)
    for number in compress(_NUMBERS, map(operator.ne, values, _DEFAULTS)):  # compared in C: most are defaults
        value = values[number]
        kind = type(value)
        if kind is list:
            value = tuple(value)
        elif kind is dict:
            value = tuple(value.items())
        elif number == _SYNOPSIS:
            value = (value.tldr, value.findings, value.implications)
        out += (number, value)
    return tuple(out)


def unpack_record(packed: PackedRecord) -> Record:
    """A new Record from :func:`pack_record`'s tuple (its lists, dict and synopsis are its own)."""
    record = Record("")
    for at in range(0, len(packed), 2):
        number, value = packed[at], packed[at + 1]
        if type(value) is tuple:
            value = (Synopsis(*value) if number == _SYNOPSIS else dict(value) if number == _EXTRA
                     else list(value))
        setattr(record, RECORD_FIELD_NAMES[number], value)  # type: ignore[call-overload]
    return record


class RecordList(MutableSequence[Record]):
    """A list of records held packed (see :func:`pack_record`): about a tenth of the memory of a list of Records.

    An item is built anew on every access, like :meth:`Record.copy`: editing it does not change the list -
    assign it back (``records[n] = record``). Equal to any sequence of equal records (a list among them).
    """

    __slots__ = ("_items",)

    def __init__(self, records: Iterable[Record] = ()) -> None:
        self._items: list[PackedRecord] = [pack_record(r) for r in records]

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> RecordList: ...

    def __getitem__(self, index: int | slice) -> Record | RecordList:
        if isinstance(index, slice):
            out = RecordList()
            out._items = self._items[index]
            return out
        return unpack_record(self._items[index])

    @overload
    def __setitem__(self, index: int, value: Record) -> None: ...

    @overload
    def __setitem__(self, index: slice, value: Iterable[Record]) -> None: ...

    def __setitem__(self, index: int | slice, value: Record | Iterable[Record]) -> None:
        if isinstance(index, slice):
            self._items[index] = [pack_record(r) for r in value]  # type: ignore[union-attr]
        else:
            self._items[index] = pack_record(value)  # type: ignore[arg-type]

    def __delitem__(self, index: int | slice) -> None:
        del self._items[index]

    def insert(self, index: int, value: Record) -> None:
        self._items.insert(index, pack_record(value))

    def append(self, value: Record) -> None:
        self._items.append(pack_record(value))

    def __iter__(self) -> Iterator[Record]:
        return map(unpack_record, self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecordList):
            return self._items == other._items
        if isinstance(other, list | tuple):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RecordList({list(self)!r})"

    def subset(self, positions: Iterable[int]) -> RecordList:
        """The records at ``positions``, in that order (their packed items shared, not copied)."""
        out = RecordList()
        out._items = [self._items[n] for n in positions]
        return out

    def packed(self) -> list[PackedRecord]:
        """The packed items themselves (for code that stores them as they are)."""
        return self._items
