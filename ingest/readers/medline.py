"""PubMed MEDLINE text (the "PubMed" / ``.nbib`` export) -> Records.

A line is ``TAG- value`` with the tag padded to four characters (``PMID- 12345``, ``TI  - ...``), continued by
lines indented with six spaces; records are separated by blank lines (a second ``PMID-`` line also starts a
new record, for files whose blank lines were lost). Mapping (NLM's element descriptions):

* ``PMID`` pmid, ``PMC`` pmcid, ``LID``/``AID`` with ``[doi]`` doi; ``TI`` title (``BTI`` for books), ``AB``
  abstract (structured sections become "LABEL: text" paragraphs), ``OAB`` other-language abstract (extra);
* ``FAU`` full author names (``AU`` when no ``FAU``; ``AUID`` ORCIDs kept), ``CN`` collective authors,
  ``FED``/``ED`` editors; ``DP`` year and month; ``JT`` journal, ``TA`` its NLM abbreviation; ``VI``, ``IP``,
  ``PG``; ``IS`` ISSNs (the linking ISSN first); ``LA`` language; ``PT`` publication types; ``MH`` MeSH
  headings (``*`` marks major topics, as in reflib's ``mesh`` field); ``OT`` keywords; ``PB`` publisher,
  ``ISBN``; ``CTI`` collection (book) title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from library.model import Author, Record
from library.normalize import normalize_record, parse_date, parse_person_name

from ..base import ReadProblem, ReadResult, article_number, gc_paused, identifier_problems
from . import decode_text
from .lines import split_lines

__all__ = ["iter_medline", "medline_record", "parse_medline", "read_medline"]

_LINE = re.compile(r"^([A-Z][A-Z0-9]{0,3}) *- ?(.*)$")
_CONTINUATION = re.compile(r"^ {2,}\S")
Tags = list[tuple[str, str]]


def iter_medline(text: str, source: str, problems: list[ReadProblem]) -> Iterator[tuple[int, Tags]]:
    """(first line, [(tag, value)]) per record, continuation lines joined, one record at a time (a million
    records are never held as tags at once); a problem appended to ``problems`` for each stray line."""
    current: Tags = []
    start = 0
    done = 0  # records yielded so far
    for number, line in enumerate(split_lines(text), 1):
        if not line.strip():
            if current:
                yield start, current
                done += 1
                current = []
            continue
        if _CONTINUATION.match(line) and current:
            tag, value = current[-1]
            current[-1] = (tag, f"{value} {line.strip()}" if value else line.strip())
            continue
        match = _LINE.match(line)
        if match is None:
            problems.append(ReadProblem(source, f"not a MEDLINE line, ignored: {line[:60]!r}", number,
                                        done + 1, severity="warning"))
            continue
        tag, value = match.group(1), match.group(2).strip()
        if tag == "PMID" and any(t == "PMID" for t, _ in current):
            yield start, current
            done += 1
            current = []
        if not current:
            start = number
        current.append((tag, value))
    if current:
        yield start, current


def parse_medline(text: str, source: str) -> tuple[list[tuple[int, Tags]], list[ReadProblem]]:
    """(first line, [(tag, value)]) per record, continuation lines joined; problems for stray lines."""
    problems: list[ReadProblem] = []
    records = list(iter_medline(text, source, problems))
    return records, problems


def _authors(tags: Tags) -> list[Author]:
    """FAU (or AU) names in order, each AUID attached to the author before it; CN collectives in place."""
    authors: list[Author] = []
    has_full = any(t == "FAU" for t, _ in tags)
    for tag, value in tags:
        if tag == ("FAU" if has_full else "AU") and value:
            authors.append(parse_person_name(value))
        elif tag == "CN" and value:
            authors.append(Author(literal=value))
        elif tag == "AUID" and authors and value.upper().startswith("ORCID"):
            orcid = re.search(r"(\d{4}-?\d{4}-?\d{4}-?\d{3}[\dX])", value)
            if orcid and not authors[-1].orcid:
                digits = orcid.group(1).replace("-", "")
                orcid_text = "-".join(digits[i:i + 4] for i in range(0, 16, 4))
                last = authors[-1]
                authors[-1] = Author(last.family, last.given, last.literal, orcid_text, last.suffix)
    return authors


def _values(tags: Tags, name: str) -> list[str]:
    return [v for t, v in tags if t == name and v]


def _issns(tags: Tags) -> str:
    linking = [v for v in _values(tags, "IS") if "linking" in v.lower()]
    ordered = linking + [v for v in _values(tags, "IS") if v not in linking]
    return ", ".join(ordered)


def medline_record(tags: Tags) -> Record:
    """One MEDLINE record's (tag, value) pairs -> a normalized Record."""
    title = " ".join(_values(tags, "TI"))
    book_title = " ".join(_values(tags, "BTI"))
    record = Record(key="", entry_type="article")
    if book_title and not _values(tags, "JT"):
        record.entry_type = "incollection" if title else "book"
        record.title = title or book_title
        record.booktitle = book_title if title else ""
    else:
        record.title = title
    record.authors = _authors(tags)
    record.editors = [parse_person_name(v) for v in _values(tags, "FED") or _values(tags, "ED")]
    record.year, record.month = parse_date(" ".join(_values(tags, "DP")[:1]))
    record.journal = " ".join(_values(tags, "JT")[:1])
    record.journal_abbrev = " ".join(_values(tags, "TA")[:1])
    record.volume = " ".join(_values(tags, "VI")[:1])
    record.issue = " ".join(_values(tags, "IP")[:1])
    record.pages = " ".join(_values(tags, "PG")[:1])
    record.pmid = " ".join(_values(tags, "PMID")[:1])
    record.pmcid = " ".join(_values(tags, "PMC")[:1])
    for value in _values(tags, "LID") + _values(tags, "AID"):
        doi = re.match(r"^(?:doi:\s*)?(\S+)\s*\[doi\]\s*$", value) or re.match(r"^doi:\s*(\S+)$", value)
        if doi:
            record.doi = doi.group(1)
            break
    if not record.pages:  # electronic-only articles carry their article number as an LID (untagged or a pii)
        lids = _values(tags, "LID")
        record.pages = next((v for v in lids if "[" not in v), "") or article_number(
            v.removesuffix("[pii]") for v in lids if v.endswith("[pii]"))
    record.issn = _issns(tags)
    record.isbn = " ".join(_values(tags, "ISBN")[:1])
    record.abstract = "\n\n".join(_values(tags, "AB"))
    record.language = " ".join(_values(tags, "LA")[:1])
    record.pubtypes = _values(tags, "PT")
    if not record.journal and record.entry_type == "article":
        types = {t.lower() for t in record.pubtypes}
        record.entry_type = ("book" if "book" in types else "techreport" if "technical report" in types
                             else "article")
    record.mesh = [_mesh(v) for v in _values(tags, "MH")]
    record.keywords = _values(tags, "OT")
    record.publisher = " ".join(_values(tags, "PB")[:1])
    extra = {"address": " ".join(_values(tags, "PL")[:1]), "abstract_other": " ".join(_values(tags, "OAB")),
             "series": " ".join(_values(tags, "CTI")[:1]), "annote": "; ".join(_values(tags, "GN"))}
    record.extra = {k: v for k, v in extra.items() if v}
    return normalize_record(record, in_place=True)


def _mesh(heading: str) -> str:
    """'Occupational Health/*history' -> 'Occupational Health/*history' (kept); '*Humans' kept too."""
    return re.sub(r"\s*/\s*", "/", heading.strip())


@gc_paused
def read_medline(data: bytes, source: str) -> ReadResult:
    """Read MEDLINE/nbib text: one normalized Record per record; stray lines and bad ids reported."""
    text = decode_text(data, source)
    stray: list[ReadProblem] = []  # the stray lines come first in the report, then each record's problems
    result = ReadResult(format="medline")
    found = 0
    for index, (line, tags) in enumerate(iter_medline(text, source, stray), 1):
        found = index
        record = medline_record(tags)
        if not (record.title or record.pmid or record.doi):
            result.problems.append(ReadProblem(source, "record has no title, PMID or DOI; skipped", line, index,
                                               severity="warning"))
            continue
        result.problems.extend(identifier_problems(record, source, line, index))
        result.records.append(record)
    result.problems[:0] = stray
    if not found:
        result.problems.append(ReadProblem(source, "no MEDLINE records found", fatal=True))
    return result
