"""RIS files (and Web of Science tagged exports) -> Records.

One tokenizer per format. RIS: :func:`ris_tags` cuts the records out (``TY  -`` ... ``ER  -``) and reads their tag
lines with ``str.find`` and one regular expression per record (RIS must read >= 10,000 records/s); it gives
exactly what rispy gives, tag by tag - the tests compare the two on every RIS file of the corpus, rispy being
the oracle. Web of Science (``PT`` ... ``ER``): the records are cut out here and each one's lines parsed by
rispy's ``WokParser``. Cutting records first matters because rispy silently drops a record without ``ER`` and
merges it into the next one: a record that ends without ``ER`` (a truncated export, or a new ``TY``/``PT`` before
the end) is reported with its file line and record number and skipped, while the complete records around it are
read. Text between records (Ovid's "1." numbering, "Link to the Ovid Full Text" lines, EndNote's "Record #1 of 2"
headers) is ignored.

Tag usage differs by exporter; the mapping below was checked against PubMed, Scopus, Web of Science, EndNote,
Ovid, EBSCO, Zotero, Dimensions and JabRef exports in the shared corpus:

* title ``TI``/``T1`` (repeated lines joined); journal ``JF``/``JO``/``T2`` (books and chapters: ``T2``/``BT`` is
  the book title, ``T3`` the series); abbreviation ``JA``/``J2``/``J1`` (a ``JO`` with periods counts as one);
* authors ``AU``+``A1`` (each line, also continuation lines, is one name), editors ``A2``/``ED``;
* date ``PY``/``Y1``/``DA`` (``2001/09/01/``, ``2020//``, ``2016/09//``), access date ``Y2`` for web pages;
* pages ``SP``-``EP``, or Scopus' article number ``C7`` when there is no start page;
* DOI ``DO``, else a DOI-shaped ``L3`` (EBSCO), ``M3``/``N1`` ("doi: ..."), or a doi.org ``UR``;
* ``SN`` is an ISSN or an ISBN (recognized by shape); ``AN`` is a PMID when ``DB``/``DP`` says PubMed/MEDLINE;
  a ``C1``-``C8`` value shaped ``PMC123`` is the PMCID;
* abstract ``AB`` (else ``N2``; both when they differ); EBSCO's copyright notice after it is dropped;
* ``N1`` notes are kept in the ``annote`` field (not ``note``, which bibliography styles print).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from functools import lru_cache

import rispy

from library.model import Author, Record
from library.normalize import (
    is_collective_name,
    normalize_record,
    parse_date,
    parse_person_name,
    section_pages,
)

from ..base import ReadProblem, ReadResult, findable, gc_paused, identifier_problems
from . import decode_text
from .lines import split_lines

__all__ = ["RIS_TYPES", "read_ris", "read_wos", "ris_record", "ris_tags", "wos_record"]

RIS_TYPES = {
    "JOUR": "article", "JFULL": "article", "EJOUR": "article", "MGZN": "article", "NEWS": "article",
    "INPR": "article", "ABST": "article", "SER": "article", "BOOK": "book", "EBOOK": "book", "EDBOOK": "book",
    "CHAP": "incollection", "ECHAP": "incollection", "CONF": "inproceedings", "CPAPER": "inproceedings",
    "THES": "phdthesis", "RPRT": "techreport", "GOVDOC": "techreport", "STAND": "techreport",
    "ELEC": "online", "WEB": "online", "BLOG": "online", "ICOMM": "online", "UNPB": "unpublished",
    "MANSCPT": "unpublished", "PAT": "patent", "DATA": "dataset", "DBASE": "dataset",
}
RIS_TYPES.update({  # EndNote and Mendeley write type names instead of codes
    "journal article": "article", "magazine article": "article", "newspaper article": "article",
    "electronic article": "article", "book": "book", "edited book": "book", "electronic book": "book",
    "book section": "incollection", "electronic book section": "incollection", "conference paper":
    "inproceedings", "conference proceedings": "inproceedings", "thesis": "phdthesis", "report": "techreport",
    "government document": "techreport", "web page": "online", "unpublished work": "unpublished"})
WOS_TYPES = {"J": "article", "B": "book", "S": "inproceedings", "C": "inproceedings", "P": "patent"}


# every possible tag maps to itself and is a list tag, so repeated and continuation lines are all kept
# (plain dict and frozenset: rispy looks tags up once per line)
_ALL_TAGS = {a + b: a + b for a in string.ascii_uppercase for b in string.ascii_uppercase + string.digits}
_WOS_PARSER = rispy.WokParser(mapping=_ALL_TAGS, list_tags=frozenset(_ALL_TAGS),  # type: ignore[arg-type]
                              delimiter_tags_mapping={}, ignore=["FN", "VR", "EF"])

Tags = dict[str, list[str]]


def _wos_split(text: str, source: str) -> Iterator[tuple[int, int, list[str]] | ReadProblem]:
    """(record number, first line, lines) of each complete Web of Science record, or a ReadProblem for an
    incomplete one."""
    lines: list[str] = []
    start = index = 0
    for number, line in enumerate(split_lines(text), 1):  # not a list of every line
        head = line.lstrip(" \t\ufeff") if not lines else line
        if head.startswith("PT "):
            if lines:
                yield ReadProblem(source, f"record has no 'ER' line before the next record starts at line "
                                  f"{number}; record skipped", start, index)
            index += 1
            start, lines = number, [head]
        elif lines:
            if line[:2] == "ER":
                yield index, start, lines
                lines = []
            else:
                lines.append(line)
    if lines:
        yield ReadProblem(source, "file ends inside the record (no 'ER' line; truncated?); record skipped",
                          start, index)


def _wos_parse(lines: list[str]) -> Tags:
    parsed = _WOS_PARSER.parse_lines(iter([*lines, "ER"]))
    raw: dict[object, object] = parsed[0] if parsed else {}
    # the start tag comes back as a string, every other tag as a list of lines
    return {k: [v] if isinstance(v, str) else list(v) for k, v in raw.items()  # type: ignore[call-overload]
            if isinstance(k, str)}


_TY_LINE = re.compile(r"^[ \t\ufeff]*TY  -", re.MULTILINE)  # a record's first line (between records)
# a tag line ("\nXX  - value"): tag and the value after "XX  - ". Every pattern here starts with a literal
# newline, so the regex engine jumps from line to line instead of trying each character of long abstracts.
_TAG_LINE = re.compile(r"\n([A-Z][A-Z0-9])  -.?([^\n]*)")


def _end_line(text: str, eol: int) -> int:
    """Offset of the "ER" line ending the record whose TY line ends at ``eol`` ("ER", then only spaces, tabs or
    dashes in the next three characters), or -1."""
    pos = eol
    while True:
        found = text.find("\nER", pos)
        if found == -1:
            return -1
        after = text[found + 3:found + 6]
        newline = after.find("\n")
        if not (after if newline == -1 else after[:newline]).strip(" -\t"):
            return found + 1
        pos = found + 1


def _body_tags(text: str, eol: int, stop: int, tags: Tags) -> int:
    """Add the tag lines between offsets ``eol`` and ``stop`` (both newlines) to ``tags``; the number of lines."""
    found = _TAG_LINE.findall(text, eol, stop)
    lines = text.count("\n", eol, stop)
    if len(found) == lines:  # every line is a tag line (no continuation lines): no loop over the lines
        for tag, value in found:
            values = tags.get(tag)
            if values is None:
                tags[tag] = [value.strip()]
            else:
                values.append(value.strip())
        return lines
    last: list[str] | None = None
    for line in text[eol + 1:stop].split("\n"):
        if line[2:5] == "  -" and line[:2] in _ALL_TAGS:
            last = tags.get(line[:2])
            if last is None:
                last = tags[line[:2]] = []
            last.append(line[6:].strip())
        elif last is not None:  # a continuation line: one more value of the last tag
            last.append(line.strip())
    return lines


def ris_tags(text: str, source: str) -> Iterator[tuple[int, int, Tags] | ReadProblem]:
    """Each RIS record as (record number, first line, tags), or a ReadProblem for a record without ``ER``: the
    records, tags and values rispy reads (tested on every corpus RIS file, and against a line-by-line reference
    reading on randomly broken files), found with str.find and one regular expression per record instead of
    rispy's per-line method calls (RIS must read >= 10,000 records/s).

    A record's lines are read up to its ER line; a "TY  -" line among them (the record had no ER) shows up as a
    second TY value, and the record is then cut there.
    """
    index = 0
    size = len(text)
    counted, line = 0, 1  # line number of offset ``counted``
    pos = 0
    start_match = _TY_LINE.search(text, pos)
    while start_match is not None:
        head = start_match.end() - 5  # where "TY  -" starts (BOM and indentation skipped)
        index += 1
        line += text.count("\n", counted, head)
        counted = head
        while True:  # one record, starting with the "TY  -" at ``head`` (on line ``line``)
            start = line
            eol = text.find("\n", head)
            end = _end_line(text, eol) if eol != -1 else -1
            if end != -1:
                tags: Tags = {"TY": [text[head + 6:eol].strip()]}
                lines = _body_tags(text, eol, end - 1, tags)
                if len(tags["TY"]) == 1:
                    yield index, start, tags
                    counted, line = end, start + 1 + lines
                    pos = text.find("\n", end)
                    pos = size if pos == -1 else pos + 1
                    break
            # the next record, before any ER line
            following = text.find("\nTY  -", eol, size if end == -1 else end) if eol != -1 else -1
            if following == -1:
                yield ReadProblem(source, "file ends inside the record (no 'ER  -' line; truncated?); record "
                                  "skipped", start, index)
                return
            head = following + 1
            line = start + text.count("\n", counted, head)
            counted = head
            yield ReadProblem(source, f"record has no 'ER  -' line before the next record starts at line "
                              f"{line}; record skipped", start, index)
            index += 1
        start_match = _TY_LINE.search(text, pos) if pos < size else None


def _wos_records(text: str, source: str) -> Iterator[tuple[int, int, Tags] | ReadProblem]:
    for item in _wos_split(text, source):
        yield item if isinstance(item, ReadProblem) else (item[0], item[1], _wos_parse(item[2]))


def _first(tags: Tags, *names: str) -> str:
    for name in names:
        values = tags.get(name)
        if values:
            text = " ".join(values).strip() if len(values) > 1 else values[0]
            if text:
                return text
    return ""


def _one(values: list[str] | None) -> str:
    """_first(tags, name) for one tag, given ``tags.get(name)``."""
    if not values:
        return ""
    return values[0] if len(values) == 1 else " ".join(values).strip()


def _items(tags: Tags, *names: str) -> list[str]:
    return [v.strip() for name in names for v in tags.get(name, ()) if v.strip()]


_DOI_VALUE = re.compile(r"^\s*(?:doi:?\s*)?(?:https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)\s*$", re.IGNORECASE)
_ISBN = re.compile(r"^(?:ISBN:?\s*)?(?:97[89][- ]?)?\d{1,5}[- ]?\d+[- ]?\d+[- ]?[\dX]$|^\d{9}[\dX]$|^97[89]\d{10}$")
_SN_QUALIFIER = re.compile(r"\s*\((?:print|electronic|linking|issn|isbn|paper|online)\)\s*", re.IGNORECASE)
_SN_SPLIT = re.compile(r"[;,]\s*|\s+(?=\d)")
_NOT_DIGIT = re.compile(r"[^\dX]")
_URL_SPLIT = re.compile(r";\s*(?=https?:)")
_DATE_LIKE = re.compile(r"\d{4}/")
_TAGGED_ID = re.compile(r"\s*((?:PMC)?\d+)\s*\[(pmid|pmcid)\]\s*", re.IGNORECASE)
_EBSCO_NOTICE = re.compile(r"\s*Copyright of .{0,400}? is the property of .*$", re.DOTALL)


def _doi(tags: Tags) -> str:
    direct = _first(tags, "DO", "DI")
    if direct:
        return direct.split()[0] if " " in direct and _DOI_VALUE.match(direct.split()[0]) else direct
    for name in ("L3", "M3", "N1", "UR", "C7", "M1"):
        for value in tags.get(name, ()):
            match = _DOI_VALUE.match(value)
            if match and (name != "UR" or "doi.org/" in value):
                return match.group(1)
    return ""


def _standard_numbers(values: list[str]) -> tuple[str, str]:
    """SN values -> (issn, isbn)."""
    issn: list[str] = []
    isbn: list[str] = []
    for value in values:
        bare = _SN_QUALIFIER.sub(" ", value) if "(" in value else value
        for part in _SN_SPLIT.split(bare.strip()):
            part = part.strip()
            if not part:
                continue
            digits = _NOT_DIGIT.sub("", part.upper())
            (isbn if len(digits) in (10, 13) and _ISBN.match(part) else issn).append(part)
    return ", ".join(dict.fromkeys(issn)), ", ".join(dict.fromkeys(isbn))


# the NLM unique journal ID (7-9 digits, an "R" on older ones), alone or beside a journal subset code
_NLM_ID = re.compile(r"(?:[0-9a-z]{2,4},\s*)?([0-9]{7,9}[Rr]?)(?:,\s*[0-9a-z]{2,4})?")


def _pages(start: str, end: str) -> str:
    start, end = start.strip(), end.strip()
    if start.endswith((";", ",")) and end:  # PubMed's "1405; author reply 1405" cut in two: no range
        return f"{start} {end}"
    if start and end and end != start:
        if "-" not in start:
            return f"{start}-{end}"
        if section_pages(f"{start}--{end}"):  # "S21-1" to "S21-8"
            return f"{start}--{end}"
    return start or end


def _names(values: list[str]) -> list[Author]:
    authors: list[Author] = []
    for value in values:
        authors.extend(_value_names(value))
    return authors


@lru_cache(maxsize=65536)
def _value_names(value: str) -> tuple[Author, ...]:
    """The authors of one AU/A1/... line (some exporters put several on one line, separated by ";")."""
    value = value.strip()
    if not value:
        return ()
    parts = value.split(";") if ";" in value and value.count(",") > 1 else [value]
    return tuple(a for a in (parse_person_name(part) for part in parts) if a.family or a.literal)


def _urls(values: list[str]) -> list[str]:
    return [u.strip() for v in values for u in (_URL_SPLIT.split(v) if ";" in v else [v]) if u.strip()]


_NOTE_TAGS = ("C1", "C2", "C3", "C4", "C5", "C6", "C8", "M1", "U1", "U2", "U3", "U4", "U5")
_NOTE_SET = frozenset(_NOTE_TAGS)


def ris_record(tags: Tags) -> Record:
    """One RIS record (tag -> lines) -> a normalized Record.

    Written for speed (RIS must read >= 10,000 records/s): single-tag lookups inline, and the tags most records
    lack (notes, editors, extra fields ...) looked at only when the record has one of them.
    """
    get = tags.get
    ris_type = _one(get("TY")).strip()
    entry_type = RIS_TYPES.get(ris_type.upper()) or RIS_TYPES.get(ris_type.lower(), "misc")
    record = Record(key="", entry_type=entry_type)
    record.title = (_first(tags, "TI", "T1", "CT") or (_one(get("BT")) if entry_type == "book" else "")
                    or _first(tags, "ST"))  # a short title is better than none
    authors, more_authors = get("AU"), get("A1")
    if authors or more_authors:
        record.authors = _names(authors + more_authors if authors and more_authors else authors or more_authors or [])
    if "ED" in tags or "A2" in tags or "A3" in tags:
        record.editors = _names(_items(tags, "A2", "ED", "A3") if entry_type in (
            "incollection", "inproceedings", "book") else _items(tags, "ED"))
    if entry_type in ("incollection", "inproceedings"):
        record.booktitle = _first(tags, "T2", "BT", "JF")
        series = _one(get("T3"))
    elif entry_type == "book":
        series = _first(tags, "T2", "T3")
    else:
        series = ""
        full = _first(tags, "JF", "T2")
        jo = _one(get("JO"))
        abbrev = _first(tags, "JA", "J2", "J1") if "JA" in tags or "J2" in tags or "J1" in tags else ""
        if jo and (full or "." not in jo):
            full = full or jo
            abbrev = abbrev or (jo if jo != full else "")
        elif jo:
            abbrev = abbrev or jo
        record.journal, record.journal_abbrev = full, abbrev
    year, month = None, ""
    for name in ("PY", "Y1", "DA"):
        for value in get(name, ()):
            y, m = parse_date(value)
            year, month = year or y, month or m
    record.year, record.month = year, month
    if year is None and _one(get("PY")):
        record.extra["year"] = _one(get("PY"))  # "in press", "forthcoming": kept, as the BibTeX reader keeps them
    record.volume = _one(get("VL"))
    record.issue = _first(tags, "IS", "CP")
    nlm = _NLM_ID.fullmatch(record.issue) if record.issue[:1].isalnum() else None
    if nlm:  # Ovid's RIS: "IS - eag, 7805975" is a journal subset and the NLM journal ID, not an issue number
        record.issue = ""
        record.extra["nlm_id"] = nlm.group(1)
    record.pages = _pages(_one(get("SP")), _one(get("EP"))) or _one(get("C7"))
    record.doi = _doi(tags)
    if "SN" in tags:
        record.issn, record.isbn = _standard_numbers(_items(tags, "SN"))
    links = get("UR")
    if links:
        if len(links) == 1 and ";" not in links[0]:
            url = links[0].strip()
            record.url = "" if record.doi and "doi.org/" in url else url
        else:
            urls = [u for u in _urls(_items(tags, "UR")) if not (record.doi and "doi.org/" in u)]
            record.url = urls[0] if urls else ""
    if entry_type == "online":
        record.urldate = _one(get("Y2"))
    abstract = _one(get("AB"))
    other = _one(get("N2"))
    abstract = abstract if not other or other == abstract else f"{abstract}\n\n{other}" if abstract else other
    record.abstract = _EBSCO_NOTICE.sub("", abstract) if "Copyright of " in abstract else abstract
    if "KW" in tags:
        keywords: list[str] = []
        for value in tags["KW"]:
            if ";" in value:
                keywords.extend(k.strip() for k in value.split(";") if k.strip())
            else:
                value = value.strip()
                if value:
                    keywords.append(value)
        record.keywords = keywords
    record.language = _one(get("LA"))
    record.publisher = _one(get("PB"))
    database = _first(tags, "DB", "DP").lower()
    accession = _one(get("AN"))
    if accession.isdecimal() and ("pubmed" in database or "medline" in database):
        record.pmid = accession
    notes = [] if _NOTE_SET.isdisjoint(tags) else _items(tags, *_NOTE_TAGS)
    if accession.startswith("PMC") and "pmc" in database:
        notes.append(accession)
    for value in notes:  # PMC's RIS: "U1 - 23690738[pmid]", "U2 - PMC4756000[pmcid]"; EndNote: "C2 - PMC123"
        tagged = _TAGGED_ID.fullmatch(value)
        if tagged and tagged.group(2).lower() == "pmid":
            record.pmid = record.pmid or tagged.group(1)
        elif tagged or (value.startswith("PMC") and value[3:].isdecimal()):
            record.pmcid = record.pmcid or (tagged.group(1) if tagged else value)
    if series or "CY" in tags or "ET" in tags or "ST" in tags or "N1" in tags:
        extra = record.extra  # in this order: series, address, edition, shorttitle, annote
        if series:
            extra["series"] = series
        address = _one(get("CY"))
        if address:
            extra["address"] = address
        edition = _one(get("ET"))
        if edition and not _DATE_LIKE.match(edition):
            extra["edition"] = edition
        short = _one(get("ST"))
        if short and short != record.title:
            extra["shorttitle"] = short
        annote = "; ".join(_items(tags, "N1")) if "N1" in tags else ""
        if annote:
            extra["annote"] = annote
    return normalize_record(record, in_place=True)


def _wos_authors(full: list[str], short: list[str]) -> list[Author]:
    """AF names, read with their AU twins: WoS writes some full names family first without a comma ("Wang
    Chen-Yang" next to "Wang, CY"), which read as given-first would make "Chen-Yang" the family name."""
    if not full:
        return [parse_person_name(n) for n in short]
    twins = short if len(short) == len(full) else [""] * len(full)
    authors = []
    for name, twin in zip(full, twins, strict=True):
        family = twin.partition(",")[0].strip() if "," in twin and "," not in name else ""
        words = name.split()
        head = len(family.split())
        if family and 0 < head < len(words) and " ".join(words[:head]).casefold() == family.casefold():
            authors.append(parse_person_name(f"{' '.join(words[:head])}, {' '.join(words[head:])}"))
        else:
            authors.append(parse_person_name(name))
    return authors


def wos_record(tags: Tags) -> Record:
    """One Web of Science tagged record -> a normalized Record."""
    doc_type = _first(tags, "DT").lower()
    entry_type = WOS_TYPES.get(_first(tags, "PT").strip()[:1], "misc")
    if "proceedings" in doc_type or (entry_type == "book" and not doc_type and "CT" in tags and "BP" in tags):
        entry_type = "inproceedings"  # "PT B" with a conference (CT) and pages, no DT: a paper in its proceedings
    record = Record(key="", entry_type=entry_type)
    record.title = _first(tags, "TI")
    record.authors = _wos_authors(_items(tags, "AF"), _items(tags, "AU"))
    record.authors += [Author(literal=n) for n in _items(tags, "CA") if is_collective_name(n) or " " in n]
    record.editors = [parse_person_name(n) for n in _items(tags, "BE")]
    source = _first(tags, "SO")
    if entry_type in ("inproceedings", "incollection"):
        record.booktitle = source
    else:
        record.journal = source
        record.journal_abbrev = _first(tags, "JI", "J9")
    record.year, _ = parse_date(_first(tags, "PY"))
    _, record.month = parse_date(f"2000 {_first(tags, 'PD')}")
    record.volume = _first(tags, "VL")
    record.issue = _first(tags, "IS")
    record.pages = _pages(_first(tags, "BP"), _first(tags, "EP")) or re.sub(r"^UNSP\s+", "", _first(tags, "AR"))
    record.doi = _first(tags, "DI")
    record.pmid = _first(tags, "PM")
    record.issn = ", ".join(v for v in (_first(tags, "SN"), _first(tags, "EI")) if v)
    record.isbn = _first(tags, "BN")
    record.abstract = "\n\n".join(tags.get("AB", ())) if len(tags.get("AB", ())) > 1 and all(
        v.endswith((".", ")")) for v in tags["AB"][:-1]) else _first(tags, "AB")
    record.keywords = [k.strip() for k in _first(tags, "DE").split(";") if k.strip()]
    record.language = _first(tags, "LA")
    record.publisher = _first(tags, "PU")
    record.pubtypes = [t.strip() for t in _first(tags, "DT").split(";") if t.strip()]
    accession = _first(tags, "UT")
    if accession:
        record.extra = {"accession": accession}
    return normalize_record(record, in_place=True)


@gc_paused
def _read(data: bytes, source: str, wos: bool) -> ReadResult:
    text = decode_text(data, source)
    result = ReadResult(format="wos" if wos else "ris")
    convert = wos_record if wos else ris_record
    items = _wos_records(text, source) if wos else ris_tags(text, source)
    for item in items:
        if isinstance(item, ReadProblem):
            result.problems.append(item)
            continue
        index, line, tags = item
        record = convert(tags)
        if not (findable(record) or record.authors):
            result.problems.append(ReadProblem(source, "record has no title, author, DOI or PMID; skipped", line, index,
                                               severity="warning"))
            continue
        result.problems.extend(identifier_problems(record, source, line, index))
        result.records.append(record)
    if not result.records and not result.problems:
        tag = "PT" if wos else "TY  -"
        result.problems.append(ReadProblem(source, f"no records (no '{tag}' line)", fatal=True))
    return result


def read_ris(data: bytes, source: str) -> ReadResult:
    """Read a RIS file (any exporter's flavour)."""
    return _read(data, source, wos=False)


def read_wos(data: bytes, source: str) -> ReadResult:
    """Read a Web of Science / ISI tagged export (``PT J`` ... ``ER`` records)."""
    return _read(data, source, wos=True)
