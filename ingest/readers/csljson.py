"""CSL-JSON (pandoc, Zotero, citeproc) -> Records; also Crossref's content-negotiation variant.

Crossref's ``application/vnd.citationstyles.csl+json`` puts arrays where the CSL schema has strings
(``"title": ["..."]``, ``"container-title": [...]``, ``"ISSN": [...]``) and JATS markup in ``abstract``;
every text value is therefore read through :func:`_text` (first non-empty element of a list). Names may carry
particles (``non-dropping-particle`` "van", ``dropping-particle`` "de"), which stay in the family name, or be
collective (``literal``, Crossref's ``name``). Dates come as ``date-parts`` (numbers or strings), ``raw`` or
``literal``. Zotero writes "PMID: ..." and "PMCID: ..." lines into ``note``; they are read as identifiers.
"""

from __future__ import annotations

import re
from typing import Any

from library.fields import split_list
from library.model import Author, Record
from library.names import name_suffix
from library.normalize import normalize_record, parse_date, parse_person_name

from ..base import ReadProblem, ReadResult, findable, identifier_problems
from . import decode_text, json_stream
from .limits import max_records, too_many

__all__ = ["CSL_TYPES", "csl_record", "read_csl_json"]

CSL_TYPES = {
    "article-journal": "article", "article": "article", "article-magazine": "article",
    "article-newspaper": "article", "journal-article": "article", "review": "article", "review-book": "article",
    "book": "book", "monograph": "book", "edited-book": "book", "chapter": "incollection",
    "book-chapter": "incollection", "book-section": "incollection", "entry-encyclopedia": "inbook",
    "entry-dictionary": "inbook", "paper-conference": "inproceedings", "proceedings-article": "inproceedings",
    "report": "techreport", "thesis": "phdthesis", "dissertation": "phdthesis", "webpage": "online",
    "post-weblog": "online", "post": "online", "manuscript": "unpublished", "dataset": "dataset",
    "patent": "patent", "posted-content": "unpublished",
}
_CONTAINED = ("incollection", "inproceedings", "inbook")


