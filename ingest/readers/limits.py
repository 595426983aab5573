"""What one input may take: bytes read into memory, records per file, text per record.

Formats other than PubMed XML are parsed from memory, so their input is read whole - but never more than
:func:`max_input` bytes: a regular file is refused by its size before it is read, a stream (standard input, a
gzip file's decompressed data) as soon as it goes past the limit, while it is read. A file's records are
counted before they are built: by their markers (``@type{``, ``TY  -``, ``PMID-``, ``PT``) while the file is
read, so that a file with too many is refused without being held; CSV rows and JSON items by their readers,
before the first record is built (JSON items are checked one at a time, never all held). One record may hold
at most :func:`max_record_chars` characters of text: a bigger one is an error of that record (the others are
read), so no one record can make the later steps (normalizing, matching, keys) use gigabytes. PubMed XML is
streamed: it counts its records as it reads them and bounds the XML of one article (see
:func:`ingest.readers.pubmed_xml.read_pubmed_stream`). The limits are far above any real bibliography file
(PubMed's baseline files hold 30,000 records, the longest PubMed record is under 200 kB) and can be raised
through the environment: ``REFLIB_MAX_INPUT_MB``, ``REFLIB_MAX_RECORDS``, ``REFLIB_MAX_RECORD_KB``.

Memory per record is bounded too: records are held packed from the reader to the library
(:class:`library.model.RecordList`, about 250 bytes for a tiny entry instead of 2.5 kB), and the readers hold
one record's raw form at a time (JSON items, MEDLINE tags). 1,000,000 one-line title-only BibTeX entries import
in under 1 GB peak RSS (``make bench``, section limits); realistic small records (author, year, journal) need
~1.4 kB each at the peak, most of it the duplicate check's key table: a million MEDLINE records peaked at
1.6 GB. The default stays at 100,000: a million-entry import takes minutes (mostly topic classification, ~0.3 ms
a record), and a file that size is far more often a mistake (a wrong file, a database dump) than a
bibliography; a refusal in a second, naming the variable to raise, is the better answer.
"""

from __future__ import annotations

import os
import re
from dataclasses import fields
from typing import BinaryIO

from library.model import Author, PackedRecord, Record, RecordList, unpack_record

from ..base import ReadError, ReadProblem

__all__ = ["MARKERS", "RecordCounter", "check_records", "count_check", "max_input", "max_record_chars",
           "max_records", "packed_chars", "read_rest", "record_chars", "record_too_big", "too_large", "too_many"]

_BLOCK = 1 << 20


