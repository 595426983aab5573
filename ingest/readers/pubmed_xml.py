"""PubMed XML (EFetch ``db=pubmed&retmode=xml``, the PubMed baseline files) -> Records, streamed.

Parsing is safe by construction: lxml parsers with ``resolve_entities=False, no_network=True, load_dtd=False,
huge_tree=False``. NCBI's files never declare entities of their own, so a DOCTYPE with an internal subset that
declares ``<!ENTITY ...>`` (an entity-expansion "billion laughs" or an external-entity "XXE" payload) is
refused with a fatal :class:`ReadProblem` before any record is read: nothing is expanded and no file or URL is
opened. Elements are cleared as soon as their record is built, so memory stays flat however large the file is,
and one article may take at most :func:`max_article_bytes` of XML (see :func:`read_pubmed_stream` for the limits).

Speed (>= 4,000 records/s is the target): a file with the plain shape of NCBI's files is read article by
article - each ``<PubmedArticle>`` cut out of the byte stream and parsed on its own with the same safe parser
settings, which costs less than a streaming parser's per-element bookkeeping - and anything else falls back to
a pull parser over the whole stream (see :func:`iter_pubmed_xml`). What each article becomes is
:mod:`ingest.readers.pubmed_record`'s job.

An NCBI error document (``<ERROR>`` inside an otherwise successful response) is a fatal problem carrying NCBI's
message. Truncated or malformed XML: the records before the break are returned, then a fatal problem naming the
file and line.
"""

from __future__ import annotations

import io
import re
from collections.abc import Generator, Iterator
from typing import BinaryIO

from lxml import etree

from library.model import Record
from library.normalize import normalize_record

from ..base import ReadError, ReadProblem, ReadResult, gc_paused, identifier_problems
from . import limits
from .pubmed_record import journal_article, pubmed_record
from .xml_text import clean_text, element_text, leaf_text

__all__ = ["check_pubmed_xml", "iter_pubmed_xml", "pubmed_record", "read_pubmed_stream", "read_pubmed_xml"]

_ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle", "MedlineCitation", "ERROR")


def _unsafe_dtd(element: etree._Element) -> str:
    """A message when the document declares entities (never the case in NCBI files), else ''."""
    dtd = element.getroottree().docinfo.internalDTD
    if dtd is None:
        return ""
    entities = list(dtd.entities())
    if not entities:
        return ""
    external = [e.name for e in entities if e.system_url]
    kind = (f"external entities ({', '.join(external[:3])}) that would read files or URLs" if external
            else f"{len(entities)} internal entities (an entity-expansion bomb)")
    return (f"the document declares {kind} in its DOCTYPE; PubMed XML never does, so the file was refused "
            "without expanding anything")


_PULL_BLOCK = 1 << 16


def max_article_bytes() -> int:
    """Bytes of XML one article (or the markup between two articles) may take: four times
    :func:`limits.max_record_chars` (4 MB; the longest PubMed article is about 600 kB of XML). The streaming
    reader keeps one article's tree in memory, so this bounds its memory however the file is made."""
    return 4 * limits.max_record_chars()


def too_big_article(source: str, index: int, line: int | None, limit: int) -> ReadError:
    where = f"record {index}" + (f", line {line}" if line else "")
    return ReadError(f"{source} ({where}): more than {limit / (1 << 20):g} MB of XML in one record; refused (raise "
                     "REFLIB_MAX_RECORD_KB to read it)")


class _Fed:
    """How far the pull parser has been fed, and where the record being read started (``mark``: the bytes fed
    when the last record ended or the current one started, ``index``/``line``: the current record)."""

    __slots__ = ("fed", "index", "limit", "line", "mark", "source")

    def __init__(self, source: str) -> None:
        self.source, self.limit = source, max_article_bytes()
        self.fed = self.mark = 0
        self.index, self.line = 1, 0

    def check(self) -> None:
        if self.fed - self.mark > self.limit:
            raise too_big_article(self.source, self.index, self.line or None, self.limit)


def _pull_elements(stream: BinaryIO, parser: etree.XMLPullParser,
                   fed: _Fed | None = None) -> Generator[tuple[str, etree._Element], None, etree._Element]:
    """The elements of the parser's end events as the stream is fed to it; returns the root.

    On a syntax error inside the document every element completed before it is delivered first, then the
    error is raised: the records before a break in the file are always read (lxml 6.2's ``iterparse`` raises
    before handing over the events of the block that holds the error; a pull parser keeps them for
    ``read_events``). At the end of a truncated document libxml2 closes the elements still open, so the events
    queued by ``close`` are dropped: they are the unfinished article, not a record.
    """
    while True:
        block = stream.read(_PULL_BLOCK)
        if fed is not None:
            fed.fed += len(block)
        try:
            if block:
                parser.feed(block)
            else:
                root = parser.close()
        except etree.XMLSyntaxError:
            if block:
                yield from parser.read_events()
            raise
        yield from parser.read_events()
        if fed is not None:
            fed.check()
        if not block:
            return root


