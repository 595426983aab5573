"""Saving merges and their undo journal so that a crash at any instant leaves both files consistent.

A merge writes two files: the library and ``<library>.merges.json`` (:mod:`library.dedupe.undo_log`). Each write
is atomic, but a kill between the two used to leave merges that ``--undo`` did not know. The order now:

1. the journal, with the new merges marked ``"pending"`` (what undo needs is on disk before anything changes);
2. the library (atomic: the old bytes or the new bytes);
3. the journal again, the marks removed.

A crash before 2 leaves pending entries whose removed copies are still in the library; a crash after 2 leaves
pending entries whose copies are gone. :func:`recover` (run by ``reflib dedupe`` and the Duplicates page before
anything else) settles each: a pending merge whose removed keys are all gone from the library happened (kept, the
mark removed); otherwise it did not (dropped). An undo works the same way round: the entry is marked
``"undoing"`` first, the library saved, then the entry removed; :func:`recover` removes an undoing entry whose
copies are back in the library and clears the mark otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from ..store import Library
from .merge import MergeResult
from .undo_log import SavedMerge, journal_path, load_journal, save_journal, undo_saved_merge

__all__ = ["recover", "save_merges", "save_undo"]

Save = Callable[[], bool]


def _happened(lib: Library, entry: SavedMerge) -> bool:
    """The library holds the merge: none of the removed copies is in it."""
    return bool(entry.removed) and not any(key in lib for key in entry.removed)


def recover(lib: Library, path: str | Path | None = None) -> list[str]:
    """Settle the entries a killed save left marked (see the module docstring); returns what was done, in words.

    The journal is rewritten only when something was marked. ``lib`` must be loaded from disk (no unsaved edits).
    """
    path = journal_path(lib.path) if path is None else Path(path)
    entries = load_journal(path)
    if not any(e.state for e in entries):
        return []
    kept: list[SavedMerge] = []
    done: list[str] = []
    for entry in entries:
        if entry.state == "pending":
            if _happened(lib, entry):
                kept.append(replace(entry, state=""))
                done.append(f"kept for undo: {entry.describe()} (saved before an interruption)")
            else:
                done.append(f"dropped: {entry.describe()} (interrupted before the library was saved)")
        elif entry.state == "undoing":
            if any(key in lib for key in entry.removed):
                done.append(f"undone: {entry.describe()} (saved before an interruption)")
            else:
                kept.append(replace(entry, state=""))
                done.append(f"still undoable: {entry.describe()} (the undo was interrupted before the save)")
        else:
            kept.append(entry)
    save_journal(kept, path)
    return done


def save_merges(lib: Library, results: Sequence[MergeResult], save: Save | None = None,
                path: str | Path | None = None) -> list[SavedMerge]:
    """Save ``lib`` (holding the merges ``results``, unsaved) and journal the merges, crash-consistently.

    ``save`` replaces ``lib.save`` (the dashboard's saver reports errors itself and returns False); when the
    library is not saved, the pending entries are taken out again. Returns the journal entries written.
    """
    path = journal_path(lib.path) if path is None else Path(path)
    today = dt.date.today().isoformat()
    added = [SavedMerge(today, r.keeper, r.removed, r.before, lib.get(r.keeper),
                        tuple((old, lib.get(old.key)) for old in r.repointed if old.key in lib), r.after,
                        state="pending") for r in results if r.removed]
    entries = load_journal(path)
    if added:
        save_journal([*entries, *added], path)
    try:
        saved = (save or lib.save)()
    except BaseException:
        if added:
            save_journal(entries, path)
        raise
    if not added:
        return []
    if not saved:
        save_journal(entries, path)
        return []
    done = [replace(entry, state="") for entry in added]
    save_journal([*entries, *done], path)
    return done


def save_undo(lib: Library, entry: SavedMerge, save: Save | None = None, path: str | Path | None = None) -> bool:
    """Put the copies of the saved merge ``entry`` back, save, and drop the entry, crash-consistently.

    Raises :class:`~library.dedupe.merge.MergeError` (nothing changed) when the undo is refused.
    """
    path = journal_path(lib.path) if path is None else Path(path)
    entries = load_journal(path)
    position = next((n for n, e in enumerate(entries) if e == entry), None)
    undo_saved_merge(lib, entry)
    marked = list(entries)
    if position is not None:
        marked[position] = replace(entry, state="undoing")
        save_journal(marked, path)
    try:
        saved = (save or lib.save)()
    except BaseException:
        if position is not None:
            save_journal(entries, path)
        raise
    if position is not None:
        save_journal(entries if not saved else [e for n, e in enumerate(entries) if n != position], path)
    return saved
