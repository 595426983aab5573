"""Pieces every export format shares: what kind of work a record is, dates, page ranges, article numbers.

Records come from many sources, so the same thing is spelled several ways (``@online``/``@electronic``/``@www``,
"Mar"/"3"/"March", "2043--2052"/"2043-2052"/"2043–2052"). Each exporter asks these helpers instead of guessing
on its own, so a record reads the same in BibTeX, RIS, CSL-JSON and the formatted styles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import LibraryError
from ..model import Record

__all__ = [
    "STANDARD_EXTRA",
    "ExportResult",
    "UnknownFormatError",
    "article_number",
    "article_number_of",
    "bcp47",
    "iso_date",
    "kind_of",
    "month_number",
    "page_range",
    "standard_extra",
]


class UnknownFormatError(LibraryError, ValueError):
    """An export format, style or output name reflib does not know; the message lists the valid names."""

    def __init__(self, kind: str, name: str, valid: tuple[str, ...] | list[str]) -> None:
        super().__init__(f"unknown {kind} {name!r}; valid: {', '.join(valid)}")
        self.kind = kind
        self.name = name
        self.valid = tuple(valid)


@dataclass(slots=True)
class ExportResult:
    """Exported text plus what the user should know about it (fields a style needed but did not get...)."""

    text: str
    warnings: list[str]
    mime: str
    extension: str


# entry type (as stored, lower case) -> kind of work; anything unknown is "misc"
_KINDS = {
    "article": "article",
    "book": "book", "mvbook": "book", "booklet": "book",
    # biblatex's edited volumes: a book (its title is the work's, never a container of itself)
    "collection": "book", "mvcollection": "book", "reference": "book", "mvreference": "book",
    "incollection": "chapter", "inbook": "chapter", "bookinbook": "chapter", "suppbook": "chapter",
    "inreference": "chapter", "suppcollection": "chapter",
    "inproceedings": "conference", "conference": "conference",
    "proceedings": "proceedings", "mvproceedings": "proceedings",
    "online": "web", "electronic": "web", "www": "web", "webpage": "web",
    "report": "report", "techreport": "report",
    "thesis": "thesis", "phdthesis": "thesis", "mastersthesis": "thesis",
    "manual": "manual",
    "unpublished": "unpublished",
    "dataset": "dataset",
    "software": "software",
}


def kind_of(record: Record) -> str:
    """article | book | chapter | conference | proceedings | web | report | thesis | manual | unpublished |
    dataset | software | misc."""
    return _KINDS.get(record.entry_type.lower(), "misc")


_MONTHS = {name: i for i, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")), start=1) for name in names}


def month_number(text: str) -> int | None:
    """'Mar', 'March', 'mar.', '3', '03' -> 3; a range or season ('Jan-Feb', 'Spring') -> the first month or None."""
    text = text.strip().lower().rstrip(".")
    if not text:
        return None
    if text.isdecimal():
        value = int(text)
        return value if 1 <= value <= 12 else None
    first = re.split(r"[\s/\-–]+", text)[0].rstrip(".")
    return _MONTHS.get(first)


_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_DMY = re.compile(r"^(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})$")
_MDY = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")


def iso_date(text: str) -> tuple[int, ...]:
    """A date as the sources give it ('2007-11-30', '2007-11', '30 Nov 2007', 'November 30, 2007',
    '2007-11-30T10:00') -> (year[, month[, day]]); () when it cannot be read."""
    text = text.strip()
    match = _ISO.match(text)
    if match:
        parts = [int(g) for g in match.groups() if g]
        if len(parts) > 1 and not 1 <= parts[1] <= 12:
            return (parts[0],)
        if len(parts) > 2 and not 1 <= parts[2] <= 31:
            return tuple(parts[:2])
        return tuple(parts)
    match = _DMY.match(text)
    if match and month_number(match.group(2)):
        return (int(match.group(3)), month_number(match.group(2)) or 1, int(match.group(1)))
    match = _MDY.match(text)
    if match and month_number(match.group(1)):
        return (int(match.group(3)), month_number(match.group(1)) or 1, int(match.group(2)))
    return ()


_RANGE = re.compile(r"\s*(?:--?|–|—|‐|‑)\s*")
_ARTICLE_NUMBER = re.compile(r"^(?:[A-Za-z]{1,4}\d{3,}[A-Za-z0-9.]*|\d{5,})$")


def page_range(pages: str) -> tuple[str, str]:
    """'2043--2052' -> ('2043', '2052'); '153--160.e3' -> ('153', '160.e3'); 'CD003718' -> ('CD003718', '');
    quotation marks a spreadsheet left around the value are dropped."""
    parts = [p for p in _RANGE.split(pages.strip().strip('"\u201c\u201d').strip(), maxsplit=1) if p]
    if not parts:
        return ("", "")
    return (parts[0], parts[1] if len(parts) > 1 else "")


def article_number(record: Record) -> str:
    """The article number (e-locator) when ``pages`` holds one instead of a page range: 'CD003718', 'e0193972',
    '720401'. A single ordinary page ('561', 'S12') is not an article number."""
    return article_number_of(*page_range(record.pages))


def article_number_of(first: str, last: str) -> str:
    """:func:`article_number` from the record's :func:`page_range` already split (csl_item needs both)."""
    if last or not first:
        return ""
    return first if _ARTICLE_NUMBER.match(first) else ""


