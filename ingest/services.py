"""Putting records into the library, in one place for ``reflib import``/``ingest``/``watch`` and the dashboard.

They are shells over these functions: they collect the options and show the report. The importer's rules (one
decision per pair, one merge rule, what is reviewed) are in :mod:`ingest.importer`; this module names the steps a
user takes: read a file, preview what importing its records (or fetched ones) would do, import them (and save).
Duplicates, undo and decisions are the core's services (:mod:`library.services`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from library.model import Record
from library.store import Library

from .base import ReadResult
from .importer import ImportReport, import_records
from .readers import read_data, read_file, read_stream

__all__ = ["ImportOptions", "import_file", "preview_import", "read_import"]


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What every imported record gets: manual topics, and a link to an encyclopedia entry (cited/discussed)."""

    topics: Sequence[str] = ()
    entry: str | None = None
    link_kind: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)  # CSV: field -> column


def read_import(source: str | Path | bytes | BinaryIO, name: str = "", fmt: str = "auto",
                encoding: str | None = None, columns: Mapping[str, str] | None = None) -> ReadResult:
    """Read a file (a path, its bytes or an open binary stream such as standard input, named ``name``) into
    records and problems; ReadError when it cannot be read at all."""
    if isinstance(source, bytes):
        return read_data(source, name, fmt, encoding=encoding, columns=columns or None)
    if not isinstance(source, str | Path):
        return read_stream(source, name, fmt, encoding=encoding, columns=columns or None)
    return read_file(source, fmt, encoding=encoding, columns=columns or None)


def preview_import(lib: Library, records: Sequence[Record], source: str, options: ImportOptions = ImportOptions(),
                   accept: Mapping[int, str] | None = None, consume: bool = False) -> ImportReport:
    """What importing the records (read from a file, or fetched) would do, with the reasons; the library is not
    changed."""
    return import_records(lib, records, source=source, topics=options.topics, entry=options.entry,
                          link_kind=options.link_kind, dry_run=True, accept=accept, consume=consume)


def import_file(lib: Library, records: Sequence[Record], source: str, options: ImportOptions = ImportOptions(),
                accept: Mapping[int, str] | None = None, save: Callable[[ImportReport], bool] | None = None,
                consume: bool = False) -> ImportReport:
    """Import the records (read from a file, or fetched) into ``lib``; with ``save``, save it (given the report,
    to say what it saves).

    ``accept`` maps positions in the file to library keys an editor confirmed as the same study; ``consume``
    empties ``records`` once read (see :func:`~ingest.importer.import_records`).
    """
    report = import_records(lib, records, source=source, topics=options.topics, entry=options.entry,
                            link_kind=options.link_kind, accept=accept, consume=consume)
    if save is not None:
        save(report)
    return report
