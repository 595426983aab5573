"""RIS for reference managers (EndNote, Zotero, Mendeley, rispy): one ``TAG  - value`` line per field.

Identifiers follow the conventions of PubMed records imported into EndNote, which other managers also read:
PMID in ``AN`` (accession number, with ``DB  - PubMed`` naming the database it belongs to), PMCID in ``C2``,
DOI in ``DO``. The citation key travels in ``ID`` so a file
exported and read back can be matched to the library. Web pages are ``ELEC`` with the access date in ``Y2``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..latex import squash_spaces
from ..model import Author, Record
from .parts import iso_date, kind_of, month_number, page_range, standard_extra

__all__ = ["ris_lines", "ris_type", "to_ris"]

_TYPES = {"article": "JOUR", "book": "BOOK", "chapter": "CHAP", "conference": "CPAPER", "proceedings": "CONF",
          "web": "ELEC", "report": "RPRT", "thesis": "THES", "manual": "GEN", "unpublished": "UNPB",
          "dataset": "DATA", "software": "COMP", "misc": "GEN"}


def ris_type(record: Record) -> str:
    if record.entry_type.lower() == "book" and record.editors and not record.authors:
        return "EDBOOK"
    return _TYPES.get(kind_of(record), "GEN")


def _one_line(text: str) -> str:
    """RIS values cannot span lines (a continuation line is read as garbage by several managers)."""
    return squash_spaces(text) if len(text) > 200 else " ".join(text.split())  # (an abstract: mostly one line)


def _name(author: Author) -> str:
    """'Family, Given' or 'Family, Given, Suffix' (the RIS specification's form)."""
    return author.display()


def _ris_date(parts: tuple[int, ...]) -> str:
    """(2007, 11, 30) -> '2007/11/30'; (2003, 5) -> '2003/05'."""
    return "/".join(f"{p:02d}" if i else f"{p:04d}" for i, p in enumerate(parts))


def ris_lines(record: Record) -> Iterator[tuple[str, str]]:
    """(tag, value) pairs of one record, ``TY`` first and ``ER`` last."""
    kind = kind_of(record)
    yield "TY", ris_type(record)
    yield "ID", record.key
    for author in record.authors:
        if not author.is_others:  # BibTeX's "and others": no person of that name (RIS has no "et al.")
            yield "AU", _name(author)
    for editor in record.editors:
        if not editor.is_others:
            yield "A2" if kind in ("chapter", "conference") else "ED", _name(editor)
    yield "TI", record.title
    if kind in ("chapter", "conference"):
        yield "T2", record.booktitle
    else:
        yield "T2", record.journal or record.booktitle
    yield "J2", record.journal_abbrev
    yield "T3", standard_extra(record, "series")
    if record.year is None:
        yield "PY", record.extra.get("year", "")  # "in press": as the record says (RIS's PY is free text)
    else:
        yield "PY", f"{record.year:04d}"
        month = month_number(record.month) if record.month else None
        if month:
            yield "DA", _ris_date((record.year, month))
    yield "VL", record.volume
    yield "IS", record.issue
    first, last = page_range(record.pages)
    yield "SP", first
    yield "EP", last
    yield "ET", standard_extra(record, "edition")
    publisher = record.publisher or standard_extra(record, "institution") or standard_extra(record, "school")
    yield "PB", publisher
    yield "CY", standard_extra(record, "address")
    if kind == "thesis":
        yield "M3", standard_extra(record, "type")
    isbn_first = kind in ("book", "chapter", "proceedings", "conference", "report", "thesis")
    yield "SN", (record.isbn or record.issn) if isbn_first else (record.issn or record.isbn)
    yield "DO", record.doi
    yield "AN", record.pmid
    yield "DB", "PubMed" if record.pmid else ""  # readers take AN as a PMID only when the database says so
    yield "C2", record.pmcid
    yield "UR", record.url
    if record.urldate:
        parts = iso_date(record.urldate)
        yield "Y2", _ris_date(parts) if parts else record.urldate
    yield "LA", record.language
    for keyword in record.keywords:
        yield "KW", keyword
    yield "AB", record.abstract
    yield "N1", record.note
    yield "ER", ""


def to_ris(records: Sequence[Record]) -> str:
    """Records -> RIS text (``\\n`` line ends, a blank line after each ``ER``)."""
    out: list[str] = []
    for record in records:
        for tag, value in ris_lines(record):
            if tag == "ER":
                out.append("ER  - \n")
            elif value:
                text = _one_line(value)
                if text:
                    out.append(f"{tag}  - {text}")
    return "\n".join(out)
