"""What a user does to the library's duplicates, in one place for the CLI and the dashboard.

``reflib dedupe`` and the Duplicates page are shells over these functions: they choose what to do and show the
outcome; the order of the writes (undo log first, then the library, then the log again; decisions after a saved
merge) lives here, once. Reading files into records and importing them is the sources' side
(:mod:`ingest.services`); this module imports neither ``ingest`` nor ``streamlit``.

``save`` arguments replace ``lib.save`` (the dashboard's saver reports its own errors and returns False).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from .dedupe import (
    Decisions,
    DedupeResult,
    MergeError,
    MergeResult,
    decisions_path,
    find_duplicates,
    load_decisions,
    merge_cluster,
    relation_referrers,
    save_decisions,
)
from .dedupe.commit import recover, save_merges, save_undo
from .dedupe.undo_log import SavedMerge, journal_path, load_journal
from .store import Library

__all__ = ["apply_merges", "decisions_of", "find_saved_merge", "merge_clusters", "recent_merges", "record_decision",
           "save_merged", "scan_duplicates", "settle_undo_log", "undo_merge"]

Save = Callable[[], bool]


def decisions_of(lib: Library) -> Decisions:
    """The editors' accept/reject decisions kept beside the library (empty when there are none yet)."""
    return load_decisions(decisions_path(lib.path))


def record_decision(lib: Library, decisions: Decisions, a: str, b: str, same: bool) -> None:
    """Record and save one editor's answer about a pair: the same study (merged by the next apply) or not."""
    (decisions.accept if same else decisions.reject)(a, b)
    save_decisions(decisions, decisions_path(lib.path))


def scan_duplicates(lib: Library, decisions: Decisions | None = None) -> DedupeResult:
    """Clusters to merge, pairs to review and related records, from the library's cached frame."""
    return find_duplicates(lib.frame(), decisions if decisions is not None else decisions_of(lib))


def settle_undo_log(lib: Library) -> list[str]:
    """Settle what an interrupted merge or undo left in the undo log (run before anything else); what was done."""
    return recover(lib)


def merge_clusters(lib: Library, clusters: Iterable[Sequence[str]]) -> list[MergeResult]:
    """Merge each group of keys into its keeper, in memory (nothing saved: see :func:`save_merged`)."""
    referrers = relation_referrers(lib)
    return [merge_cluster(lib, keys, referrers) for keys in clusters]


def save_merged(lib: Library, merges: Sequence[MergeResult], save: Save | None = None) -> list[SavedMerge]:
    """Save ``lib`` holding ``merges`` (and any other unsaved change), the undo log first: crash-consistent."""
    return save_merges(lib, merges, save=save)


def apply_merges(lib: Library, clusters: Iterable[Sequence[str]],
                 save: Callable[[list[MergeResult]], bool] | None = None,
                 decisions: Decisions | None = None) -> list[MergeResult]:
    """Merge and save; with ``decisions``, each merged pair is then recorded as accepted (an editor's choice).

    ``save`` gets the merges (to say what it saves) and replaces ``lib.save``.
    Returns the merges, or [] when the library was not saved (the undo log then holds none of them). A merge that
    cannot be made raises :class:`~library.dedupe.MergeError` before anything is written; an error while saving
    is another :class:`~library.errors.LibraryError` or an OSError.
    """
    merges = merge_clusters(lib, clusters)
    if not save_merged(lib, merges, (lambda: save(merges)) if save else None) and any(m.removed for m in merges):
        return []
    if decisions is not None:
        for merge in merges:
            for removed in merge.removed:
                decisions.accept(merge.keeper, removed)
        save_decisions(decisions, decisions_path(lib.path))
    return merges


def recent_merges(lib: Library) -> list[SavedMerge]:
    """The saved merges that can be undone, oldest first."""
    return load_journal(journal_path(lib.path))


def find_saved_merge(lib: Library, key: str) -> SavedMerge | None:
    """The newest saved merge into or of ``key``."""
    found = [e for e in recent_merges(lib) if key == e.keeper or key in e.removed]
    return found[-1] if found else None


def undo_merge(lib: Library, merge: SavedMerge | str, save: Save | None = None) -> tuple[SavedMerge, bool]:
    """Put back the copies of a saved merge (or of the newest one into or of a key) and save, crash-consistently.

    Returns the merge and whether the library was saved. Raises :class:`~library.dedupe.MergeError` (nothing
    changed) when there is no such merge or the merged record was edited since.
    """
    entry = find_saved_merge(lib, merge) if isinstance(merge, str) else merge
    if entry is None:
        raise MergeError(f"no saved merge into or of {merge!r} in {journal_path(lib.path)}")
    saved = save_undo(lib, entry, save=save)
    path = decisions_path(lib.path)
    if saved and path.exists():  # an editor's "same study" undone: the pair is for review again, not merged again
        decisions = load_decisions(path)
        withdrawn = [decisions.withdraw_accept(entry.keeper, removed) for removed in entry.removed]  # every pair
        if any(withdrawn):
            save_decisions(decisions, path)
    return entry, saved