def _tree_records(stream: BinaryIO, source: str, skip: int = 0) -> Iterator[Record | ReadProblem]:
    """Records and problems of the document read by a streaming (pull) parser; the first ``skip`` records are
    parsed (and their elements cleared) but neither built nor reported: :func:`_chunk_records` already gave
    them."""
    parser = etree.XMLPullParser(events=("start", "end"), tag=_ARTICLE_TAGS, resolve_entities=False,
                                 no_network=True, load_dtd=False, huge_tree=False, remove_comments=True)
    index = 0
    checked = False
    fed = _Fed(source)
    elements = _pull_elements(stream, parser, fed)
    try:
        while True:
            try:
                event, element = next(elements)
            except StopIteration as done:
                root = done.value
                break
            if event == "start":  # bound what the record may take from here (see _Fed)
                outer = element.getparent()
                if element.tag != "MedlineCitation" or outer is None or outer.tag != "PubmedArticle":
                    fed.mark, fed.index, fed.line = fed.fed, index + 1, element.sourceline or 0
                continue
            if not checked:
                checked = True
                unsafe = _unsafe_dtd(element)
                if unsafe:
                    yield ReadProblem(source, unsafe, line=1, fatal=True)
                    return
            if element.tag == "ERROR":
                yield ReadProblem(source, f"NCBI returned an error: {clean_text(element_text(element)) or '(empty)'}",
                                  line=element.sourceline, fatal=True)
                return
            parent = element.getparent()
            if element.tag == "MedlineCitation" and parent is not None and parent.tag == "PubmedArticle":
                continue  # read with its PubmedArticle
            index += 1
            fed.mark, fed.index, fed.line = fed.fed, index + 1, 0
            if index <= skip:
                element.clear(keep_tail=True)
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
                continue
            line = element.sourceline
            record = pubmed_record(element)
            element.clear(keep_tail=True)
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
            if not (record.title or record.pmid or record.doi):
                yield ReadProblem(source, "record has no title, PMID or DOI; skipped", line, index, severity="warning")
                continue
            yield from identifier_problems(record, source, line, index)
            yield record
    except etree.XMLSyntaxError as exc:
        where = f"{index} record(s) read before it" if index else "no record could be read"
        message = exc.msg or str(exc)
        if "amplification" in message or "reference loop" in message:
            text = (f"the document's entity declarations would expand explosively or reach outside the file "
                    f"({message}); refused without expanding anything; {where}")
        else:
            text = f"XML is truncated or malformed here ({message}); {where}"
        yield ReadProblem(source, text, line=exc.lineno or None, fatal=True)
        return
    if index == 0 and (root is None or root.tag not in ("PubmedArticleSet", "PubmedBookArticleSet")):
        yield ReadProblem(source, "no PubmedArticle or PubmedBookArticle records found", fatal=True)


def iter_pubmed_xml(stream: BinaryIO, source: str) -> Iterator[Record | ReadProblem]:
    """Records (and per-record problems) as they are parsed; a fatal problem ends the stream.

    A seekable stream is read by :func:`_chunk_records` (each ``PubmedArticle`` parsed on its own, 30 % less
    parsing time than a streaming parser) as far as the document has the plain shape of NCBI's files; from the first
    thing that shape does not cover (or any error) the stream is read again from its start by
    :func:`_tree_records`, the pull-parser reader, skipping the records already given. Both give the same
    records, problems, lines and messages (tests compare them on every corpus file).
    """
    seekable = getattr(stream, "seekable", None)
    if seekable is None or not seekable():
        yield from _tree_records(stream, source)
        return
    start = stream.tell()
    done = yield from _chunk_records(stream, source)
    if done is None:
        return
    stream.seek(start)
    yield from _tree_records(stream, source, skip=done)


