"""Saved merges, kept beside the library so that a merge can still be undone after it was saved.

:func:`~library.dedupe.merge.undo_merge` works until the next save. ``reflib dedupe --apply`` and the
dashboard save right after merging, so every saved merge is also written to ``<library>.merges.json``
(``references.bib`` -> ``references.merges.json``): every copy as it was, the merged record as saved, the
records whose related-record links were re-pointed, and the entry each copy followed in the file.
:func:`undo_saved_merge` puts the copies back - after that entry when it is still there, else at the end of the
file - refused, with the reason, when the merged record was edited since, a removed key exists again, or a
re-pointed record changed since. Only the newest :data:`KEEP` merges are kept; older ones are in the file's
version history.

Records are stored as their BibTeX fields (what the store writes), so a restored copy is the record that was
merged, field for field::

    {"format": "reflib-merge-journal", "version": 1,
     "merges": [{"date": "2026-12-04", "keeper": "dreyer2017oil", "removed": ["dreyer2017crossref"],
                 "before": [{"key": ..., "type": "article", "fields": {...}}, ...],
                 "merged": {...}, "repointed": [{"before": {...}, "after": {...}}],
                 "after": {"dreyer2017crossref": "dong2016oil"}}]}
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..atomic import atomic_write
from ..errors import LibraryError
from ..fields import record_from_fields, record_to_fields
from ..model import Record
from ..store import Library
from .merge import MergeError, MergeResult
from .sidecar import read_sidecar

__all__ = ["KEEP", "JournalError", "SavedMerge", "journal_path", "load_journal", "record_merges", "save_journal",
           "undo_saved_merge"]

FORMAT = "reflib-merge-journal"
VERSION = 1
KEEP = 200


class JournalError(LibraryError):
    """The merge journal exists but cannot be read; the message names the file."""


@dataclass(frozen=True)
class SavedMerge:
    """One saved merge: enough to put the removed copies back."""

    date: str
    keeper: str
    removed: tuple[str, ...]
    before: tuple[Record, ...]  # every copy as it was, the keeper first
    merged: Record  # the keeper as it was saved
    repointed: tuple[tuple[Record, Record], ...] = ()  # (before, after) of records whose links were re-pointed
    after: tuple[tuple[str, str], ...] = ()  # (removed copy, the key of the entry it followed in the file)
    # '' once the library holds the merge; "pending": written before the library is saved, "undoing": an undo is
    # being saved (library.dedupe.commit settles both on the next start)
    state: str = ""

    def describe(self) -> str:
        return f"{self.date}: {', '.join(self.removed)} merged into {self.keeper}"


def journal_path(bib: str | Path) -> Path:
    """Where the merges of a library file are kept: beside it, ``<stem>.merges.json``."""
    bib = Path(bib)
    return bib.with_name(bib.stem + ".merges.json")


def _encode(record: Record) -> dict[str, object]:
    return {"key": record.key, "type": record.entry_type, "fields": record_to_fields(record)}


def _decode(item: object, path: Path) -> Record:
    if not (isinstance(item, dict) and isinstance(item.get("key"), str) and isinstance(item.get("fields"), dict)):
        raise JournalError(f"{path}: a record needs \"key\" and \"fields\", got {str(item)[:80]!r}")
    fields = {str(k): str(v) for k, v in item["fields"].items()}
    return record_from_fields(item["key"], str(item.get("type") or "misc"), fields)


def _entry_json(entry: SavedMerge) -> dict[str, object]:
    data: dict[str, object] = {
        "date": entry.date, "keeper": entry.keeper, "removed": list(entry.removed),
        "before": [_encode(r) for r in entry.before], "merged": _encode(entry.merged),
        "repointed": [{"before": _encode(b), "after": _encode(a)} for b, a in entry.repointed],
        "after": dict(entry.after)}
    if entry.state:
        data["state"] = entry.state
    return data


def _entry(item: object, path: Path) -> SavedMerge:
    if not isinstance(item, dict) or not isinstance(item.get("keeper"), str) or not isinstance(item.get("before"),
                                                                                                 list):
        raise JournalError(f"{path}: each merge needs \"keeper\" and \"before\", got {str(item)[:80]!r}")
    repointed = item.get("repointed") or []
    if not isinstance(repointed, list):
        raise JournalError(f"{path}: \"repointed\" must be a list")
    after = item.get("after") or {}  # absent in journals written before positions were kept: copies go at the end
    if not isinstance(after, dict):
        raise JournalError(f"{path}: \"after\" must map a removed key to the key it followed")
    return SavedMerge(
        date=str(item.get("date", "")), keeper=item["keeper"],
        removed=tuple(str(k) for k in item.get("removed") or ()),
        before=tuple(_decode(r, path) for r in item["before"]), merged=_decode(item.get("merged"), path),
        repointed=tuple((_decode(p.get("before"), path), _decode(p.get("after"), path))
                        for p in repointed if isinstance(p, dict)),
        after=tuple((str(k), str(v)) for k, v in after.items()),
        state=str(item.get("state") or "") if item.get("state") in ("pending", "undoing") else "")


def load_journal(path: str | Path) -> list[SavedMerge]:
    """The saved merges in ``path``, oldest first; an absent file means none."""
    path = Path(path)
    data = read_sidecar(path, FORMAT, VERSION, "merge journal", JournalError)
    if data is None:
        return []
    merges = data.get("merges", [])
    if not isinstance(merges, list):
        raise JournalError(f"{path}: \"merges\" must be a list")
    return [_entry(item, path) for item in merges]


def save_journal(entries: Sequence[SavedMerge], path: str | Path) -> None:
    """Write the newest :data:`KEEP` entries atomically (the library file is never touched here)."""
    data = {"format": FORMAT, "version": VERSION, "merges": [_entry_json(e) for e in list(entries)[-KEEP:]]}
    atomic_write(Path(path), [(json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")])


def record_merges(lib: Library, results: Sequence[MergeResult], path: str | Path | None = None) -> list[SavedMerge]:
    """Append the merges just saved in ``lib`` to its journal; returns the new entries.

    Call after ``lib.save()``: the merged records and re-pointed links are read back from the library as saved.
    """
    path = journal_path(lib.path) if path is None else Path(path)
    today = dt.date.today().isoformat()
    added = [SavedMerge(today, r.keeper, r.removed, r.before, lib.get(r.keeper),
                        tuple((old, lib.get(old.key)) for old in r.repointed if old.key in lib), r.after)
             for r in results if r.removed]
    if added:
        save_journal([*load_journal(path), *added], path)
    return added


def _same(a: Record, b: Record) -> bool:
    return a.key == b.key and a.entry_type == b.entry_type and record_to_fields(a) == record_to_fields(b)


def undo_saved_merge(lib: Library, entry: SavedMerge) -> None:
    """Put the copies of a saved merge back in ``lib`` (not saved: call ``lib.save()``).

    Refused (:class:`MergeError`, with the reason) when the merged record is gone or was edited since, when a
    removed key exists again, or when a re-pointed record changed since; nothing is changed then.
    """
    if entry.keeper not in lib:
        raise MergeError(f"cannot undo the merge into {entry.keeper!r}: it is no longer in the library")
    if not _same(lib.get(entry.keeper), entry.merged):
        raise MergeError(f"cannot undo the merge into {entry.keeper!r}: it was edited after the merge "
                         f"(the copies are in {journal_path(lib.path).name}; restore them by hand)")
    back = [key for key in entry.removed if key in lib]
    if back:
        raise MergeError(f"cannot undo the merge into {entry.keeper!r}: {', '.join(back)} exist(s) again")
    changed = [after.key for _, after in entry.repointed if after.key in lib and not _same(lib.get(after.key), after)]
    if changed:
        raise MergeError(f"cannot undo the merge into {entry.keeper!r}: {', '.join(changed)} changed since "
                         "(its related-record links were re-pointed by the merge)")
    keeper, *copies = entry.before
    lib.update(keeper)
    places = dict(entry.after)
    for copy in copies:
        lib.add(copy, stamp=False, after=places.get(copy.key))
    for before, after in entry.repointed:
        if after.key in lib:
            lib.update(before)
