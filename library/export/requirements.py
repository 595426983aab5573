"""What each export target needs from a record, so an export can say which records came out incomplete.

A record missing a field is still exported with what it has; the warning ("key: missing journal for AMA") tells
the editor what to fix. Requirements follow the style manuals' minimum for each kind of work, not everything a
style can print.
"""

from __future__ import annotations

from ..model import Record
from .parts import article_number, iso_date, kind_of

__all__ = ["bibtex_warnings", "style_warnings"]

_LABELS = {"ama": "AMA", "vancouver": "Vancouver", "apa": "APA", "mla": "MLA", "bibtex": "BibTeX",
           "biblatex": "BibLaTeX"}


def _present(record: Record, field: str) -> bool:
    if field == "author":
        return bool(record.authors)
    if field == "author or editor":
        return bool(record.authors or record.editors)
    if field == "year":
        return record.year is not None
    if field == "pages":
        return bool(record.pages)
    if field == "access date":
        return bool(record.urldate)
    if field == "publisher":
        return any(record.extra.get(name) for name in ("institution", "school", "organization")) or bool(
            record.publisher)
    return bool(getattr(record, field, "") or record.extra.get(field, ""))


def _needs(record: Record, target: str) -> tuple[str, ...]:
    kind = kind_of(record)
    medical = target in ("ama", "vancouver")
    if kind == "article":
        fields: tuple[str, ...] = ("author", "title", "journal", "year")
        if target in ("ama", "vancouver", "apa"):
            fields += ("volume",) if not article_number(record) else ()
            fields += ("pages",)
        return fields
    if kind == "chapter":
        return ("author", "title", "booktitle", "publisher", "year") + (("pages",) if medical else ())
    if kind in ("book", "proceedings"):
        return ("author or editor", "title", "publisher", "year")
    if kind == "conference":
        return ("author", "title", "booktitle", "year")
    if kind == "web":
        fields = ("title", "url")
        if target in ("ama", "vancouver", "mla"):
            fields += ("access date",)
        return fields
    if kind in ("report", "thesis"):
        return ("author", "title", "publisher", "year")
    return ("title", "year")


def style_warnings(record: Record, style: str) -> list[str]:
    """'key: missing journal for AMA' for each field the style needs and the record lacks."""
    label = _LABELS.get(style, style.upper())
    out = [f"{record.key}: missing {field} for {label}" for field in _needs(record, style)
           if not _present(record, field)]
    if record.urldate and not iso_date(record.urldate):
        out.append(f"{record.key}: access date {record.urldate!r} is not a date ({label} prints it as given)")
    return out


_BIBTEX_NEEDS = {  # BibTeX's own required fields per entry type (kind); biblatex's data model is close
    "article": ("author", "title", "journal", "year"),
    "book": ("author or editor", "title", "publisher", "year"),
    "chapter": ("author", "title", "booktitle", "publisher", "year"),
    "conference": ("author", "title", "booktitle", "year"),
    "report": ("author", "title", "year"),
    "thesis": ("author", "title", "year"),
    "web": ("title", "url"),
}


def bibtex_warnings(record: Record, target: str = "bibtex") -> list[str]:
    label = _LABELS.get(target, target)
    needs = _BIBTEX_NEEDS.get(kind_of(record), ())
    if target == "biblatex" and kind_of(record) == "web":
        needs = ("author or editor", "title", "year", "url")
    out = [f"{record.key}: missing {field} for {label}" for field in needs if not _present(record, field)]
    if target == "biblatex" and record.urldate and not iso_date(record.urldate):
        out.append(f"{record.key}: access date {record.urldate!r} is not a date; left out of urldate")
    return out
