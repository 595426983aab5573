"""BibTeX and BibLaTeX files -> Records: ``@string`` macros, ``crossref``/``xdata`` inheritance, LaTeX decoded.

One tokenizer: every block - from a line beginning with ``@type{`` or ``@type(`` to the next such line - is
tokenized on its own by the store's splitter, :func:`library.bibfile.parse_chunk` (an exact, fast port of
bibtexparser's splitter that falls back to bibtexparser itself), so the importer and the store agree on what an
entry is. Values are decoded with :func:`library.latex.decode_latex`, which takes a fast path for plain text.
What the importer adds on top: a field refused by bibtexparser only because its name repeats is read anyway
(the first value wins, as in BibTeX); ``%`` comment lines before a field name are dropped from the name;
``@ article{`` (spaces after the ``@``) is read as ``@article{``; ``@string`` macros are expanded in file order.

Damage stays local: an entry the splitter refuses (an unbalanced brace, a missing ``=``) is reported with file,
line and key - with the line of the brace never closed when that is the cause - and skipped, while the entries
after it are still read. An entry followed by stray ``field = value`` text (an extra ``}`` closed it early) is
reported too, rather than silently losing its last fields.

BibLaTeX names are mapped to the record model: ``journaltitle`` -> journal, ``date`` -> year and month,
``langid`` -> language, ``eprint`` with ``eprinttype = pubmed|pmc|doi`` -> pmid/pmcid/doi, ``issue`` -> issue
when there is no ``number``. Words in ``{braces}`` keep their exact case (braces are dropped: records hold
plain Unicode). Tool-private fields that do not travel (JabRef ``owner``/``timestamp``, local ``file`` paths,
BibDesk ``date-added``) are dropped; every other field is kept in ``Record.extra``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import bibtexparser
from bibtexparser import model as bpmodel

from library.bibfile import expand_value, parse_chunk
from library.fields import record_from_fields
from library.model import Author, Record, RecordList
from library.names import parse_bibtex_names, split_top_level
from library.normalize import normalize_record, parse_date

from ..base import ReadProblem, ReadResult, gc_paused, identifier_problems
from . import decode_text

__all__ = ["parse_entries", "read_bibtex"]

_BLOCK_START = re.compile(r"^[ \t]*@[ \t]*([A-Za-z][\w-]*)[ \t]*([{(])", re.MULTILINE)
_FIELD_ASSIGNMENT = re.compile(r"^[\s,]*[A-Za-z][\w-]*\s*=")
_COMMENT_LINES = re.compile(r"^[ \t]*%[^\n]*\n?", re.MULTILINE)
_BRACE = re.compile(r"(?<!\\)[{}]")
_KEY = re.compile(r"\s*([^\s,{}()]*)")


def _label(text: str, pos: int, end: int) -> str:
    """The key as written after the opening delimiter, for messages about an entry that could not be read."""
    return _KEY.match(text, pos, end).group(1)  # type: ignore[union-attr]


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


def _field_name(name: str) -> str:
    """A field name as the splitter read it, lower-cased; ``%`` comment lines before it are dropped."""
    if "%" in name:
        name = _COMMENT_LINES.sub("", name).strip()
    return name.lower()


def _duplicate_fields(chunk: str) -> tuple[str, list[tuple[str, str]]] | None:
    """Key and fields of an entry bibtexparser refused only for a repeated field name (BibTeX: the first wins)."""
    for failed in bibtexparser.parse_string(chunk, parse_stack=[]).failed_blocks:
        entry = getattr(failed, "ignore_error_block", None)
        if isinstance(entry, bpmodel.Entry):
            return entry.key, [(f.key, f.value) for f in entry.fields]
    return None


def _diagnosis(chunk: str, closer: str) -> tuple[str, int]:
    """Why the splitter refused an entry, and the offset in ``chunk`` to point at."""
    opened: list[int] = []
    for brace in _BRACE.finditer(chunk):
        if brace.group() == "{":
            opened.append(brace.start())
        elif opened:
            opened.pop()
    if closer == "}" and len(opened) == 1:
        return "entry not closed: '}' missing (unbalanced braces?)", len(chunk.rstrip())
    if closer == "}":
        opened = opened[1:]  # the entry's own brace is closed (or reported above)
    if opened:
        return "unbalanced braces: '{' never closed", opened[0]
    return "not a well-formed entry: expected 'name = value' fields separated by commas", 0


def _read_entry(chunk: str, closer: str) -> tuple[str, list[tuple[str, str]]] | tuple[None, str, int]:
    """(key, fields) of the entry ``chunk`` starts with, or (None, message, offset in chunk) when it is broken."""
    blocks = parse_chunk(chunk)
    block = blocks[0] if blocks else None
    if block is not None and block.kind == "entry":
        trailing = chunk[block.end:]
        if _FIELD_ASSIGNMENT.match(trailing) or trailing.lstrip(" \t\n,").startswith("}"):
            return None, "unbalanced braces: the entry was closed early, fields follow its end", block.end
        return block.key, [(_field_name(n), v) for n, v in block.fields]
    if block is not None and block.error.startswith("Duplicate field keys"):
        duplicated = _duplicate_fields(chunk)
        if duplicated is not None:
            return duplicated[0], [(_field_name(n), v) for n, v in duplicated[1]]
    return (None, *_diagnosis(chunk, closer))


def parse_entries(text: str, source: str) -> tuple[list[RawEntry], dict[str, str], list[ReadProblem]]:
    """Split BibTeX text into raw entries, @string macros (expanded in file order) and problems.

    Each block (from a line-start ``@type{`` or ``@type(`` to the next) is tokenized on its own by the store's
    splitter, :func:`library.bibfile.parse_chunk`, so that a broken block is reported and skipped alone.
    """
    macros: dict[str, str] = {}
    problems: list[ReadProblem] = []
    return list(_entries(text, source, macros, problems)), macros, problems


def _starts(text: str) -> Iterator[tuple[re.Match[str], int]]:
    """Each block start and where the block ends (the next start, or the end of the text)."""
    previous = None
    for match in _BLOCK_START.finditer(text):
        if previous is not None:
            yield previous, match.start()
        previous = match
    if previous is not None:
        yield previous, len(text)


def _entries(text: str, source: str, macros: dict[str, str], problems: list[ReadProblem]) -> Iterator[RawEntry]:
    """The entries of :func:`parse_entries` one by one, filling ``macros`` and ``problems`` as it goes."""
    index = 0
    line, last = 1, 0
    for match, end in _starts(text):
        begin = match.start()
        line += text.count("\n", last, begin)
        last = begin
        name = match.group(1)
        kind = name.lower()
        if kind in ("comment", "preamble"):
            continue
        head = match.end() - 1  # the opening delimiter: the chunk starts '@type{' exactly, as the splitter wants
        chunk = text[begin:end] if head - begin == len(name) + 1 else "@" + name + text[head:end]
        if kind == "string":
            blocks = parse_chunk(chunk)
            if blocks and blocks[0].kind == "string":
                macros[blocks[0].key.lower()] = expand_value(blocks[0].fields[0][1], macros)
            else:
                problems.append(ReadProblem(source, f"@{kind}{{{_label(text, match.end(), end)}}}: @string without "
                                            f"'name = value' (near line {line}); entry skipped", line, None))
            continue
        index += 1  # a broken entry keeps its position
        read = _read_entry(chunk, "}" if match.group(2) == "{" else ")")
        if read[0] is None:
            offset = begin + max(0, read[2] + head - len(name) - 1 - begin)  # chunk offset -> text offset
            near = line + text.count("\n", begin, offset)
            problems.append(ReadProblem(source, f"@{kind}{{{_label(text, match.end(), end)}}}: {read[1]} "
                                        f"(near line {near}); entry skipped", line, index))
            continue
        if read[0] or read[1]:
            yield RawEntry(kind, read[0], read[1], line, index)


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
    if "eid" in values and "pages" not in values:  # an article number (biblatex's eid; reflib's export writes it)
        values["pages"] = values.pop("eid")
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


def _released(entries: list[RawEntry]) -> Iterator[RawEntry]:
    """The entries in order, each let go by the list once it is handed out (its record is built, packed)."""
    for n, entry in enumerate(entries):
        entries[n] = None  # type: ignore[call-overload]
        yield entry


def _expand(entry: RawEntry, macros: dict[str, str]) -> None:
    for name, raw in entry.fields:  # the first of duplicated fields wins, as in BibTeX
        if name not in DROPPED_FIELDS and name not in entry.values:
            entry.values[name] = expand_value(raw, macros)


# what needs the whole file before any record is built: @string macros (used anywhere in the file) and
# crossref/xdata parents (anywhere in the file); a file without them is read entry by entry
_STRING_BLOCK = re.compile(r"^[ \t]*@[ \t]*string", re.MULTILINE)


def _needs_whole_file(text: str) -> bool:
    """Whether the text may hold @string macros or crossref/xdata fields (plain substring tests: fast)."""
    lowered = text.lower()
    return "crossref" in lowered or "xdata" in lowered or ("string" in lowered
                                                           and _STRING_BLOCK.search(lowered) is not None)


@gc_paused
def read_bibtex(data: bytes, source: str) -> ReadResult:
    """Read a BibTeX/BibLaTeX file: one normalized Record per entry (``@xdata`` containers excluded).

    Records are held packed (:class:`~library.model.RecordList`); a file without ``@string`` macros and
    ``crossref``/``xdata`` fields is read one entry at a time (no list of raw entries: a million-entry file
    stays within memory), any other as a whole (macros and parents resolved first)."""
    text = decode_text(data, source)
    macros: dict[str, str] = {}
    problems: list[ReadProblem] = []
    entries: Iterable[RawEntry]
    whole = _needs_whole_file(text)
    if whole:
        listed = list(_entries(text, source, macros, problems))
        for entry in listed:
            _expand(entry, macros)
        by_key = {e.key.lower(): e for e in reversed(listed)}
        for entry in listed:
            if "crossref" in entry.values or "xdata" in entry.values:
                _inherit(entry, by_key, source, problems)
        del by_key
        entries = _released(listed)
    else:
        entries = _entries(text, source, macros, problems)
    records = RecordList()
    for entry in entries:
        if not whole:
            _expand(entry, macros)
        if entry.entry_type == "xdata":
            continue
        _biblatex_aliases(entry.values)
        record = _record(entry)
        problems.extend(identifier_problems(record, source, entry.line, entry.index,
                                            f"@{entry.entry_type}{{{entry.key}}}"))
        records.append(record)
    return ReadResult(records, sorted(problems, key=lambda p: p.line or 0), "bibtex")
