"""What every file reader returns: records plus per-record problems, never an exception for bad records.

A reader is a pure function ``read_<format>(data: bytes, source: str) -> ReadResult``: ``source`` is only used in
messages (usually the file name). Records come out already normalized (see :mod:`library.normalize`) but without
keys: the importer assigns citation keys. A problem names the record (1-based index in the file and/or the line)
and what is wrong; records that could be read are still returned when others fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from library.model import Record

__all__ = ["ReadError", "ReadProblem", "ReadResult", "identifier_problems"]


@dataclass(frozen=True, slots=True)
class ReadProblem:
    source: str
    message: str
    line: int | None = None  # 1-based line in the file, when known
    record: int | None = None  # 1-based position of the record in the file, when known
    fatal: bool = False  # True when the rest of the file could not be read (truncated XML, binary data ...)

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
    records: list[Record] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    format: str = ""


class ReadError(Exception):
    """A file that cannot be read at all (unknown format, not text, empty); the message names the file."""


def identifier_problems(record: Record, source: str, line: int | None = None, index: int | None = None,
                        label: str = "") -> list[ReadProblem]:
    """One problem per invalid identifier of ``record``: the value is kept as given, never dropped."""
    prefix = f"{label}: " if label else ""
    return [ReadProblem(source, f"{prefix}{message}; kept as given", line, index)
            for message in record.identifier_problems()]

