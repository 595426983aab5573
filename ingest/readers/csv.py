"""CSV/TSV with a header row -> Records, through a documented header mapping.

Header names are matched case-insensitively, ignoring spaces, ``_``, ``-`` and ``.``. The mapping below covers
reflib's own exports, Zotero's CSV, BibTeX-like tables (``ENTRYTYPE``, ``author``, ``journal`` ... as written
by CoLRev or R's bib2df), Scopus and Web of Science tables and systematic-review tools (ASySD, synthesisr).
``--map FIELD=COLUMN`` (``columns={"title": "Article Name"}``) overrides or extends it. Columns that map to
nothing are ignored. Fields:

=============  ========================================================================================
field          header names recognized
=============  ========================================================================================
key            key, citationkey, bibtexkey, citekey (the source's key; reflib makes its own)
entry_type     type, entrytype, itemtype, referencetype (Zotero item types and RIS codes understood)
author         author, authors, creators, authorfullnames ("A and B", "A; B" or "Smith J, Doe A")
editor         editor, editors
title          title, articletitle, documenttitle, primarytitle
journal        journal, journaltitle, publicationtitle, source, sourcetitle, containertitle, secondarytitle
journal_abbrev journalabbreviation, journalabbrev, shortjournal, abbreviatedsourcetitle, isoabbreviation
booktitle      booktitle
year / month   year, publicationyear, pubyear / month; date, publicationdate, issued (when no year)
volume, issue  volume, vol / issue, number, no
pages          pages, page, pagerange; or startpage + endpage (beginningpage, pagestart / pageend)
identifiers    doi; pmid, pubmedid; pmcid, pmc; issn; isbn
url, urldate   url, link / accessdate, urldate, accessed
abstract       abstract, abstractnote
keywords       keywords, keyword, authorkeywords, manualtags, tags
mesh, pubtypes mesh, meshterms, meshheadings / pubtype, publicationtypes
language       language, lang;  publisher: publisher;  note: note;  topics: topics
(PubMed)       journal/book (the NLM abbreviation); citation ("Econ Bot. 2021 Mar;75(2):101-110.
               ...": volume, issue, pages and month when it starts with that abbreviation; "2023 Jan 30.
               In: StatPearls [Internet]. ...": a chapter of that book, "Journal/Book" its publisher)
=============  ========================================================================================

A header without a title column is refused (fatal: nothing can be matched or keyed without titles), naming the
columns found; a row with more non-empty fields than the header is reported with its line and skipped (empty
fields past the header's are ignored: PubMed's old CSV ends every row with a comma).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping

from library.model import Author, Record
from library.names import parse_bibtex_names
from library.normalize import normalize_record, parse_date, parse_person_name

from ..base import ReadProblem, ReadResult, findable, identifier_problems
from . import decode_text
from .limits import max_record_chars, max_records, too_many
from .lines import kept_lines
from .ris import RIS_TYPES

__all__ = ["HEADER_ALIASES", "map_header", "read_csv"]

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "key": ("key", "citationkey", "bibtexkey", "citekey"),
    "entry_type": ("type", "entrytype", "itemtype", "referencetype"),
    "author": ("author", "authors", "creators", "authorfullnames"),
    "editor": ("editor", "editors"),
    "title": ("title", "articletitle", "documenttitle", "primarytitle"),
    "journal": ("journal", "journaltitle", "publicationtitle", "source", "sourcetitle", "containertitle",
                "secondarytitle"),
    "journal_abbrev": ("journalabbreviation", "journalabbrev", "shortjournal", "abbreviatedsourcetitle",
                       "isoabbreviation", "journal/book"),
    "booktitle": ("booktitle",),
    "year": ("year", "publicationyear", "pubyear"),
    "month": ("month",),
    "date": ("date", "publicationdate", "issued"),
    "volume": ("volume", "vol"),
    "issue": ("issue", "number", "no"),
    "pages": ("pages", "page", "pagerange"),
    "startpage": ("startpage", "beginningpage", "pagestart"),
    "endpage": ("endpage", "pageend"),
    "doi": ("doi",), "pmid": ("pmid", "pubmedid"), "pmcid": ("pmcid", "pmc"), "issn": ("issn",),
    "isbn": ("isbn",), "url": ("url", "link"), "urldate": ("accessdate", "urldate", "accessed"),
    "abstract": ("abstract", "abstractnote"),
    "keywords": ("keywords", "keyword", "authorkeywords", "manualtags", "tags"),
    "mesh": ("mesh", "meshterms", "meshheadings"), "pubtypes": ("pubtype", "pubtypes", "publicationtypes"),
    "language": ("language", "lang"), "publisher": ("publisher",), "note": ("note",), "topics": ("topics",),
    "citation": ("citation",),
}
_ZOTERO_TYPES = {"journalarticle": "article", "magazinearticle": "article", "newspaperarticle": "article",
                 "book": "book", "booksection": "incollection", "conferencepaper": "inproceedings",
                 "thesis": "phdthesis", "report": "techreport", "webpage": "online", "blogpost": "online",
                 "manuscript": "unpublished", "preprint": "unpublished", "dataset": "dataset", "patent": "patent"}
_LIST_FIELDS = ("keywords", "mesh", "pubtypes", "topics")


def _canonical(name: str) -> str:
    return re.sub(r"[\s_\-.()]+", "", name.strip().lstrip("\ufeff").lower())


def map_header(header: list[str], columns: Mapping[str, str] | None = None) -> tuple[dict[str, int], list[str]]:
    """(field -> column index, problems) for a header row; ``columns`` (field -> column name) wins."""
    index = {_canonical(name): i for i, name in reversed(list(enumerate(header)))}
    mapped: dict[str, int] = {}
    for name, aliases in HEADER_ALIASES.items():
        found = next((index[a] for a in aliases if a in index), None)
        if found is not None:
            mapped[name] = found
    problems = []
    for name, column in (columns or {}).items():
        if name not in HEADER_ALIASES:
            problems.append(f"--map {name}={column}: unknown field {name!r} (known: {', '.join(HEADER_ALIASES)})")
        elif _canonical(column) not in index:
            problems.append(f"--map {name}={column}: no column {column!r} in the header")
        else:
            mapped[name] = index[_canonical(column)]
    return mapped, problems


_PROSE_SPLIT = re.compile(r",\s*and\s+|\s+and\s+|,\s*")
_GIVEN_FIRST = re.compile(r"(?:[A-Z]\.[\s-]*)+[^\s,.][^,]*")  # "S. S. Negus", "K. Cheng", "F. Riet Correa"


def _prose_list(text: str) -> list[str] | None:
    """'S. S. Negus, E. M. Morrissey, K. Cheng and K. C. Rice' (names given-first, commas and a last "and", as
    PubMed-derived screening sets write them) -> the names; None for any other form (BibTeX "Family, Given and
    ...": "Zhai, Q. J. and Yue, X. Y." is not one)."""
    if "," not in text or not re.search(r"\s+and\s+", text):
        return None
    parts = [p.strip() for p in _PROSE_SPLIT.split(text)]
    return parts if all(_GIVEN_FIRST.fullmatch(p) for p in parts) else None


def _authors(text: str) -> list[Author]:
    text = text.strip()
    if not text:
        return []
    prose = _prose_list(text)
    if prose is not None:
        return [a for a in (parse_person_name(p) for p in prose) if a.family or a.literal]
    if re.search(r"\s+and\s+", text) or text.startswith("{"):
        return parse_bibtex_names(text)
    if ";" in text:
        parts = text.split(";")
    elif "," in text and all(re.fullmatch(r".+\s[A-Z.\-]{1,6}", p.strip()) for p in text.split(",")):
        parts = text.split(",")  # Vancouver: "Smith J, Doe AB" (two authors too: "Smith, John A" is one)
    else:
        parts = [text]
    return [a for a in (parse_person_name(p) for p in parts) if a.family or a.literal]


def _entry_type(text: str) -> str:
    raw = text.strip()
    if not raw:
        return "article"
    return _ZOTERO_TYPES.get(_canonical(raw)) or RIS_TYPES.get(raw.upper()) or raw.lower()


# PubMed's CSV "Citation" after the journal: "2021 Mar;75(2):101-110. doi: ..." (date; volume(issue):pages.)
_PUBMED_CITATION = re.compile(r"(?P<date>[0-9]{4}[^;:]*);(?P<volume>[^(:;.]*)(?:\((?P<issue>[^)]*)\))?"
                              r"(?::(?P<pages>[^.;\s][^;\s]*?))?\.(?:\s|$)")


_PUBMED_BOOK = re.compile(r"[0-9]{4}[^.]*\.\s+In:\s+(?P<book>[^.]+?)(?:\s+\[Internet\])?\.\s")  # StatPearls ...


def _pubmed_citation(record: Record, citation: str) -> None:
    """Volume, issue, pages and month from PubMed's CSV "Citation" ("Econ Bot. 2021 Mar;75(2):101-110. doi: ...")
    when it starts with the record's "Journal/Book" abbreviation; other forms (books, ahead of print) give
    nothing. What the row's own columns say is kept."""
    abbrev = record.journal_abbrev
    if not abbrev:
        return
    if not citation.startswith(f"{abbrev}. "):
        book = _PUBMED_BOOK.match(citation)
        if book:  # "Journal/Book" is then the publisher
            record.entry_type = "incollection" if record.entry_type == "article" else record.entry_type
            record.booktitle = record.booktitle or book.group("book").strip()
            record.publisher = record.publisher or abbrev
            record.journal_abbrev = ""
        return
    match = _PUBMED_CITATION.match(citation, len(abbrev) + 2)
    if match is None:
        return
    record.volume = record.volume or match.group("volume").strip()
    record.issue = record.issue or (match.group("issue") or "").strip()
    record.pages = record.pages or (match.group("pages") or "")
    record.month = record.month or parse_date(match.group("date"))[1]


def _row_record(values: dict[str, str]) -> Record:
    record = Record(key=values.get("key", ""), entry_type=_entry_type(values.get("entry_type", "")))
    record.authors = _authors(values.get("author", ""))
    record.editors = _authors(values.get("editor", ""))
    for name in ("title", "journal", "journal_abbrev", "booktitle", "month", "volume", "issue", "pages", "doi",
                 "pmid", "pmcid", "issn", "isbn", "url", "urldate", "abstract", "language", "publisher", "note"):
        if values.get(name):
            setattr(record, name, values[name])
    year, month = parse_date(values.get("year") or values.get("date", ""))
    record.year = year
    if year is None and values.get("year"):
        record.extra["year"] = values["year"]  # "in press": kept as text, as the BibTeX reader keeps it
    record.month = record.month or (parse_date(values["date"])[1] if values.get("date") else month)
    if values.get("citation"):
        _pubmed_citation(record, values["citation"].strip())
    if not record.pages and values.get("startpage"):
        end = values.get("endpage", "")
        record.pages = f"{values['startpage']}-{end}" if end else values["startpage"]
    for name in _LIST_FIELDS:
        text = values.get(name, "")
        if text:
            separator = ";" if ";" in text or name == "topics" else ","
            setattr(record, name, [p.strip() for p in text.split(separator) if p.strip()])
    return normalize_record(record, in_place=True)


def _dialect(first_line: str, source: str) -> str:
    if source.lower().endswith(".tsv") or first_line.count("\t") > first_line.count(","):
        return "\t"
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _count_rows(text: str, delimiter: str, limit: int, source: str) -> None:
    """ReadError when the rows after the header that :func:`read_csv` would read (the non-empty ones, up to a
    syntax error) are more than ``limit``: the refusal the reader would make, before a record is built."""
    rows = csv.reader(kept_lines(text), delimiter=delimiter)
    count = 0
    try:
        next(rows, None)
        for row in rows:
            if any(cell.strip() for cell in row):
                count += 1
                if count > limit:
                    raise too_many(source, limit)
    except csv.Error:
        return


def read_csv(data: bytes, source: str, columns: Mapping[str, str] | None = None) -> ReadResult:
    """Read a CSV/TSV table; see the module docstring for the header mapping."""
    text = decode_text(data, source)
    result = ReadResult(format="csv")
    first = text.find("\n")
    delimiter = _dialect(text[:first] if first >= 0 else text, source)
    # a cell may be as long as a record may be (the csv module's own limit is 128 KB: a long abstract stopped the
    # whole file); the limit is process-wide, so it is only ever raised
    csv.field_size_limit(max(csv.field_size_limit(), max_record_chars()))
    reader = csv.reader(kept_lines(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        result.problems.append(ReadProblem(source, "empty file", fatal=True))
        return result
    mapped, header_problems = map_header(header, columns)
    if "title" not in mapped:
        header_problems.append("no title column in the header (columns: "
                               f"{', '.join(h.strip() for h in header[:20])}); name it with --map title=COLUMN")
    if header_problems:
        result.problems.extend(ReadProblem(source, p, line=1, fatal=True) for p in header_problems)
        return result
    line = reader.line_num + 1
    index = 0
    record_limit = max_records()
    if text.count("\n") > record_limit:  # it may hold too many: counted before any record is built
        _count_rows(text, delimiter, record_limit, source)
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            index += 1
            if index > record_limit:
                raise too_many(source, record_limit)
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
                result.problems.append(ReadProblem(source, f"{len(row)} fields but the header has {len(header)}; "
                                                   "row skipped (unquoted delimiter?)", start, index))
                continue
            values = {name: row[i].strip() for name, i in mapped.items() if i < len(row) and row[i].strip()}
            record = _row_record(values)
            if not findable(record):
                result.problems.append(ReadProblem(source, "row has no title, DOI, PMID or PMCID; skipped", start,
                                                   index, severity="warning"))  # nothing to read: never blocks
                continue
            result.problems.extend(identifier_problems(record, source, start, index))
            result.records.append(record)
    except csv.Error as exc:
        result.problems.append(ReadProblem(source, f"CSV syntax error: {exc}; rest of the file not read",
                                           reader.line_num, index + 1, fatal=True))
    return result
