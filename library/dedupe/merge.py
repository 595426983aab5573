"""Merging a duplicate cluster into one record without losing anything, and undoing it before a save.

**Keeper rule** (which copy survives, with its key): the first of the cluster by

1. linked to an encyclopedia entry (cited or discussed) — entries and LaTeX documents already use that key;
2. richest — most non-empty stored fields, identifiers (DOI, PMID, PMCID) and the abstract counting double;
3. oldest — earliest ``added`` date (a record without one predates dating, so it counts as oldest);
4. first in the given order (:func:`~library.dedupe.find.find_duplicates` lists keys in library order).

**Fields**: the one merge rule of :func:`library.dedupe.combine.merge_records` (same-value rule, fill empty,
protected fields, one provenance note format), with the copies *absorbed*: every value of a removed copy is kept
(differing ones in ``provenance``), lists, encyclopedia links and related-record links (``relations``) are
unioned; links of *other* records of the library that named a removed copy are re-pointed to the keeper too
(:func:`merge_cluster`; :func:`undo_merge` restores them). The removed keys are listed in the keeper's ``ids``
field (BibLaTeX's key aliases), so ``\\cite{removedkey}`` still resolves with biber.
The key of the keeper never changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..bibfile import render_entry
from ..errors import LibraryError
from ..fields import record_to_fields
from ..frame import list_mask
from ..model import Record, Relation
from ..store import Library
from .combine import merge_records, repoint

__all__ = ["MergeError", "MergeResult", "absorb", "as_bibtex", "choose_keeper", "merge_cluster", "merge_records",
           "relation_referrers", "store_relations", "undo_merge"]


class MergeError(LibraryError):
    """A merge or undo that cannot be done as asked (unknown key, one-record cluster, state changed)."""


_DOUBLE = frozenset({"doi", "pmid", "pmcid", "abstract"})


def _richness(record: Record) -> int:
    stored = record_to_fields(record)
    return len(stored) + sum(1 for name in _DOUBLE if name in stored)


def choose_keeper(records: Sequence[Record]) -> Record:
    """The copy that survives a merge (see the module docstring for the rule)."""
    if not records:
        raise MergeError("no records to choose a keeper from")

    def rank(item: tuple[int, Record]) -> tuple[int, int, str, int]:
        position, record = item
        return (0 if record.links else 1, -_richness(record), record.added or "0000", position)

    return min(enumerate(records), key=rank)[1]


@dataclass(frozen=True)
class MergeResult:
    """What a merge did, enough to show it in a report and to undo it before the next save."""

    keeper: str
    removed: tuple[str, ...]
    before: tuple[Record, ...]  # every copy as it was, the keeper first
    merged: Record
    conflicts: tuple[str, ...]
    filled: tuple[str, ...]
    file_state: tuple[int, int] | None  # (size, mtime) of the library file at merge time
    absorbed: tuple[Record, ...] = ()  # incoming records merged in that were never in the library
    repointed: tuple[Record, ...] = ()  # other records whose relations named a removed copy, as they were
    after: tuple[tuple[str, str], ...] = ()  # (removed copy, the entry before it in the file) to put it back there

    def to_json(self) -> dict[str, object]:
        """The report; ``before`` holds every copy as a BibTeX entry, so a removed copy stays recoverable."""
        return {"keeper": self.keeper, "removed": list(self.removed), "conflicts": list(self.conflicts),
                "filled": list(self.filled), "absorbed": [r.key for r in self.absorbed],
                "before": {r.key: as_bibtex(r) for r in self.before}}


def as_bibtex(record: Record) -> str:
    """One record as a BibTeX entry in the store's layout (what the file held before the merge)."""
    fields = [(name, "{" + value + "}") for name, value in record_to_fields(record).items()]
    return render_entry(record.entry_type or "misc", record.key, fields)


def _file_state(lib: Library) -> tuple[int, int] | None:
    try:
        stat = os.stat(lib.path)
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


def relation_referrers(lib: Library) -> dict[str, set[str]]:
    """Target key -> keys of the records whose ``relations`` name it (from the frame: no record is parsed)."""
    frame = lib.frame()
    referrers: dict[str, set[str]] = {}
    if "relations" not in frame.columns:
        return referrers
    keys, relations = frame["key"], frame["relations"]
    for row in np.flatnonzero(list_mask(frame, "relations", bool)):  # only the rows that have relations
        for item in relations.iloc[row]:
            target = Relation.parse(str(item)).key
            if target:
                referrers.setdefault(target, set()).add(str(keys.iloc[row]))
    return referrers


