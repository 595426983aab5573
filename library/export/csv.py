"""CSV for spreadsheets: one row per record, bibliographic columns then the evidence columns.

List values are joined with ``"; "``; page ranges use an en dash ("10–12": a spreadsheet would turn "10-12"
into a date). Any cell that a spreadsheet would run as a formula (it starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return, after optional spaces) gets a leading single quote, the
usual neutralization of CSV/formula injection: a record imported from an untrusted file cannot make a clinician's
spreadsheet run ``=HYPERLINK(...)`` or DDE payloads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from ..model import Author, Record

__all__ = ["CSV_COLUMNS", "csv_row", "neutralize", "to_csv"]

CSV_COLUMNS = (
    "key", "entry_type", "authors", "title", "journal", "journal_abbrev", "booktitle", "publisher", "year",
    "month", "volume", "issue", "pages", "doi", "pmid", "pmcid", "issn", "isbn", "url", "urldate", "language",
    "pubtypes", "keywords", "mesh",
    # evidence
    "topics", "topics_manual", "design", "level", "grade", "stance", "relevance", "verification", "retracted",
    "tldr", "findings", "implications", "cited_in", "discussed_in", "note", "abstract",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(cell: str) -> str:
    """Prefix a single quote to a cell a spreadsheet would read as a formula."""
    if cell.startswith(_FORMULA_START) or cell.lstrip(" ").startswith(_FORMULA_START):
        return "'" + cell
    return cell


def _join(values: Sequence[str]) -> str:
    return "; ".join(values)


def _name(author: Author) -> str:
    """A collective name holding " and " is braced, as in BibTeX, so that reading the file back (reflib import)
    keeps it one name ("American College of Obstetricians and Gynecologists")."""
    if author.literal and " and " in author.literal:
        return "{" + author.literal + "}"
    return author.display()


def csv_row(record: Record) -> list[str]:
    values = {
        "key": record.key, "entry_type": record.entry_type,
        "authors": _join([_name(a) for a in record.authors]),
        "title": record.title, "journal": record.journal, "journal_abbrev": record.journal_abbrev,
        "booktitle": record.booktitle, "publisher": record.publisher,
        "year": record.extra.get("year", "") if record.year is None else str(record.year), "month": record.month,
        "volume": record.volume, "issue": record.issue, "pages": record.pages.replace("--", "\u2013"),
        "doi": record.doi, "pmid": record.pmid, "pmcid": record.pmcid, "issn": record.issn, "isbn": record.isbn,
        "url": record.url, "urldate": record.urldate, "language": record.language,
        "pubtypes": _join(record.pubtypes), "keywords": _join(record.keywords), "mesh": _join(record.mesh),
        "topics": _join(record.all_topics), "topics_manual": _join(record.topics),
        "design": record.effective_design, "level": record.effective_level, "grade": record.grade,
        "stance": record.stance, "relevance": "" if record.relevance is None else str(record.relevance),
        "verification": record.verification, "retracted": "yes" if record.retracted else "",
        "tldr": record.synopsis.tldr, "findings": record.synopsis.findings,
        "implications": record.synopsis.implications,
        "cited_in": _join([link.slug for link in record.cited_in()]),
        "discussed_in": _join([link.slug for link in record.discussed_in()]),
        "note": record.note, "abstract": record.abstract,
    }
    return [neutralize(values[column]) for column in CSV_COLUMNS]


def to_csv(records: Sequence[Record]) -> str:
    """Records -> CSV text (header row, RFC 4180 quoting and CRLF line ends, UTF-8 when written)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for record in records:
        writer.writerow(csv_row(record))
    return buffer.getvalue()