def _text(value: Any) -> str:
    """A CSL value as text: strings as they are, numbers formatted, lists -> their first non-empty element."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, list):
        return next((t for t in (_text(v) for v in value) if t.strip()), "")
    return ""


def _texts(value: Any) -> list[str]:
    if isinstance(value, list):
        return [t for t in (_text(v) for v in value) if t.strip()]
    text = _text(value)
    return [text] if text.strip() else []


def _name(item: Any) -> Author | None:
    if isinstance(item, str):
        author = parse_person_name(item)
        return author if author.family or author.literal else None
    if not isinstance(item, dict):
        return None
    literal = _text(item.get("literal") or item.get("name"))
    if literal and not item.get("family"):
        return Author(literal=literal)
    particle = " ".join(p for p in (_text(item.get("dropping-particle")),
                                    _text(item.get("non-dropping-particle"))) if p)
    family = " ".join(p for p in (particle, _text(item.get("family"))) if p)
    given = _text(item.get("given"))
    suffix = _text(item.get("suffix")).strip()
    orcid = re.search(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", _text(item.get("ORCID")))
    if not family and not given:
        return None
    person = parse_person_name(f"{family}, {given}") if family else parse_person_name(given)
    if person.literal or not (orcid or suffix):
        return person
    return Author(person.family, person.given, "", orcid.group(1) if orcid else "",
                  name_suffix(suffix) or suffix or person.suffix)


def _names(value: Any) -> list[Author]:
    if not isinstance(value, list):
        return []
    return [a for a in (_name(item) for item in value) if a is not None]


def _date(value: Any) -> tuple[int | None, str]:
    if isinstance(value, dict):
        parts = value.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            first = [_text(p) for p in parts[0]]
            return parse_date("-".join(first[:2]) if len(first) > 1 else first[0])
        for name in ("raw", "literal"):
            if value.get(name):
                return parse_date(_text(value[name]))
        if value.get("season") and value.get("year"):
            return parse_date(_text(value["year"]))
    if isinstance(value, str | int):
        return parse_date(str(value))
    return None, ""


def _iso_date(value: Any) -> str:
    if isinstance(value, dict):
        parts = value.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list):
            numbers = [int(p) for p in parts[0] if str(p).isdecimal()]
            return "-".join(f"{n:02d}" if i else str(n) for i, n in enumerate(numbers[:3]))
        return _text(value.get("raw") or value.get("literal"))
    return _text(value)


def csl_record(item: dict[str, Any]) -> Record:
    """One CSL-JSON item -> a normalized Record (``id`` becomes the source key)."""
    entry_type = CSL_TYPES.get(_text(item.get("type")).lower(), "misc")
    record = Record(key=_text(item.get("id")), entry_type=entry_type)
    record.title = _text(item.get("title"))
    record.authors = _names(item.get("author"))
    record.editors = _names(item.get("editor")) or _names(item.get("container-author"))
    container = _text(item.get("container-title"))
    if entry_type in _CONTAINED:
        record.booktitle = container
    else:
        record.journal = container
        record.journal_abbrev = _text(item.get("container-title-short") or item.get("journalAbbreviation")
                                      or item.get("short-container-title"))
    issued = item.get("issued") or item.get("published-print") or item.get("published-online")
    record.year, record.month = _date(issued)
    record.volume = _text(item.get("volume"))
    record.issue = _text(item.get("issue"))
    record.pages = _text(item.get("page") or item.get("article-number"))
    if not record.pages and entry_type == "article" and item.get("number"):
        record.pages = _text(item.get("number"))  # an article's number (what csl_item writes for "e0193972")
    record.doi = _text(item.get("DOI"))
    record.pmid = _text(item.get("PMID"))
    record.pmcid = _text(item.get("PMCID"))
    note = _text(item.get("note"))
    for line in re.split(r"\n|;\s*", note):
        ident = re.match(r"\s*(PMID|PMCID):\s*(\S+)\s*$", line)
        if ident and not getattr(record, ident.group(1).lower()):
            setattr(record, ident.group(1).lower(), ident.group(2))
            note = note.replace(line, "")
    record.issn = ", ".join(_texts(item.get("ISSN")))
    record.isbn = ", ".join(_texts(item.get("ISBN")))
    record.url = _text(item.get("URL"))
    record.urldate = _iso_date(item.get("accessed")) if item.get("accessed") else ""
    record.abstract = _text(item.get("abstract"))
    keywords = _texts(item.get("keyword")) or _texts(item.get("subject"))
    # one text: ";" between keywords when there is one (a keyword may hold a comma), else ","; a list: ";" only
    record.keywords = (split_list(keywords[0]) if len(keywords) == 1
                       else [k for kw in keywords for k in split_list(kw, ";")])
    record.language = _text(item.get("language"))
    record.publisher = _text(item.get("publisher"))
    extra = {"address": _text(item.get("publisher-place")), "edition": _text(item.get("edition")),
             "series": _text(item.get("collection-title")), "subtitle": _text(item.get("subtitle")),
             "annote": note.strip(" ;\n"), "eventtitle": _text(item.get("event-title") or item.get("event"))}
    if record.year is None and isinstance(issued, dict):  # "in press": kept as text, as the BibTeX reader keeps it
        extra["year"] = _text(issued.get("literal") or issued.get("raw"))
    record.extra = {k: v for k, v in extra.items() if v}
    return normalize_record(record, in_place=True)


def read_csl_json(data: bytes, source: str) -> ReadResult:
    """Read a CSL-JSON array (or one item); items that are not CSL objects are reported, the rest read."""
    text = decode_text(data, source)
    result = ReadResult(format="csl-json")
    try:
        document = json_stream.loads(text)  # the items are parsed one at a time
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        result.problems.append(ReadProblem(source, f"not valid JSON: {exc}", line, fatal=True))
        return result
    items = document if isinstance(document, json_stream.LazyArray) else [document]
    if len(items) > max_records():
        raise too_many(source, max_records())
    for index, item in enumerate(items, 1):
        if not isinstance(item, dict):
            result.problems.append(ReadProblem(source, f"item is a {type(item).__name__}, not a CSL object; "
                                               "skipped", record=index))
            continue
        record = csl_record(item)
        if not (findable(record) or record.authors):
            result.problems.append(ReadProblem(source, "item has no title, author, DOI or PMID; skipped", record=index,
                                               severity="warning"))
            continue
        result.problems.extend(identifier_problems(record, source, index=index))
        result.records.append(record)
    return result