# standard bibliographic fields a record may carry in ``extra`` (from BibTeX/BibLaTeX sources)
STANDARD_EXTRA = ("address", "location", "edition", "series", "organization", "institution", "school",
                   "howpublished", "chapter", "type", "subtitle", "eventtitle", "venue", "titleaddon",
                   "translator", "version", "eprint", "eprinttype", "archiveprefix", "primaryclass")


def standard_extra(record: Record, name: str) -> str:
    """A standard field kept in ``extra`` ('' when absent); ``address``/``location`` are one thing."""
    value = record.extra.get(name, "")
    if not value and name in ("address", "location"):
        value = record.extra.get("location" if name == "address" else "address", "")
    return value.strip()


DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")  # explicit embeddings, overrides and isolates


def holds_direction_controls(text: str) -> bool:
    """Whether ``text`` has an explicit bidirectional embedding, override or isolate (ASCII text never has)."""
    return not text.isascii() and DIRECTION_CONTROLS.search(text) is not None


def without_direction_controls(text: str) -> str:
    """``text`` without explicit bidirectional embeddings, overrides and isolates: in a citation or on a page they
    reorder the text after them (a right-to-left override in an author's name printed the rest of the reference
    backwards). Bibliographic text never needs them; right-to-left scripts are ordered by their letters."""
    return DIRECTION_CONTROLS.sub("", text) if not text.isascii() else text


def publisher_of(record: Record) -> str:
    """Who issued the work: its publisher, else the BibTeX institution, school or organization (CSL's
    ``publisher``; a thesis's university, a report's institution)."""
    return (record.publisher or standard_extra(record, "institution") or standard_extra(record, "school")
            or standard_extra(record, "organization"))



# ISO 639-2 (PubMed's "eng", "fre" ...) and English names -> BCP 47 primary language subtags
_BCP47 = {"eng": "en", "english": "en", "fre": "fr", "fra": "fr", "french": "fr", "ger": "de", "deu": "de",
          "german": "de", "spa": "es", "spanish": "es", "ita": "it", "italian": "it", "dut": "nl", "nld": "nl",
          "dutch": "nl", "por": "pt", "portuguese": "pt", "pol": "pl", "swe": "sv", "dan": "da", "nor": "no",
          "fin": "fi", "tur": "tr", "gre": "el", "ell": "el", "rus": "ru", "cze": "cs", "ces": "cs", "hun": "hu",
          "jpn": "ja", "japanese": "ja", "chi": "zh", "zho": "zh", "chinese": "zh", "kor": "ko", "heb": "he",
          "ara": "ar", "per": "fa", "fas": "fa"}
_BCP47_SHAPE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def bcp47(language: str) -> str:
    """'eng' / 'English' / 'en-GB' -> 'en' / 'en' / 'en-GB'; '' when it is not recognizable as a language."""
    text = language.strip()
    lowered = text.lower()
    if lowered in _BCP47:
        return _BCP47[lowered]
    return text if _BCP47_SHAPE.match(text) and len(text.split("-")[0]) == 2 else ""