# The document shape _chunk_records reads: an XML declaration (version 1.0, UTF-8), NCBI's DOCTYPE without an
# internal subset (so no entity can be declared), a <PubmedArticleSet> without attributes (so no namespace is
# declared around the articles), then <PubmedArticle> elements separated by whitespace.
_CHUNK_HEADER = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:<\?xml version=([\"'])1\.0\1(?: encoding=([\"'])(?i:utf-8)\2)?"
    rb"(?: standalone=([\"'])(?:yes|no)\3)? ?\?>)?[ \t\r\n]*"
    rb"(?:<!DOCTYPE PubmedArticleSet(?: PUBLIC \"[^\"<>\[\]]*\" \"[^\"<>\[\]]*\")?[ \t\r\n]*>[ \t\r\n]*)?"
    rb"<PubmedArticleSet>[ \t\r\n]*")
_ARTICLE_START = b"<PubmedArticle>"
# Dropping the whitespace-only text between tags (the indentation: a third of a pretty-printed article's nodes)
# saves about 15 % of the parsing, and changes nothing this reader reads unless the whitespace separates
# inline markup: "<i>in vitro</i> <i>fertilization</i>" would lose its space. NCBI's DTD allows no inline
# elements but i, b, u, sup, sub, mml:math and DispFormula, so only a document that declares that DTD is read
# this way, and an article holding one of them (or any lowercase tag, a comment, CDATA or a processing
# instruction, which the whitespace rule does not see through) keeps every whitespace node.
_NCBI_DTD = b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle'
_MIXED = re.compile(rb"<[a-z!?]|<DispFormula")
_ARTICLE_END = b"</PubmedArticle>"
_WHITESPACE = re.compile(rb"[ \t\r\n]*")
# 64 KiB reads: the buffer (a block plus the unfinished article) stays under glibc's mmap threshold, so it is
# reused from the heap; with 1 MiB blocks every refill was a fresh mapping, ~20,000 page faults per 5,000
# records and about 10 % of the reading time
_BLOCK = 1 << 16
_MAX_TAIL = 1 << 26


def _chunk_records(stream: BinaryIO, source: str) -> Generator[Record | ReadProblem, None, int | None]:
    """The fast reading of :func:`iter_pubmed_xml`: returns None when it read the whole document, else the
    number of records it gave before meeting something it leaves to :func:`_tree_records`.

    Why the results are the same as the tree reader's: the header admits no entity or namespace declaration and only
    UTF-8, so an article's bytes parse on their own exactly as they do inside the document (and an article
    that does not parse on its own - an undeclared entity, a broken tag - is left to the tree reader, which
    reports what it reports). An article is only given when its own bytes and everything before it
    were read: the tree reader gives every record before an error too. Articles holding anything it would
    report separately (a nested MedlineCitation, ERROR or second article tag) are left to the tree reader, and
    so is the end of the document unless it parses with the header and holds none of those tags.

    Line numbers are only needed for problems, so newlines are counted when a problem is reported (counting
    every article's newlines costs more than parsing it lightly), re-reading the stream if they have left
    the buffer.
    """
    origin = stream.tell()
    buffer = b""
    base = 0  # stream offset (from ``origin``) of buffer[0]
    eof = False
    counted, counted_line = 0, 1  # a stream offset and its 1-based line

    def fill(size: int) -> None:  # at least ``size`` bytes buffered, unless the stream ends first
        nonlocal buffer, eof
        while len(buffer) < size and not eof:
            block = stream.read(size - len(buffer))  # one read (and one copy) however much is missing
            if block:
                buffer += block
            else:
                eof = True

    def trim(pos: int) -> int:  # drop buffer[:pos]; the new offset of ``pos``
        nonlocal buffer, base
        buffer = buffer[pos:]
        base += pos
        return 0

    def line_of(offset: int) -> int:  # 1-based line of a stream offset at or after the last one counted
        nonlocal counted, counted_line
        if counted < base:  # the bytes in between have left the buffer: read them again
            resume = stream.tell()
            stream.seek(origin + counted)
            while counted < base:
                block = stream.read(min(_BLOCK, base - counted))
                if not block:
                    break
                counted_line += block.count(b"\n")
                counted += len(block)
            stream.seek(resume)
        counted_line += buffer.count(b"\n", counted - base, offset - base)
        counted = offset
        return counted_line

    fill(_BLOCK)
    first = buffer.find(_ARTICLE_START)
    if first == -1:
        return 0
    header = buffer[:first]
    if not _CHUNK_HEADER.fullmatch(header):
        return 0
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    lean = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_blank_text=True) if _NCBI_DTD in header else parser
    pos = first
    index = 0
    most = max_article_bytes()  # an article bigger than this is left to the tree reader, which refuses it
    while True:
        end = buffer.find(_ARTICLE_END, pos)
        while end == -1 and not eof:
            searched = len(buffer) - pos
            if searched > most:
                return index
            pos = trim(pos)
            fill(len(buffer) + _BLOCK)
            end = buffer.find(_ARTICLE_END, max(0, searched - len(_ARTICLE_END)))
        if end == -1:
            return index  # truncated: the tree reader reports it
        stop = end + len(_ARTICLE_END)
        try:
            element = etree.fromstring(buffer[pos:stop], parser if _MIXED.search(buffer, pos, stop) else lean)
        except etree.XMLSyntaxError:
            return index
        # the tree reader reports each of these tags (its filter): only the article and its own citation may be here
        found = list(element.iter(_ARTICLE_TAGS))
        if len(found) != 2 or found[1].getparent() is not element or found[1].tag != "MedlineCitation":
            return index
        index += 1
        record = normalize_record(journal_article(element, found[1]), in_place=True)
        del element, found
        if not (record.title or record.pmid or record.doi):
            yield ReadProblem(source, "record has no title, PMID or DOI; skipped", line_of(base + pos), index,
                                      severity="warning")
        else:
            if (record.doi or record.pmid or record.pmcid) and record.identifier_problems():
                yield from identifier_problems(record, source, line_of(base + pos), index)
            yield record
        pos = stop
        while True:  # whitespace, then the next article or the end of the document
            gap = _WHITESPACE.match(buffer, pos).end()  # type: ignore[union-attr]
            if gap < len(buffer) or eof:
                break
            pos = trim(pos)
            fill(len(buffer) + _BLOCK)
        pos = gap
        if len(buffer) < pos + len(_ARTICLE_START):
            fill(pos + len(_ARTICLE_START))
        if buffer.startswith(_ARTICLE_START, pos):
            if pos > _BLOCK:
                pos = trim(pos)
            continue
        # the rest of the document: well-formed with the header, and nothing in it the tree reader would report
        pos = trim(pos)
        tail = min(_MAX_TAIL, most)
        fill(tail + 1)
        if len(buffer) > tail:
            return index
        try:
            root = etree.fromstring(header + buffer, parser)
        except etree.XMLSyntaxError:
            return index
        if next(root.iter(_ARTICLE_TAGS), None) is not None:
            return index
        return None


