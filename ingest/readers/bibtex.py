"""BibTeX and BibLaTeX files -> Records: ``@string`` macros, ``crossref``/``xdata`` inheritance, LaTeX decoded.

Speed: bibtexparser's splitter manages ~3,000 entries/s on its own and its LatexDecodingMiddleware costs
milliseconds per entry, so entries are split here by a small scanner (regular expressions for field names and
brace matching) and decoded with :func:`library.latex.decode_latex`, which takes a fast path for plain text.
Anything the scanner does not accept is handed to bibtexparser (through :func:`library.bibfile.parse_blocks`,
the store's parser), so both agree on what is valid; what neither accepts is reported with its line.

Damage stays local: a block starts at every line beginning with ``@type{`` or ``@type(``, so an entry with an
unbalanced brace is reported (file, line, key) and skipped while the entries after it are still read. An
entry followed by stray ``field = value`` text (an extra ``}`` closed it early) is reported too, rather than
silently losing its last fields.

BibLaTeX names are mapped to the record model: ``journaltitle`` -> journal, ``date`` -> year and month,
``langid`` -> language, ``eprint`` with ``eprinttype = pubmed|pmc|doi`` -> pmid/pmcid/doi, ``issue`` -> issue
when there is no ``number``. Words in ``{braces}`` keep their exact case (braces are dropped: records hold
plain Unicode). Tool-private fields that do not travel (JabRef ``owner``/``timestamp``, local ``file`` paths,
BibDesk ``date-added``) are dropped; every other field is kept in ``Record.extra``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from library.bibfile import expand_value, parse_blocks
from library.bibscan import KEY as _KEY
from library.bibscan import NAME as _NAME
from library.bibscan import SKIP as _SKIP
from library.bibscan import Malformed as _Malformed
from library.bibscan import scan_entry, scan_value
from library.fields import record_from_fields
from library.model import Author, Record
from library.names import parse_bibtex_names, split_top_level
from library.normalize import normalize_record, parse_date

from ..base import ReadProblem, ReadResult, gc_paused, identifier_problems
from . import decode_text

__all__ = ["parse_entries", "read_bibtex"]

_BLOCK_START = re.compile(r"^[ \t]*@[ \t]*([A-Za-z][\w-]*)[ \t]*([{(])", re.MULTILINE)
_FIELD_ASSIGNMENT = re.compile(r"^[\s,]*[A-Za-z][\w-]*\s*=")

DROPPED_FIELDS = frozenset({"file", "owner", "timestamp", "__markedentry", "date-added", "date-modified",
                            "bdsk-file-1", "bdsk-file-2", "creationdate", "modificationdate"})
_NOT_INHERITED = frozenset({"ids", "crossref", "xref", "xdata", "entryset", "entrysubtype", "execute", "label",
                            "options", "related", "relatedoptions", "relatedstring", "relatedtype", "shorthand",
                            "shorthandintro", "sortkey", "key", "keywords"})
_PARENT_TITLE = {"title": "booktitle", "subtitle": "booksubtitle", "titleaddon": "booktitleaddon",
                 "shorttitle": ""}


@dataclass(slots=True)
class RawEntry:
    """One entry as written: type, key, (lower-case name, raw value with delimiters), 1-based line."""

    entry_type: str
    key: str
    fields: list[tuple[str, str]]
    line: int
    index: int  # 1-based position among the entries of the file
    values: dict[str, str] = field(default_factory=dict)  # macros expanded, filled by read_bibtex


def _fallback(chunk: str) -> tuple[str, list[tuple[str, str]]] | None:
    """bibtexparser's reading of a chunk our scanner refused, when it finds exactly one clean entry."""
    blocks = [b for b in parse_blocks(chunk) if b.kind != "comment"]
    if len(blocks) == 1 and blocks[0].kind == "entry" and not chunk[blocks[0].end:].strip():
        return blocks[0].key, [(n.lower(), v) for n, v in blocks[0].fields]
    return None


def parse_entries(text: str, source: str) -> tuple[list[RawEntry], dict[str, str], list[ReadProblem]]:
    """Split BibTeX text into raw entries, @string macros (expanded in file order) and problems."""
    entries: list[RawEntry] = []
    macros: dict[str, str] = {}
    problems: list[ReadProblem] = []
    starts = list(_BLOCK_START.finditer(text))
    line, last = 1, 0
    for i, match in enumerate(starts):
        begin = match.start()
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        line += text.count("\n", last, begin)
        last = begin
        kind = match.group(1).lower()
        if kind in ("comment", "preamble"):
            continue
        closer = "}" if match.group(2) == "{" else ")"
        index = len(entries) + 1
        try:
            if kind == "string":
                name = _NAME.match(text, _SKIP.match(text, match.end(), end).end(), end)  # type: ignore[union-attr]
                if name is None:
                    raise _Malformed("@string without 'name = value'", match.end())
                stop = scan_value(text, name.end(), end)
                macros[name.group(1).lower()] = expand_value(text[name.end():stop], macros)
                continue
            key, scanned, stop = scan_entry(text, match.end(), end, closer)
            fields = [(name.lower(), value) for name, value in scanned]
            trailing = text[stop:end]
            if _FIELD_ASSIGNMENT.match(trailing) or trailing.lstrip(" \t\n,").startswith("}"):
                raise _Malformed("unbalanced braces: the entry was closed early, fields follow its end", stop)
        except _Malformed as exc:
            fallback = _fallback(text[begin:end]) if kind != "string" else None
            if fallback is None:
                near = line + text.count("\n", begin, min(exc.offset, end))
                label = f"@{kind}{{{_KEY.match(text, match.end(), end).group(1)}}}"  # type: ignore[union-attr]
                problems.append(ReadProblem(source, f"{label}: {exc} (near line {near}); entry skipped", line,
                                            None if kind == "string" else index))
                if kind != "string":
                    entries.append(RawEntry(kind, "", [], line, index))  # keeps positions; dropped below
                continue
            key, fields = fallback
        entries.append(RawEntry(kind, key, fields, line, index))
    return [e for e in entries if e.key or e.fields], macros, problems


