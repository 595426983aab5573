"""What every file reader returns: records plus per-record problems, never an exception for bad records.

A reader is a pure function ``read_<format>(data: bytes, source: str) -> ReadResult``: ``source`` is only used in
messages (usually the file name). Records come out already normalized (see :mod:`library.normalize`) but without
keys: the importer assigns citation keys. A problem names the record (1-based index in the file and/or the line)
and what is wrong; records that could be read are still returned when others fail.
"""

from __future__ import annotations

import functools
import gc
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from library.errors import LibraryError
from library.model import Record, RecordList

__all__ = ["ReadError", "ReadProblem", "ReadResult", "article_number", "findable", "gc_paused", "identifier_problems"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ReadProblem:
    source: str
    message: str
    line: int | None = None  # 1-based line in the file, when known
    record: int | None = None  # 1-based position of the record in the file, when known
    fatal: bool = False  # True when the rest of the file could not be read (truncated XML, binary data ...)
    # "error": the record (or the rest of the file) could not be read; "warning": read and kept as given (an odd
    # identifier): reported with its place, never blocking an import
    severity: str = "error"

    def __str__(self) -> str:
        where = [self.source]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.record is not None:
            where.append(f"record {self.record}")
        if len(where) == 1:
            return f"{self.source}: {self.message}"
        return f"{where[0]} ({', '.join(where[1:])}): {self.message}"


@dataclass(slots=True)
class ReadResult:
    """What a reader read. ``records`` are held packed (:class:`~library.model.RecordList`: a record is built on
    each access; assign an edited one back), so that a file of a million entries fits in memory."""

    records: RecordList = field(default_factory=RecordList)
    problems: list[ReadProblem] = field(default_factory=list)
    format: str = ""


class ReadError(LibraryError):
    """A file that cannot be read at all (unknown format, not text, empty); the message names the file."""


def findable(record: Record) -> bool:
    """A record someone can find again: it has a title or an identifier (a PMID alone is enough: enrichment
    fills in the rest)."""
    return bool(record.title or record.doi or record.pmid or record.pmcid)


_ARTICLE_NUMBER = re.compile(r"[eE]?[0-9]{1,12}")


def article_number(piis: Iterable[str]) -> str:
    """The first publisher item identifier (PubMed's ``ELocationID EIdType="pii"``, MEDLINE's ``LID - ... [pii]``)
    that is the article's number ("20200021", "e0213622"): the locator PubMed cites for an article without pages.
    A publisher's internal identifier ("S0092-8674(19)30846-3") is no locator; '' when none is a number."""
    return next((pii for pii in (p.strip() for p in piis) if _ARTICLE_NUMBER.fullmatch(pii)), "")


def identifier_problems(record: Record, source: str, line: int | None = None, index: int | None = None,
                        label: str = "") -> list[ReadProblem]:
    """One warning per odd identifier of ``record``: the value is kept as given, never dropped, never blocking."""
    if not (record.doi or record.pmid or record.pmcid):
        return []
    prefix = f"{label}: " if label else ""
    return [ReadProblem(source, f"{prefix}{message}; kept as given", line, index, severity="warning")
            for message in record.identifier_problems()]



def gc_paused(function: Callable[_P, _T]) -> Callable[_P, _T]:
    """Run a whole-file reader with Python's cyclic garbage collector paused (as Mercurial does when it parses).

    A reader allocates a dozen lists and dicts per record and keeps the records, so the collector runs again
    and again over a growing heap of objects that are all still alive: 5-15 % of a large import. Records hold
    no reference cycles, so nothing piles up meanwhile; the collector is switched back on (only if it was on)
    when the reader returns or raises. Not for generators: their caller decides how long they run.
    """
    @functools.wraps(function)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()
    return paused