def _setting(name: str, default: int, unit: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return max(1, int(float(value) * unit)) if value else default * unit
    except ValueError:
        return default * unit


def max_input() -> int:
    """Bytes of (decompressed) input a format parsed in memory may have: 256 MB."""
    return _setting("REFLIB_MAX_INPUT_MB", 256, 1 << 20)


def max_records() -> int:
    """Records one file may hold: 100,000 (a library of that size is reflib's design target)."""
    return _setting("REFLIB_MAX_RECORDS", 100_000, 1)


def max_record_chars() -> int:
    """Characters of text one record may hold: 1 MB."""
    return _setting("REFLIB_MAX_RECORD_KB", 1024, 1024)


def _size(limit: int) -> str:
    return f"{limit / (1 << 30):g} GB" if limit >= 1 << 30 else f"{limit / (1 << 20):g} MB"


def too_large(source: str, limit: int) -> ReadError:
    return ReadError(f"{source}: more than {_size(limit)} of input; refused (split the file, or raise "
                     "REFLIB_MAX_INPUT_MB)")


def read_rest(handle: BinaryIO, head: bytes, source: str, limit: int, fmt: str = "") -> bytes:
    """``head`` and the rest of ``handle``; ReadError as soon as the total goes past ``limit`` bytes.

    With ``fmt`` (a format whose records have a marker line, see :func:`count_check`), the records are counted
    as the blocks come in: once there are more than :func:`max_records`, nothing more is kept - the rest is
    only read through to see whether it is also too large (that refusal comes first, as when it is read
    whole) - and the file is refused (ReadError) without holding it. The count of the whole data that
    :func:`count_check` makes afterwards stays the exact one (this one never counts more)."""
    counter = RecordCounter(MARKERS[fmt], max_records()) if fmt in MARKERS else None
    chunks = [head]
    total = len(head)
    over = counter is not None and counter.feed(head)
    while not over:
        block = handle.read(_BLOCK)
        if not block:
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        total += len(block)
        if total > limit:
            raise too_large(source, limit)
        chunks.append(block)
        over = counter is not None and counter.feed(block)
    chunks.clear()
    while block := handle.read(_BLOCK):
        total += len(block)
        if total > limit:
            raise too_large(source, limit)
    raise too_many(source, max_records())


class RecordCounter:
    """Record markers in blocks of a file, line by line (a line split between blocks is joined first; one
    longer than 4 kB is not counted: a marker is near the start of its line). Never more than the exact count
    of the whole data."""

    def __init__(self, pattern: re.Pattern[bytes], limit: int) -> None:
        self.pattern, self.limit = pattern, limit
        self.count = 0
        self.tail = b""  # the start of a line whose end has not come yet
        self.skipping = False  # inside a line longer than 4 kB

    def feed(self, block: bytes) -> bool:
        """Count the complete lines of ``block``; True once there are more records than the limit."""
        start = 0
        if self.tail or self.skipping:
            end = block.find(b"\n")
            if end < 0:
                if not self.skipping:
                    self.tail += block
                    self.skipping = len(self.tail) > 4096
                    self.tail = b"" if self.skipping else self.tail
                return False
            if not self.skipping:
                self.count += sum(1 for _ in self.pattern.finditer(self.tail + block[:end + 1]))
            self.tail, self.skipping, start = b"", False, end + 1
        cut = block.rfind(b"\n") + 1
        if cut > start:
            self.count += sum(1 for _ in self.pattern.finditer(block, start, cut))
        rest = len(block) - max(cut, start)
        if rest > 4096:
            self.skipping = True
        elif rest:
            self.tail = block[max(cut, start):]
        return self.count > self.limit


MARKERS = {
    "bibtex": re.compile(rb"^[ \t]*@[ \t]*(?!(?i:string|comment|preamble)\b)[A-Za-z]+[ \t]*[{(]", re.MULTILINE),
    "ris": re.compile(rb"^[ \t]*TY  -", re.MULTILINE),
    "wos": re.compile(rb"^PT [A-Z]", re.MULTILINE),
    "medline": re.compile(rb"^PMID-", re.MULTILINE),
}


def count_check(data: bytes, fmt: str, source: str) -> None:
    """ReadError when ``data`` (in format ``fmt``) holds more records than :func:`max_records`; counted by the
    records' markers, before any record is built."""
    pattern = MARKERS.get(fmt)
    if pattern is None:
        return
    limit = max_records()
    for count, _ in enumerate(pattern.finditer(data), 1):
        if count > limit:
            raise too_many(source, limit)


def too_many(source: str, limit: int) -> ReadError:
    return ReadError(f"{source}: more than {limit:,} records; refused (split the file, or raise "
                     "REFLIB_MAX_RECORDS)")


_TEXT_FIELDS = [f.name for f in fields(Record)]


def record_chars(record: Record) -> int:
    """Characters of text in a record (names, values, list items)."""
    total = 0
    for name in _TEXT_FIELDS:
        value = getattr(record, name)
        if isinstance(value, str):
            total += len(value)
        elif isinstance(value, list | tuple):
            for item in value:
                total += len(item) if isinstance(item, str) else _item_chars(item)
        elif isinstance(value, dict):
            total += sum(len(str(k)) + len(str(v)) for k, v in value.items())
    return total


_SYNOPSIS = _TEXT_FIELDS.index("synopsis")


def packed_chars(packed: PackedRecord) -> int:
    """:func:`record_chars` of a packed record (:func:`library.model.pack_record`), without building it."""
    total = 0
    for at in range(0, len(packed), 2):
        number, value = packed[at], packed[at + 1]
        if isinstance(value, str):
            total += len(value)
        elif isinstance(value, tuple) and number != _SYNOPSIS:
            for item in value:
                if isinstance(item, tuple):  # an extra field: (name, value)
                    total += len(str(item[0])) + len(str(item[1]))
                else:
                    total += len(item) if isinstance(item, str) else _item_chars(item)
    return total


def _item_chars(item: object) -> int:
    if isinstance(item, Author):
        return len(item.family) + len(item.given) + len(item.literal) + len(item.orcid) + len(item.suffix)
    return len(str(item))


def record_too_big(source: str, record: Record, size: int, index: int) -> ReadProblem:
    """The error of a record with ``size`` characters of text, more than :func:`max_record_chars`."""
    label = (record.key or record.pmid or record.doi or "").strip()[:40]
    named = f" ({label})" if label else ""
    return ReadProblem(source, f"{size / (1 << 20):.1f} MB of text in one record{named}, more than "
                       f"{_size(max_record_chars())}; not read (raise REFLIB_MAX_RECORD_KB to read it)", record=index)


def check_records(records: RecordList, source: str, input_size: int) -> tuple[RecordList, list[ReadProblem]]:
    """The records within :func:`max_record_chars`, and an error for each bigger one (its position named)."""
    limit = max_record_chars()
    if input_size <= limit:  # no record can be bigger than its file
        return records, []
    problems: list[ReadProblem] = []
    keep: list[int] = []
    for index, packed in enumerate(records.packed()):
        size = packed_chars(packed)
        if size > limit:
            problems.append(record_too_big(source, unpack_record(packed), size, index + 1))
        else:
            keep.append(index)
    return (records.subset(keep) if problems else records), problems
