"""Crossref REST API JSON (``/works/{doi}``, ``/works?query=...``) -> Records.

Accepted documents: a single work (``{"message-type": "work", "message": {...}}``), a list of works
(``{"message-type": "work-list", "message": {"items": [...]}}``), a bare work object, or a JSON array of works.

Mapping (Crossref's field names):

* ``type`` -> entry type (:data:`CROSSREF_TYPES`; unknown types become ``misc``);
* ``title`` (an array; ``subtitle`` appended after a colon when the title does not already contain it);
* ``author`` / ``editor``: ``given`` + ``family`` (``suffix`` after the given name), ``name`` for collective
  authors, ``ORCID`` kept; a journal article's editor is its academic editor: ``academic_editor``, not ``editor``;
* ``container-title`` -> journal (articles) or booktitle (chapters, proceedings papers), ``short-container-title``
  -> journal_abbrev;
* date: ``published-print``, else ``issued``, else ``published-online`` / ``published`` (``date-parts``);
* ``volume``, ``issue``, ``page`` (``article-number`` when there are no pages), ``DOI``, ``ISSN``, ``ISBN``,
  ``publisher``, ``language``; ``URL`` unless it is merely the doi.org link of the record's own DOI;
* ``abstract``: JATS XML -> plain text, sections as "Title: text" paragraphs separated by a blank line, MathML
  flattened as in the PubMed reader; the markup is parsed without entity resolution or network access;
* retractions: an ``updated-by`` entry of type retraction / withdrawal / removal sets ``retracted`` and cites the
  notice in ``note``; a work that is itself a retraction notice (``update-to`` of type retraction) gets the
  publication type "Retraction of Publication" and ``note`` "Retraction of: doi:...".
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from lxml import etree

from library.model import Author, Record
from library.names import format_bibtex_names
from library.normalize import normalize_record, parse_date

from ..base import ReadProblem, ReadResult, identifier_problems
from . import json_stream
from .csljson import _text
from .limits import max_records, too_many
from .xml_text import element_text

__all__ = ["CROSSREF_TYPES", "crossref_items", "crossref_record", "jats_to_text", "read_crossref_json"]

CROSSREF_TYPES = {
    "journal-article": "article", "book-chapter": "incollection", "book-section": "incollection",
    "book-part": "incollection", "book-track": "incollection", "reference-entry": "inbook",
    "proceedings-article": "inproceedings", "proceedings": "proceedings", "book": "book", "monograph": "book",
    "edited-book": "book", "reference-book": "book", "book-series": "book", "book-set": "book",
    "dissertation": "phdthesis", "report": "techreport", "report-series": "techreport",
    "report-component": "techreport", "standard": "techreport", "posted-content": "unpublished",
    "dataset": "dataset", "database": "dataset", "peer-review": "misc", "component": "misc", "other": "misc",
    "journal": "misc", "journal-issue": "misc", "journal-volume": "misc", "grant": "misc",
}
_CONTAINED = frozenset({"incollection", "inproceedings", "inbook"})
_RETRACTING = frozenset({"retraction", "withdrawal", "removal"})
_WS = re.compile(r"\s+")
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.IGNORECASE)


def _texts(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [t for t in (_text(v).strip() for v in items) if t]


def _person(item: Any) -> Author | None:
    if not isinstance(item, dict):
        return None
    family, given, name = _text(item.get("family")), _text(item.get("given")), _text(item.get("name"))
    if not family:
        return Author(literal=name) if name else (Author(family=given) if given else None)
    suffix = _text(item.get("suffix")).strip()
    orcid = _ORCID.search(_text(item.get("ORCID")))
    return Author(family=family, given=given, orcid=orcid.group(1).upper() if orcid else "", suffix=suffix)


def _people(value: Any) -> list[Author]:
    if not isinstance(value, list):
        return []
    return [a for a in (_person(item) for item in value) if a is not None]


def _date(work: dict[str, Any]) -> tuple[int | None, str]:
    for name in ("published-print", "issued", "published-online", "published"):
        value = work.get(name)
        parts = value.get("date-parts") if isinstance(value, dict) else None
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0] and parts[0][0]:
            numbers = [_text(p) for p in parts[0][:2] if p is not None]
            return parse_date("-".join(numbers))
    return None, ""


# --- JATS abstracts -------------------------------------------------------------------------------------------
_JATS_OPEN = ('<abstract xmlns:jats="http://www.ncbi.nlm.nih.gov/JATS1" '
              'xmlns:mml="http://www.w3.org/1998/Math/MathML" xmlns:xlink="http://www.w3.org/1999/xlink" '
              'xmlns:ali="http://www.niso.org/schemas/ali/1.0/">')
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_comments=True, remove_pis=True)


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _clean(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _sections(element: etree._Element, out: list[str]) -> None:
    label = ""
    lead = _clean(element.text or "")
    if lead:
        out.append(lead)
    for child in element:
        name = _local(child.tag)
        if name == "title":
            title = _clean(element_text(child)).rstrip(":")
            label = "" if title.lower() in ("abstract", "summary") else title
        elif name == "sec":
            _sections(child, out)
        elif name:
            text = _clean(element_text(child))
            if text:
                out.append(f"{label}: {text}" if label else text)
                label = ""
        tail = _clean(child.tail or "")
        if tail:
            out.append(tail)


def jats_to_text(markup: str) -> str:
    """A JATS abstract as plain paragraphs ("Title: text" for titled sections), separated by a blank line.

    Markup that is not well-formed XML (HTML entities, stray tags) is returned as given: the normalizer strips
    the tags it knows.
    """
    if "<" not in markup:
        return markup
    try:
        root = etree.fromstring(f"{_JATS_OPEN}{markup}</abstract>".encode(), _PARSER)
    except etree.XMLSyntaxError:
        return markup
    paragraphs: list[str] = []
    _sections(root, paragraphs)
    return "\n\n".join(paragraphs)


# --- works ----------------------------------------------------------------------------------------------------
def _updates(work: dict[str, Any], key: str) -> list[tuple[str, str]]:
    value = work.get(key)
    if not isinstance(value, list):
        return []
    return [(_text(u.get("type")).lower(), _text(u.get("DOI"))) for u in value if isinstance(u, dict)]


def _title(work: dict[str, Any]) -> str:
    title = _clean(_text(work.get("title")))
    subtitle = _clean(_text(work.get("subtitle")))
    if subtitle and subtitle.casefold() not in title.casefold():
        return f"{title}: {subtitle}" if title else subtitle
    return title


def crossref_record(work: dict[str, Any]) -> Record:
    """One Crossref work object -> a normalized Record."""
    entry_type = CROSSREF_TYPES.get(_text(work.get("type")).lower(), "misc")
    record = Record(key="", entry_type=entry_type)
    record.title = _title(work)
    record.authors = _people(work.get("author"))
    record.editors = _people(work.get("editor"))
    container = _text(work.get("container-title"))
    if entry_type in _CONTAINED:
        record.booktitle = container
    else:
        record.journal = container
        # the REST API's name; content negotiation's citeproc JSON says "container-title-short"
        record.journal_abbrev = _text(work.get("short-container-title") or work.get("container-title-short"))
    record.year, record.month = _date(work)
    record.volume = _text(work.get("volume"))
    record.issue = _text(work.get("issue"))
    record.pages = _text(work.get("page")) or _text(work.get("article-number"))
    record.doi = _text(work.get("DOI"))
    record.issn = ", ".join(_texts(work.get("ISSN")))
    record.isbn = _text(work.get("ISBN"))
    record.publisher = _text(work.get("publisher"))
    record.language = _text(work.get("language"))
    url = _text(work.get("URL"))
    if url and not (record.doi and url.lower().endswith(record.doi.lower()) and "doi.org/" in url.lower()):
        record.url = url
    abstract = _text(work.get("abstract"))
    record.abstract = jats_to_text(abstract) if abstract else ""
    retracted_by = [doi for kind, doi in _updates(work, "updated-by") if kind in _RETRACTING]
    if retracted_by:
        record.retracted = True
        record.note = f"Retraction in: doi:{retracted_by[0]}" if retracted_by[0] else ""
    retracts = [doi for kind, doi in _updates(work, "update-to") if kind in _RETRACTING]
    if retracts and retracts[0] != record.doi:
        record.pubtypes = ["Retraction of Publication"]
        record.note = record.note or (f"Retraction of: doi:{retracts[0]}" if retracts[0] else "")
    edition = _text(work.get("edition-number"))
    record.extra = {"edition": edition} if edition else {}
    if record.entry_type == "article" and record.editors:
        # a journal article's "editor" at Crossref is the academic editor who handled it (PLOS, Frontiers,
        # PeerJ ...), not an editor of what it is published in: as `editor`, AMA, Vancouver and MLA printed
        # "Editorson E, ed." in its citation. Kept, in a field of its own.
        record.extra["academic_editor"] = format_bibtex_names(record.editors, encode=str)
        record.editors = []
    return normalize_record(record)


_LAZY = ((), ("message", "items"))  # the work lists, parsed one work at a time (json_stream)


def crossref_items(document: Any) -> tuple[Sequence[Any], str]:
    """(work objects, '') for a Crossref response or bare works; ([], why) for anything else. The document may
    come from :func:`json.loads` or from :func:`json_stream.loads` (its work lists lazy)."""
    if isinstance(document, list | json_stream.LazyArray):
        return document, ""
    if not isinstance(document, dict):
        return [], f"a JSON {type(document).__name__}, not a Crossref response"
    status = _text(document.get("status")).lower()
    kind = _text(document.get("message-type"))
    message = document.get("message")
    if status and status != "ok":
        detail = (message if isinstance(message, str) else
                  json.dumps(message, default=json_stream.preview_default)[:300] if message else "")
        return [], f"Crossref reported status {status!r}: {detail}"
    if kind == "work" and isinstance(message, dict):
        return [message], ""
    if kind == "work-list" and isinstance(message, dict):
        items = message.get("items")
        lists = list | json_stream.LazyArray
        return (items, "") if isinstance(items, lists) else ([], "a work-list without items")
    if kind:
        return [], f"a Crossref {kind!r} response, not works"
    if any(k in document for k in ("DOI", "title", "container-title")):
        return [document], ""
    return [], "not a Crossref work or work list"


def read_crossref_json(data: bytes, source: str) -> ReadResult:
    """Read a Crossref REST response (or bare works); non-objects and records without a title or DOI are
    reported and skipped."""
    result = ReadResult(format="crossref-json")
    try:
        document = json_stream.loads(data.decode("utf-8-sig"), _LAZY)
    except UnicodeDecodeError as exc:
        result.problems.append(ReadProblem(source, f"not UTF-8 text ({exc.reason})", fatal=True))
        return result
    except ValueError as exc:
        snippet = data[:80].decode("utf-8", "replace").strip()
        line = getattr(exc, "lineno", None)
        result.problems.append(ReadProblem(source, f"not valid JSON ({exc}); it begins {snippet!r}", line,
                                           fatal=True))
        return result
    items, why = crossref_items(document)
    if why:
        result.problems.append(ReadProblem(source, why, fatal=True))
        return result
    if len(items) > max_records():
        raise too_many(source, max_records())
    for index, item in enumerate(items, 1):
        if not isinstance(item, dict):
            result.problems.append(ReadProblem(source, f"item is a {type(item).__name__}, not a work; skipped",
                                               record=index))
            continue
        record = crossref_record(item)
        if not (record.title or record.doi):
            result.problems.append(ReadProblem(source, "work has no title and no DOI; skipped", record=index,
                                               severity="warning"))
            continue
        result.problems.extend(identifier_problems(record, source, index=index))
        result.records.append(record)
    return result
