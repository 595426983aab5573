"""Links between studies and encyclopedia entries: *cited* (numbered, ordered) or *discussed*.

Links are stored on the records (``Record.links``; ``cited_in = {slug#number}``, ``discussed_in = {slug}`` in
the .bib), because a study's links travel with it through merges, exports and version control. The number of a
citation is its position in the entry's "Cited in this entry" list, i.e. the superscript in the entry's text,
so unlinking never renumbers the others: the text would then point at the wrong sources.

The record-level functions are pure; the library-level ones look records up and ``update`` them (the caller
saves), which is what ``reflib link`` and the dashboard do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import LibraryError
from ..frame import FrameQuery, filter_positions
from ..model import EntryLink, Record
from ..store import Library
from .encyclopedia import Encyclopedia, Entry

__all__ = [
    "KINDS",
    "EntryReferences",
    "LinkError",
    "add_link",
    "entry_references",
    "link_study",
    "linked_keys",
    "next_number",
    "remove_links",
    "unlink_study",
]

KINDS = ("cited", "discussed")


class LinkError(LibraryError):
    """A link that cannot be made as asked (bad kind, number taken, nothing to unlink)."""


@dataclass(slots=True)
class EntryReferences:
    """An entry's reference block: cited studies by number, then discussed studies, then the titles the entry
    names that are not in the library (its ``pending`` list, less the titles a study of the library has)."""

    slug: str
    entry: Entry | None = None
    cited: list[tuple[int | None, Record]] = field(default_factory=list)
    discussed: list[Record] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)


def add_link(record: Record, slug: str, kind: str, number: int | None = None) -> Record:
    """A copy of ``record`` linked to ``slug``; re-linking a citation with a new number moves it. A study cited
    under several numbers of the entry is not moved to another: that would drop all but one, so it is refused."""
    if kind not in KINDS:
        raise LinkError(f"link kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if number is not None and (kind != "cited" or number < 1):
        raise LinkError("only citations have numbers, and numbers start at 1")
    out = record.copy()
    existing = [lk for lk in out.links if lk.slug == slug and lk.kind == kind]
    if existing and (kind == "discussed" or number is None or any(lk.number == number for lk in existing)):
        return out
    if len(existing) > 1:  # one study under several numbers (a merge keeps both): which one stays is the editor's
        numbers = " and ".join(f"#{lk.number}" if lk.number else "without a number" for lk in existing)
        raise LinkError(f"{record.key!r} is cited in {slug!r} as {numbers}; linking it as #{number} would replace "
                        f"{'both' if len(existing) == 2 else 'all of them'}: unlink it (`reflib unlink {record.key} "
                        f"{slug} --as cited`) and link it again with the number the entry's text uses")
    link = EntryLink(slug, kind, number)
    links: list[EntryLink] = []
    for lk in out.links:  # the first matching link is replaced in place, duplicates of it dropped
        if lk.slug == slug and lk.kind == kind:
            if link not in links:
                links.append(link)
            continue
        links.append(lk)
    out.links = links if existing else [*links, link]
    return out


def remove_links(record: Record, slug: str, kind: str | None = None) -> tuple[Record, list[EntryLink]]:
    """A copy of ``record`` without its links to ``slug`` (of ``kind`` only, when given), and what was removed."""
    out = record.copy()
    removed = [lk for lk in out.links if lk.slug == slug and (kind is None or lk.kind == kind)]
    out.links = [lk for lk in out.links if lk not in removed]
    return out, removed


def linked_keys(lib: Library, slug: str, kind: str | None = None) -> list[str]:
    """Keys of the records linked to ``slug``, in file order (found with the frame's entry filter, so a
    100k-record library answers in milliseconds)."""
    frame = lib.frame()
    positions = filter_positions(frame, FrameQuery(entries=(slug,)))
    keys = frame["key"].take(positions).tolist()
    if kind is None:
        return keys
    slugs = frame[f"{kind}_in"].take(positions).tolist()
    return [key for key, linked in zip(keys, slugs, strict=True) if slug in linked]


def _citations(lib: Library, slug: str) -> list[tuple[int | None, Record]]:
    out: list[tuple[int | None, Record]] = []
    for key in linked_keys(lib, slug, "cited"):
        record = lib.get(key)
        out.extend((lk.number, record) for lk in record.cited_in() if lk.slug == slug)
    return out


def next_number(lib: Library, slug: str) -> int:
    """The number a new citation in ``slug`` gets: one more than the highest so far."""
    return max((n for n, _ in _citations(lib, slug) if n is not None), default=0) + 1


def link_study(lib: Library, key: str, slug: str, kind: str, number: int | None = None,
               entries: Encyclopedia | None = None) -> EntryLink:
    """Link the record ``key`` to the entry ``slug`` and ``update`` it in ``lib`` (not saved).

    A citation without a number gets the next free one. A number held by another study of the same entry is
    refused: the entry's text has one source per superscript.
    """
    slug = entries.resolve(slug).slug if entries is not None else slug.strip()  # as the entries file reads it
    record = lib.get(key)  # UnknownKeyError for unknown keys
    if kind == "cited":
        taken = {n: r.key for n, r in _citations(lib, slug) if n is not None and r.key != key}
        current = next((lk.number for lk in record.cited_in() if lk.slug == slug), None)
        if number is None:
            number = current or next_number(lib, slug)
        if number in taken:
            raise LinkError(f"citation #{number} of {slug!r} is already {taken[number]!r}; unlink it first or "
                            f"choose another number (next free: {max(taken) + 1})")
    updated = add_link(record, slug, kind, number)
    lib.update(updated)
    mine = [lk for lk in updated.links if lk.slug == slug and lk.kind == kind]
    return next((lk for lk in mine if lk.number == number), mine[0])


def unlink_study(lib: Library, key: str, slug: str, kind: str | None = None) -> list[EntryLink]:
    """Remove the record's links to ``slug`` (of ``kind`` when given) and ``update`` it; returns what went."""
    if kind is not None and kind not in KINDS:
        raise LinkError(f"link kind must be one of {', '.join(KINDS)}, not {kind!r}")
    slug = slug.strip()
    updated, removed = remove_links(lib.get(key), slug, kind)
    if not removed:
        what = f"{kind} in" if kind else "linked to"
        raise LinkError(f"{key!r} is not {what} {slug!r}")
    lib.update(updated)
    return removed


def _strength(record: Record) -> tuple[int, int]:
    """Sort key of discussed studies: strongest evidence level first, then newest."""
    level = record.effective_level.strip()
    number = int(level[-1]) if level[-1:].isdecimal() else 9  # isdigit takes "²", int() does not
    return number, -(record.year or 0)


def entry_references(lib: Library, slug: str, entries: Encyclopedia | None = None) -> EntryReferences:
    """The studies an entry cites (by number; unnumbered last) and discusses (strongest evidence first), and the
    titles of its ``pending`` list no study of the library has (as the published entry block leaves them out)."""
    entry = entries.resolve(slug) if entries is not None else None
    slug = slug.strip()  # as the entries file resolves it
    cited = sorted(_citations(lib, slug), key=lambda item: (item[0] is None, item[0] or 0, item[1].key))
    discussed = [lib.get(k) for k in linked_keys(lib, slug, "discussed")]
    discussed.sort(key=_strength)
    pending: list[str] = []
    if entry is not None and entry.pending:
        titles = {str(title).casefold() for title in lib.frame()["title"]}
        pending = [title for title in entry.pending if title.casefold() not in titles]
    return EntryReferences(slug, entry, cited, discussed, pending)
