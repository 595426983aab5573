"""Encyclopedia entries, read from the editors' ``encyclopedia.toml``.

An entry is a page of the encyclopedia: a slug (its stable name, used in links), a title, a URL and a summary.
Which studies it cites or discusses is stored on the studies themselves, in ``references.bib``
(``cited_in = {slug#number}``, ``discussed_in = {slug}``; see :mod:`library.evidence.links`), so that one file
holds each fact; this file only describes the entries.

File format (one ``[[entry]]`` table per entry)::

    base_url = "https://example.org/encyclopedia/"   # optional: entries without a url get base_url + slug

    [[entry]]
    slug = "hysterosalpingogram"       # unique; lowercase letters, digits, hyphens
    title = "Hysterosalpingogram (HSG)"
    url = ""                           # optional
    summary = "..."                    # optional, one paragraph
    status = "published"               # published | draft | planned (implied by another entry, not written yet)
    topics = ["Diagnostics > Tubal patency > HSG"]   # optional; checked against the taxonomy by `reflib check`
    related = ["hysteroscopy"]         # optional: slugs of other entries
    pending = ["Title of a study ..."] # optional: studies the published entry lists that are not in the library yet

Errors (TOML syntax, duplicate slugs, unknown ``related`` slugs, unknown keys, bad values) are reported together,
each with its line.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import LibraryError
from .tomlfile import EvidenceFileError, FileProblem, TableLocator, find_beside, parse_toml, read_text

__all__ = [
    "STATUSES",
    "Encyclopedia",
    "EntriesError",
    "Entry",
    "UnknownEntryError",
    "default_entries_path",
    "entries_for",
    "find_entries",
    "load_entries",
    "parse_entries",
]

ENTRIES_FILE = "encyclopedia.toml"
STATUSES = ("published", "draft", "planned")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ENTRY_KEYS = {"slug", "title", "url", "summary", "status", "topics", "related", "pending"}


class EntriesError(EvidenceFileError):
    """``encyclopedia.toml`` is malformed; every problem carries its line."""


class UnknownEntryError(LibraryError):
    """A slug that no entry has; the message suggests the closest ones."""


@dataclass(frozen=True, slots=True)
class Entry:
    slug: str
    title: str
    url: str = ""
    summary: str = ""
    status: str = "published"
    topics: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    line: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"slug": self.slug, "title": self.title, "url": self.url, "summary": self.summary,
                "status": self.status, "topics": list(self.topics), "related": list(self.related),
                "pending": list(self.pending)}


class Encyclopedia:
    """The validated entries, in file order."""

    def __init__(self, entries: Sequence[Entry], path: Path | None = None) -> None:
        self.path = path
        self._entries = {e.slug: e for e in entries}

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def __contains__(self, slug: object) -> bool:
        return isinstance(slug, str) and slug in self._entries

    def slugs(self) -> list[str]:
        return list(self._entries)

    def get(self, slug: str) -> Entry | None:
        return self._entries.get(slug)

    def resolve(self, slug: str) -> Entry:
        """The entry with this slug, or :class:`UnknownEntryError` naming the closest slugs."""
        entry = self._entries.get(slug.strip())
        if entry is not None:
            return entry
        close = difflib.get_close_matches(slug.strip(), list(self._entries), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        where = f" in {self.path}" if self.path else ""
        raise UnknownEntryError(f"unknown encyclopedia entry {slug!r}{where}{hint}")


def _strings(raw: Any) -> tuple[str, ...] | None:
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return tuple(" ".join(x.split()) for x in raw if x.strip())
    return None


def _entry(item: Any, i: int, where: TableLocator, path: str, base_url: str,
           problems: list[FileProblem]) -> Entry | None:
    line = where.item_line(i)
    if not isinstance(item, dict):
        problems.append(FileProblem(path, line, "each entry must be a table"))
        return None
    for key in item:
        if key not in _ENTRY_KEYS:
            close = difflib.get_close_matches(key, sorted(_ENTRY_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(FileProblem(path, where.key_line(i, key), f"unknown key {key!r}{hint}"))
    slug = item.get("slug")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        problems.append(FileProblem(path, where.key_line(i, "slug"),
                                    "entry needs a slug of lowercase letters, digits and hyphens"))
        return None
    values: dict[str, str] = {}
    for key in ("title", "url", "summary", "status"):
        value = item.get(key, "")
        if not isinstance(value, str):
            problems.append(FileProblem(path, where.key_line(i, key), f"{key} of {slug!r} must be a string"))
            value = ""
        values[key] = " ".join(value.split())
    if not values["title"]:
        problems.append(FileProblem(path, where.key_line(i, "title"), f"entry {slug!r} needs a title"))
    status = values["status"] or "published"
    if status not in STATUSES:
        problems.append(FileProblem(path, where.key_line(i, "status"),
                                    f"status of {slug!r} must be one of {', '.join(STATUSES)}"))
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("topics", "related", "pending"):
        value = _strings(item.get(key, []))
        if value is None:
            problems.append(FileProblem(path, where.key_line(i, key), f"{key} of {slug!r} must be a list of strings"))
            value = ()
        lists[key] = value
    url = values["url"] or (base_url.rstrip("/") + "/" + slug if base_url else "")
    return Entry(slug=slug, title=values["title"], url=url, summary=values["summary"], status=status,
                 topics=lists["topics"], related=lists["related"], pending=lists["pending"], line=line)


def parse_entries(text: str, path: str = ENTRIES_FILE) -> Encyclopedia:
    """Validate the text of an entries file; raises :class:`EntriesError` listing every problem with its line."""
    try:
        data = parse_toml(text, path)
    except EvidenceFileError as exc:
        raise EntriesError(exc.problems) from exc
    where = TableLocator(text, "entry")
    problems: list[FileProblem] = []
    for key in data:
        if key not in ("entry", "base_url"):
            problems.append(FileProblem(path, 0, f"unknown top-level key {key!r} (entries go in [[entry]] tables)"))
    base_url = data.get("base_url", "")
    if not isinstance(base_url, str):
        problems.append(FileProblem(path, 0, "base_url must be a string"))
        base_url = ""
    raw = data.get("entry", [])
    if not isinstance(raw, list):
        raise EntriesError([FileProblem(path, 0, "'entry' must be an array of tables: [[entry]]")])
    entries: list[Entry] = []
    first: dict[str, int] = {}
    related_line: dict[str, int] = {}
    for i, item in enumerate(raw):
        entry = _entry(item, i, where, path, base_url, problems)
        if entry is None:
            continue
        if entry.slug in first:
            problems.append(FileProblem(path, where.key_line(i, "slug"),
                                        f"duplicate entry slug {entry.slug!r} (first at line {first[entry.slug]})"))
            continue
        first[entry.slug] = where.key_line(i, "slug")
        related_line[entry.slug] = where.key_line(i, "related")
        entries.append(entry)
    for entry in entries:
        for slug in entry.related:
            if slug not in first:
                problems.append(FileProblem(path, related_line[entry.slug],
                                            f"entry {entry.slug!r} names unknown related entry {slug!r}"))
    if problems:
        raise EntriesError(sorted(problems, key=lambda p: p.line))
    return Encyclopedia(entries, Path(path))


def load_entries(path: str | os.PathLike[str]) -> Encyclopedia:
    file = Path(path)
    try:
        text = read_text(file)
    except EvidenceFileError as exc:
        raise EntriesError(exc.problems) from exc
    return parse_entries(text, str(file))


def default_entries_path() -> Path:
    """The file bundled at the repository root (beside the bundled ``references.bib``)."""
    return Path(__file__).resolve().parents[2] / ENTRIES_FILE


def find_entries(bib_path: str | os.PathLike[str] | None = None) -> Path | None:
    """Which file applies: ``$REFLIB_ENCYCLOPEDIA``, else one beside the library, else the bundled one."""
    return find_beside(bib_path, ENTRIES_FILE, "REFLIB_ENCYCLOPEDIA")


def entries_for(bib_path: str | os.PathLike[str] | None = None) -> Encyclopedia:
    """The entries that apply to a library (see :func:`find_entries`), loaded and validated."""
    path = find_entries(bib_path)
    if path is None:
        raise EntriesError([FileProblem(ENTRIES_FILE, 0, "no entries file beside the library, none bundled, "
                                        "and $REFLIB_ENCYCLOPEDIA is not set")])
    return load_entries(path)
