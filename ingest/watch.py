"""Saved searches ("living evidence"): re-run a PubMed or Crossref query and see what is new since last time.

The searches live in a small JSON file beside the library, ``<library stem>.watch.json`` (for
``references.bib``: ``references.watch.json``), meant to be committed with it::

    {
      "version": 1,
      "searches": {
        "hsg-radiation": {
          "source": "pubmed",                       # pubmed | crossref
          "query": "hysterosalpingography AND radiation dose",
          "topics": ["Diagnostics > HSG > Radiation"],   # added to every study the search brings in
          "entry": null, "link_kind": null,         # optional encyclopedia entry link (cited | discussed)
          "created": "2026-05-01T09:00:00+00:00",
          "last_run": "2026-05-09T10:30:00+00:00",  # null until the first run
          "last_count": 57,                         # how many records the source matched at the last run
          "seen": ["28520519", "..."]               # PMIDs (pubmed) or lower-case DOIs (crossref) already reported
        }
      }
    }

A run reports (and, unless it is a dry run, imports) the records whose identifier is not in ``seen``; ``seen``
and ``last_run`` are updated only after the library was saved, so a failed run reports the same studies again.
The first run of a search reports everything it finds (the baseline).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from library.atomic import atomic_write
from library.errors import LibraryError

__all__ = ["SavedSearch", "WatchError", "WatchFile", "new_identifiers", "watch_path"]

VERSION = 1
SOURCES = ("pubmed", "crossref")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class WatchError(LibraryError):
    """A saved-search file or request that cannot be used; the message names the file or the search."""


@dataclass(slots=True)
class SavedSearch:
    name: str
    query: str
    source: str = "pubmed"
    topics: list[str] = field(default_factory=list)
    entry: str | None = None
    link_kind: str | None = None
    created: str = ""
    last_run: str | None = None
    last_count: int | None = None
    seen: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("name")
        return data


def watch_path(bib: Path) -> Path:
    """The saved-search file of a library: ``references.bib`` -> ``references.watch.json`` beside it."""
    return bib.with_name(f"{bib.stem}.watch.json")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_identifiers(search: SavedSearch, found: list[str]) -> list[str]:
    """The identifiers in ``found`` not reported before, in the source's order (duplicates dropped)."""
    seen = set(search.seen)
    return [i for i in dict.fromkeys(found) if i not in seen]


def _search(name: str, data: Any, path: Path) -> SavedSearch:
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        raise WatchError(f"{path}: search {name!r} has no query; fix or remove it")
    known = {f for f in SavedSearch.__dataclass_fields__ if f != "name"}
    values = {k: v for k, v in data.items() if k in known}
    search = SavedSearch(name=name, **values)
    if search.source not in SOURCES:
        raise WatchError(f"{path}: search {name!r} has source {search.source!r}; expected pubmed or crossref")
    search.seen = [str(s) for s in search.seen] if isinstance(search.seen, list) else []
    search.topics = [str(t) for t in search.topics] if isinstance(search.topics, list) else []
    return search


class WatchFile:
    def __init__(self, path: Path, searches: dict[str, SavedSearch] | None = None) -> None:
        self.path = path
        self.searches: dict[str, SavedSearch] = searches or {}

    @classmethod
    def load(cls, path: Path) -> WatchFile:
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise WatchError(f"{path}: not a readable saved-search file ({exc}); fix it or move it away") from exc
        if not isinstance(data, dict) or not isinstance(data.get("searches", {}), dict):
            raise WatchError(f"{path}: expected {{\"version\": 1, \"searches\": {{...}}}}")
        if data.get("version", VERSION) != VERSION:
            raise WatchError(f"{path}: version {data.get('version')} is not supported (expected {VERSION})")
        return cls(path, {name: _search(name, value, path) for name, value in data.get("searches", {}).items()})

    def save(self) -> None:
        data = {"version": VERSION, "searches": {n: s.to_json() for n, s in sorted(self.searches.items())}}
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        atomic_write(self.path, [text.encode("utf-8")])

    def get(self, name: str) -> SavedSearch:
        try:
            return self.searches[name]
        except KeyError:
            known = ", ".join(sorted(self.searches)) or "none saved yet"
            raise WatchError(f"no saved search named {name!r} in {self.path} (known: {known})") from None

    def add(self, search: SavedSearch, *, replace: bool = False) -> None:
        if not _NAME.match(search.name):
            raise WatchError(f"search name {search.name!r}: use letters, digits, '-', '_' or '.' (up to 64)")
        if not search.query.strip():
            raise WatchError(f"search {search.name!r}: the query is empty")
        if search.source not in SOURCES:
            raise WatchError(f"search {search.name!r}: source must be pubmed or crossref")
        if (search.entry is None) != (search.link_kind is None):
            raise WatchError("--entry SLUG and --as cited|discussed go together")
        if search.name in self.searches and not replace:
            raise WatchError(f"a search named {search.name!r} exists already; use --replace to change it")
        search.created = search.created or now_iso()
        self.searches[search.name] = search

    def remove(self, name: str) -> SavedSearch:
        search = self.get(name)
        del self.searches[name]
        return search