def _inherit(entry: RawEntry, by_key: dict[str, RawEntry], source: str, problems: list[ReadProblem],
             seen: frozenset[str] = frozenset()) -> None:
    """Fill ``entry.values`` from its crossref/xdata parents (BibLaTeX inheritance, simplified)."""
    values = entry.values
    for name in ("xdata", "crossref"):
        targets = [t.strip() for t in values.get(name, "").split(",") if t.strip()] if name == "xdata" else (
            [values["crossref"].strip()] if values.get("crossref", "").strip() else [])
        for target in targets:
            parent = by_key.get(target.lower())
            if parent is None:
                problems.append(ReadProblem(source, f"@{entry.entry_type}{{{entry.key}}}: {name} {target!r} is "
                                            "not in this file; fields not inherited", entry.line, entry.index,
                                            severity="warning"))
                continue
            if parent.key.lower() in seen or parent is entry:
                problems.append(ReadProblem(source, f"@{entry.entry_type}{{{entry.key}}}: circular {name} to "
                                            f"{target!r}", entry.line, entry.index, severity="warning"))
                continue
            _inherit(parent, by_key, source, problems, seen | {entry.key.lower()})
            for pname, pvalue in parent.values.items():
                if pname in _NOT_INHERITED:
                    continue
                target_name = _PARENT_TITLE.get(pname, pname) if name == "crossref" else pname
                if target_name and target_name not in values:
                    values[target_name] = pvalue
        values.pop(name, None)


_EPRINT_TYPES = {"pubmed": "pmid", "pmid": "pmid", "pmc": "pmcid", "pmcid": "pmcid", "doi": "doi"}


def _biblatex_aliases(values: dict[str, str]) -> None:
    """BibLaTeX field names -> the names :func:`record_from_fields` maps onto the record model."""
    if "journaltitle" in values and "journal" not in values:
        values["journal"] = values.pop("journaltitle")
    if "date" in values and "year" not in values:
        year, month = parse_date(values["date"])
        if year is not None:
            values["year"] = str(year)
            if month and "month" not in values:
                values["month"] = month
            if re.fullmatch(r"\s*\d{4}(?:-\d{2})?\s*", values["date"]):
                del values["date"]
    if "langid" in values and "language" not in values:
        values["language"] = values.pop("langid")
    if "issue" in values and "number" not in values:
        values["number"] = values.pop("issue")
    eprint_type = _EPRINT_TYPES.get(values.get("eprinttype", "").strip().lower())
    if eprint_type and "eprint" in values and eprint_type not in values:
        values[eprint_type] = values.pop("eprint")
        del values["eprinttype"]
    if "url" not in values and "bdsk-url-1" in values:
        values["url"] = values.pop("bdsk-url-1")


_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


@lru_cache(maxsize=65536)
def _one_name(raw: str) -> Author | None:
    names = parse_bibtex_names(raw)
    return names[0] if names else None


def _names(raw: str) -> list[Author]:
    """A BibTeX name list; each name parsed once per process (the same people recur across a bibliography)."""
    parts = split_top_level(raw, _AND) if "{" in raw else _AND.split(raw)
    return [a for a in (_one_name(p.strip()) for p in parts if p.strip()) if a is not None]


def _record(entry: RawEntry) -> Record:
    values = entry.values
    people = {name: values.pop(name) for name in ("author", "editor") if name in values}
    record = record_from_fields(entry.key, entry.entry_type, values)
    record.authors = _names(people.get("author", ""))
    record.editors = _names(people.get("editor", ""))
    return normalize_record(record, in_place=True)


@gc_paused
def read_bibtex(data: bytes, source: str) -> ReadResult:
    """Read a BibTeX/BibLaTeX file: one normalized Record per entry (``@xdata`` containers excluded)."""
    text = decode_text(data, source)
    entries, macros, problems = parse_entries(text, source)
    for entry in entries:
        for name, raw in entry.fields:  # the first of duplicated fields wins, as in BibTeX
            if name not in DROPPED_FIELDS and name not in entry.values:
                entry.values[name] = expand_value(raw, macros)
    by_key = {e.key.lower(): e for e in reversed(entries)}
    records: list[Record] = []
    for entry in entries:
        if "crossref" in entry.values or "xdata" in entry.values:
            _inherit(entry, by_key, source, problems)
    for entry in entries:
        if entry.entry_type == "xdata":
            continue
        _biblatex_aliases(entry.values)
        record = _record(entry)
        problems.extend(identifier_problems(record, source, entry.line, entry.index,
                                            f"@{entry.entry_type}{{{entry.key}}}"))
        records.append(record)
    return ReadResult(records, sorted(problems, key=lambda p: p.line or 0), "bibtex")