def check_pubmed_xml(data: bytes, source: str) -> ReadProblem | None:
    """The fatal problem of a fetched document (broken XML, NCBI error, declared entities), or None - without
    building records, so a client can accept a batch quickly and read it later."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return ReadProblem(source, f"XML is truncated or malformed here ({exc.msg})", exc.lineno or None, fatal=True)
    unsafe = _unsafe_dtd(root)
    if unsafe:
        return ReadProblem(source, unsafe, line=1, fatal=True)
    error = root if root.tag == "ERROR" else next(root.iterchildren("ERROR"), None)
    if error is not None:
        return ReadProblem(source, f"NCBI returned an error: {leaf_text(error) or '(empty)'}", error.sourceline,
                           fatal=True)
    if root.tag not in ("PubmedArticleSet", "PubmedBookArticleSet"):
        return ReadProblem(source, "no PubmedArticle or PubmedBookArticle records found", fatal=True)
    return None


def read_pubmed_xml(data: bytes, source: str) -> ReadResult:
    """Read a whole PubMed XML document held in memory."""
    return read_pubmed_stream(io.BytesIO(data), source)


@gc_paused
def read_pubmed_stream(stream: BinaryIO, source: str) -> ReadResult:
    """Read a PubMed XML document from an open binary file, without holding the file in memory.

    Within the limits of :mod:`ingest.readers.limits`: more than :func:`limits.max_records` records refuse the
    file (ReadError, as soon as one record too many is read), a record with more than
    :func:`limits.max_record_chars` of text is an error of that record (the others are read), and an article of
    more than :func:`max_article_bytes` of XML refuses the file while it is read (its tree is never built)."""
    result = ReadResult(format="pubmed-xml")
    most, chars = limits.max_records(), limits.max_record_chars()
    position = 0  # records read or skipped so far
    for item in iter_pubmed_xml(stream, source):
        if isinstance(item, Record):
            position += 1
            if position > most:
                raise limits.too_many(source, most)
            size = limits.record_chars(item)
            if size > chars:
                result.problems.append(limits.record_too_big(source, item, size, position))
            else:
                result.records.append(item)
        else:
            if item.record is not None and item.severity == "error" and not item.fatal:
                position += 1
            result.problems.append(item)
    return result
