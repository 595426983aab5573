"""A library's comparison keys as columns: every record normalized once, then numpy arrays.

Why columns: blocking and the first scoring pass are vectorized over these arrays, and the expensive
normalizations run in bulk — titles and surnames are folded by Arrow compute kernels in one pass each, and
values that repeat across a library (journal names, volumes, publication years) are normalized once per
distinct value. At 100k records this is the difference between seconds and tens of seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..identifiers import InvalidIdentifier, normalize_pmid, pmcid_key
from ..model import Record
from ..names import name_suffix
from .comparison_keys import (
    FOLD_TABLE,
    NO_AUTHOR,
    RETRACTED,
    doi_key,
    doi_version_base,
    first_page,
    fold,
    generic_title,
    isbn_keys,
    issue_key,
    journal_edition,
    journal_main,
    journal_tokens,
    last_page,
    notice_kind,
    page_set,
    spreadsheet_date,
    strip_notes,
    title_numbers,
    venue_kind,
    volume_number,
)
from .notices import MEETING, Pointer, looks_like_abstract, notice_pointers, notice_subject

__all__ = ["Columns", "KeyTable", "build_table", "columns_from_frame", "columns_from_records", "fold_many"]

MAX_AUTHORS = 10  # enough to tell author lists apart; long consortium lists would only cost time


@dataclass(slots=True)
class KeyTable:
    """Comparison keys of n records, one array per key ('' or -1 where the record has no value).

    ``authors`` holds folded surnames joined by spaces (first ten). For a notice (erratum, reply, protocol ...)
    ``title`` and ``compact`` hold its *subject* (:func:`~library.dedupe.notices.notice_subject`: "Erratum to:
    X" -> x), so that it is blocked and compared with the paper it is about; its kind keeps them apart.
    """

    keys: np.ndarray  # record keys (str)
    title: np.ndarray  # folded title, words separated by spaces
    compact: np.ndarray  # folded title without spaces (blocking on prefixes/suffixes)
    authors: np.ndarray
    first_author: np.ndarray
    year: np.ndarray  # int64, -1 when missing
    journal: np.ndarray  # significant folded journal words
    journal_main: np.ndarray  # the same for the main title only
    volume: np.ndarray
    issue: np.ndarray
    page: np.ndarray  # first page
    last_page: np.ndarray
    doi: np.ndarray
    pmid: np.ndarray
    pmcid: np.ndarray
    entry_type: np.ndarray
    kind: np.ndarray  # notice kind, see keys.notice_kind()
    titled_kind: np.ndarray  # the notice kind the title alone announces (publication types left out)
    translated: np.ndarray  # bool: the title is a translation in MEDLINE's [brackets]
    numbers: list[frozenset[str]]
    abstract: np.ndarray  # bool: looks like a meeting abstract (notices.looks_like_abstract)
    numbered: np.ndarray  # bool: the pages are page numbers ("356-359"), not article numbers ("a1754", "e0193972")
    damaged: np.ndarray  # bool: pages a spreadsheet turned into a date ("01--Jun"; keys.spreadsheet_date)
    pointers: dict[int, tuple[Pointer, ...]]  # record position -> notices its title notes point at
    page_sets: dict[int, frozenset[str]]  # record position -> first pages, for records listing several ranges
    given: list[list[str]]  # given names as the source wrote them (read only for pairs whose first authors differ)
    doi_base: np.ndarray  # the DOI without a version suffix (keys.doi_version_base)
    vernacular: np.ndarray  # bool: the record also gives the title in the original language (a translation)
    venue: np.ndarray  # conference | journal | '' (keys.venue_kind)
    edition: np.ndarray  # the language edition the journal name states ('english'), else ''
    generic: np.ndarray  # bool: a title that names a kind of item ("Editorial", "Correction"; keys.generic_title)
    isbn: list[frozenset[str]]  # ISBN-13 forms of the record's ISBNs
    publisher: np.ndarray  # significant folded words of the publisher's name

    def __len__(self) -> int:
        return len(self.keys)


# Below this many values the Arrow kernels' fixed cost (about 5 ms a call: the Unicode regexes are compiled each
# time) is more than folding each value in Python; from about a thousand the kernels are faster.
_ARROW_FOLD_FROM = 1000


def fold_many(values: Sequence[str]) -> list[str]:
    """:func:`~library.dedupe.comparison_keys.fold` for many strings at once (Arrow kernels; same result)."""
    if len(values) < _ARROW_FOLD_FROM:
        return [fold(v) for v in values]
    prepared = [v if v.isascii() and "&" not in v else v.translate(FOLD_TABLE) for v in values]
    array = pa.array(prepared, pa.string())
    array = pc.utf8_normalize(array, form="NFKD")
    array = pc.replace_substring_regex(array, pattern=r"\p{M}+", replacement="")
    array = pc.utf8_lower(array)
    array = pc.replace_substring_regex(array, pattern=r"[^\p{L}\p{N}]+", replacement=" ")
    return pc.utf8_trim(array, characters=" ").to_pylist()  # type: ignore[no-any-return]


def _per_distinct(values: Sequence[str], function: Callable[[str], object]) -> list[object]:
    """``function`` applied once per distinct value (journals, volumes and pages repeat a lot)."""
    cache = {value: function(value) for value in set(values)}
    return [cache[value] for value in values]


def _identifier(value: str, normalize: Callable[[str], str]) -> str:
    if not value:
        return ""
    try:
        return normalize(value)
    except InvalidIdentifier:
        return ""


def _text(values: Sequence[object]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


@dataclass(slots=True)
class Columns:
    """The raw values matching needs, one list per field: from Records or from the library's frame."""

    keys: list[str]
    titles: list[str]
    authors: list[list[str]]  # family names (or collective names), first MAX_AUTHORS
    given: list[list[str]]  # those authors' given names ('' for none)
    years: list[int]  # -1 when missing
    journals: list[str]  # journal, else its abbreviation, else the booktitle
    volumes: list[str]
    issues: list[str]
    pages: list[str]
    dois: list[str]
    pmids: list[str]
    pmcids: list[str]
    entry_types: list[str]
    pubtypes: list[list[str]]
    vernacular: list[bool]  # an original-language title is given (``origtitle``)
    editions: list[str]  # journal and journal abbreviation, where a language edition shows
    isbns: list[str]
    publishers: list[str]

    def __add__(self, other: Columns) -> Columns:
        return Columns(*(getattr(self, f) + getattr(other, f) for f in self.__slots__))  # type: ignore[attr-defined]


_NO_NAMES: list[str] = []  # shared by every record without authors (never changed)


def columns_from_records(records: Iterable[Record]) -> Columns:
    """The columns of records, in one pass over them (a packed :class:`~library.model.RecordList` builds each
    record once)."""
    c = Columns(*([] for _ in Columns.__slots__))  # type: ignore[attr-defined]
    for r in records:
        c.keys.append(r.key)
        c.titles.append(r.title)
        people = r.authors[:MAX_AUTHORS]
        c.authors.append([a.literal or a.family for a in people] if people else _NO_NAMES)
        c.given.append([a.given for a in people] if people else _NO_NAMES)
        c.years.append(r.year if r.year is not None else -1)
        c.journals.append(r.journal or r.journal_abbrev or r.booktitle)
        c.volumes.append(r.volume)
        c.issues.append(r.issue)
        c.pages.append(r.pages)
        c.dois.append(r.doi)
        c.pmids.append(r.pmid)
        c.pmcids.append(r.pmcid)
        c.entry_types.append(r.entry_type)
        c.pubtypes.append(r.pubtypes or _NO_NAMES)
        c.vernacular.append(bool(r.extra.get("origtitle")))
        c.editions.append(f"{r.journal} {r.journal_abbrev}".strip() if r.journal_abbrev else r.journal.strip())
        c.isbns.append(r.isbn)
        c.publishers.append(r.publisher)
    return c


def _family(display: str) -> str:
    """The family name from the frame's 'Family, Given' display form (collective names have no comma)."""
    return display.split(", ", 1)[0]


def _given(display: str) -> str:
    """The given name from the frame's 'Family, Given' (or 'Family, Given, Suffix') display form."""
    given = display.partition(", ")[2]
    if ", " in given:
        head, _, last = given.rpartition(", ")
        return head if name_suffix(last) else given
    return given


def columns_from_frame(frame: pd.DataFrame) -> Columns:
    """The columns of a library's pandas view (:meth:`Library.frame`): no Record objects are built."""
    def text(name: str) -> list[str]:  # through Arrow: ~20x faster than Series.tolist() on Arrow strings
        return pc.fill_null(pa.array(frame[name], pa.string()), "").to_pylist()  # type: ignore[no-any-return]

    def lists(name: str) -> list[list[str]]:
        return [v or [] for v in pa.array(frame[name]).to_pylist()]

    def optional(name: str) -> list[str]:  # a column frames written before it existed lack
        return text(name) if name in frame.columns else [""] * len(frame)

    full, abbreviated = text("journal"), text("journal_abbrev")
    journals = [j or a or b for j, a, b in zip(full, abbreviated, optional("booktitle"), strict=True)]
    origtitles = optional("origtitle")
    years = frame["year"].fillna(-1).astype("int64").tolist()
    people = [names[:MAX_AUTHORS] for names in lists("authors")]
    authors = [[_family(a) for a in names] for names in people]
    given = [[_given(a) for a in names] for names in people]
    return Columns(keys=text("key"), titles=text("title"), authors=authors, given=given, years=years,
                   journals=journals,
                   volumes=text("volume"), issues=text("issue"), pages=text("pages"), dois=text("doi"),
                   pmids=text("pmid"), pmcids=text("pmcid"), entry_types=text("entry_type"),
                   pubtypes=lists("pubtypes"), vernacular=[bool(t) for t in origtitles],
                   editions=[f"{j} {a}".strip() for j, a in zip(full, abbreviated, strict=True)],
                   isbns=optional("isbn"), publishers=optional("publisher"))


def _abstracts(c: Columns, pages: list[str], ends: list[str]) -> np.ndarray:
    """:func:`~library.dedupe.notices.looks_like_abstract` per record; the journal test once per journal."""
    meeting = _per_distinct(c.journals, lambda journal: bool(MEETING.search(journal)))
    out = np.zeros(len(c.keys), dtype=bool)
    for n, (at_meeting, first, last) in enumerate(zip(meeting, pages, ends, strict=True)):
        # outside a meeting's journal only one or two pages can be an abstract (first/last are digit strings)
        if not at_meeting and (not first or (last and last != first and int(last) - int(first) != 1)):
            continue
        out[n] = looks_like_abstract(c.journals[n], c.volumes[n], c.issues[n], c.pages[n], str(first), str(last),
                                     c.entry_types[n])
    return out


_SUFFIX = re.compile(r" (?:jr|sr|ii|iii|iv)$")  # "Lynch Jr" is Lynch


def _authors(people: list[list[str]]) -> tuple[list[str], list[str]]:
    """(surnames joined by spaces, first surname) per record; 'Anonymous', 'others' are no author."""
    folded = [_SUFFIX.sub("", name).replace(" ", "")
              for name in fold_many([name for names in people for name in names])]
    joined, first = [], []
    position = 0
    for names in people:
        kept = [name for name in folded[position:position + len(names)] if name and name not in NO_AUTHOR]
        position += len(names)
        joined.append(" ".join(kept))
        first.append(kept[0] if kept else "")
    return joined, first


def build_table(source: Sequence[Record] | pd.DataFrame | Columns, *, consume: bool = False) -> KeyTable:
    """Normalize every record once into comparison columns; O(n).

    ``source``: Records, the library's frame (fast for large libraries: no Record objects), or Columns.
    ``consume=True`` empties the lists of the given Columns as they are used (for a caller that built them for
    this table only): a million records' raw columns and their comparison columns are then not held at once.
    """
    if isinstance(source, pd.DataFrame):
        source, consume = columns_from_frame(source), True
    elif not isinstance(source, Columns):
        source, consume = columns_from_records(source), True
    c = source

    def done(*names: str) -> None:
        if consume:
            for name in names:
                setattr(c, name, [])

    folded = fold_many([strip_notes(t) for t in c.titles])
    folded = [RETRACTED.sub("", t) if t.startswith("retracted") else t for t in folded]
    kinds = [notice_kind(raw, t, types) for raw, t, types in zip(c.titles, folded, c.pubtypes, strict=True)]
    # the kind the title alone announces: PubMed's version records of one article may differ in publication types
    titled = _text([kind if not kind or not types else notice_kind(raw, t)
                    for raw, t, types, kind in zip(c.titles, folded, c.pubtypes, kinds, strict=True)])
    titles = [notice_subject(raw, t, kind) if kind else t
              for raw, t, kind in zip(c.titles, folded, kinds, strict=True)]
    del folded
    pointers = {n: found for n, raw in enumerate(c.titles) if "[" in raw and (found := notice_pointers(raw))}
    translated = np.array([t.lstrip(' "').startswith("[") for t in c.titles], dtype=bool)
    done("titles", "pubtypes")
    kind = _text(kinds)
    del kinds
    title = _text(titles)
    compact = _text([t.replace(" ", "") for t in titles])
    numbers = [title_numbers(t) for t in titles]
    generic = np.array([generic_title(t) for t in titles], dtype=bool)
    del titles
    people, first = _authors(c.authors)
    authors, first_author = _text(people), _text(first)
    del people, first
    done("authors")
    pages: list[str] = _per_distinct(c.pages, first_page)  # type: ignore[assignment]
    ends: list[str] = _per_distinct(c.pages, last_page)  # type: ignore[assignment]
    abstract = _abstracts(c, pages, ends)
    page, last = _text(pages), _text(ends)
    del pages, ends
    numbered = np.array([p.lstrip()[:1].isdecimal() for p in c.pages], dtype=bool)
    damaged = np.array(_per_distinct(c.pages, spreadsheet_date), dtype=bool)
    page_sets = {n: starts for n, raw in enumerate(c.pages) if len(raw) > 8 and (starts := page_set(raw))}
    done("pages")
    journal = _text(_per_distinct(c.journals, journal_tokens))
    journal_main_col = _text(_per_distinct(c.journals, journal_main))
    done("journals")
    volume = _text(_per_distinct(c.volumes, volume_number))
    issue = _text(_per_distinct(c.issues, issue_key))
    done("volumes", "issues")
    dois = [doi_key(d) for d in c.dois]
    doi, doi_base = _text(dois), _text([doi_version_base(d) for d in dois])
    del dois
    done("dois")
    pmid = _text([_identifier(p, normalize_pmid) for p in c.pmids])
    pmcid = _text([pmcid_key(p) for p in c.pmcids])
    done("pmids", "pmcids")
    entry_type = _text(_per_distinct(c.entry_types, str.lower))
    venue = _text([venue_kind(e) for e in c.entry_types])
    done("entry_types")
    return KeyTable(
        keys=_text(c.keys),
        title=title,
        compact=compact,
        authors=authors,
        first_author=first_author,
        year=np.array(c.years, dtype=np.int64),
        journal=journal,
        journal_main=journal_main_col,
        volume=volume,
        issue=issue,
        page=page,
        last_page=last,
        doi=doi,
        pmid=pmid,
        pmcid=pmcid,
        entry_type=entry_type,
        kind=kind,
        titled_kind=titled,
        translated=translated,
        numbers=numbers,
        abstract=abstract,
        numbered=numbered,
        damaged=damaged,
        pointers=pointers,
        page_sets=page_sets,
        given=c.given,
        doi_base=doi_base,
        vernacular=np.array(c.vernacular, dtype=bool),
        venue=venue,
        edition=_text(_per_distinct(c.editions, journal_edition)),
        generic=generic,
        isbn=_per_distinct(c.isbns, isbn_keys),  # type: ignore[arg-type]
        publisher=_text(_per_distinct(c.publishers, journal_tokens)),
    )