def merge_cluster(lib: Library, keys: Sequence[str], referrers: dict[str, set[str]] | None = None) -> MergeResult:
    """Merge the records ``keys`` of ``lib`` into the keeper (not saved: call ``lib.save()``).

    ``referrers`` (from :func:`relation_referrers`) saves a scan of the library when merging many clusters;
    it is updated in place so that it stays right for the next merge.
    """
    unique = list(dict.fromkeys(keys))
    if len(unique) < 2:
        raise MergeError(f"a merge needs at least two different keys, got {list(keys)!r}")
    records = [lib.get(key) for key in unique]  # UnknownKeyError names a missing key
    keeper = choose_keeper(records)
    others = [r for r in records if r.key != keeper.key]
    outcome = merge_records(keeper, others)
    merged, conflicts, filled = outcome.record, outcome.conflicts, outcome.filled_from
    state = _file_state(lib)
    referrers = relation_referrers(lib) if referrers is None else referrers
    members = {r.key for r in records}
    moved = {o.key: keeper.key for o in others}
    pointing_keys = {k for o in others for k in referrers.get(o.key, ())} - members
    pointing = [lib.get(key) for key in sorted(pointing_keys) if key in lib]
    lib.update(merged)
    for other in others:
        lib.remove(other.key)
    after = tuple((o.key, anchor) for o in others if (anchor := lib.preceding(o.key)) is not None)
    _follow(referrers, moved, merged)
    for record in pointing:
        updated = record.copy()
        updated.relations = repoint(record.relations, moved, record.key)
        lib.update(updated)
    return MergeResult(keeper.key, tuple(o.key for o in others), (keeper, *others), lib.get(keeper.key),
                       tuple(conflicts), tuple(filled), state, repointed=tuple(pointing), after=after)


def _follow(referrers: dict[str, set[str]], moved: dict[str, str], merged: Record) -> None:
    """Keep ``referrers`` right after a merge: removed keys are the keeper, as targets and as referrers."""
    keeper = merged.key
    for removed in moved:
        referrers.setdefault(keeper, set()).update(referrers.pop(removed, set()))
    for keys in referrers.values():
        if keys & moved.keys():
            keys.difference_update(moved)
            keys.add(keeper)
    for rel in merged.relations:
        if rel.key:
            referrers.setdefault(rel.key, set()).add(keeper)
    referrers.get(keeper, set()).discard(keeper)


def store_relations(lib: Library, links: Iterable[tuple[str, str, str]], write: bool = True) -> list[str]:
    """Store each found link ``(source, kind, target)`` as ``kind target`` in the source's ``relations``.

    An item already there is not repeated, a link whose ends are not both in ``lib`` is skipped, nothing else of
    the record changes. Returns the stored items as ``"source kind target"``; ``write=False`` only counts them.
    """
    stored: list[str] = []
    pending: dict[str, Record] = {}
    for source, kind, target in links:
        if source == target or source not in lib or target not in lib:
            continue
        record = pending.get(source) or lib.get(source)
        relation = Relation(kind, target)
        if relation in record.relations:
            continue
        record.relations.append(relation)
        pending[source] = record
        stored.append(f"{source} {kind} {target}")
    if write:
        for record in pending.values():
            lib.update(record)
    return stored


def absorb(lib: Library, key: str, incoming: Record) -> MergeResult:
    """Merge an incoming record (from an import, not in the library) into the existing record ``key``.

    The existing record is always the keeper here: its key is what the library and the encyclopedia use.
    Not saved; :func:`undo_merge` restores the existing record (the incoming one is in ``absorbed``).
    """
    existing = lib.get(key)
    outcome = merge_records(existing, [incoming], absorb=False)
    state = _file_state(lib)
    lib.update(outcome.record)
    return MergeResult(key, (), (existing,), lib.get(key), tuple(outcome.conflicts), tuple(outcome.filled_from),
                       state, (incoming,))


def undo_merge(lib: Library, result: MergeResult) -> None:
    """Restore the keeper and the removed copies exactly as they were before :func:`merge_cluster`.

    Only before the next save: after it, the removed copies are gone from the file (use version control).
    Refused when the library was saved since, or when the merged record or a removed key changed since.
    """
    if _file_state(lib) != result.file_state or not lib.dirty:
        raise MergeError(f"cannot undo the merge into {result.keeper!r}: the library was saved since "
                         "(the removed copies are in the file's history)")
    current = lib.get(result.keeper)
    current.modified = result.merged.modified
    if current != result.merged:
        raise MergeError(f"cannot undo the merge into {result.keeper!r}: it was edited after the merge")
    back = [key for key in result.removed if key in lib]
    if back:
        raise MergeError(f"cannot undo the merge into {result.keeper!r}: {', '.join(back)} exist(s) again")
    for record in (*result.before, *result.repointed):
        lib.revert(record.key)  # drop its unsaved changes: an edit, a removal, or the key when added unsaved
        if record.key not in lib:
            lib.add(record)
        elif lib.get(record.key) != record:
            lib.update(record)  # it had unsaved edits before the merge
