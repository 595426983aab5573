"""Records on their way into the inbox, and included records on their way into the library.

Duplicate detection uses the one same-publication decision of :mod:`library.dedupe` (``match_batch``: the rules
of :func:`library.dedupe.same_publication`), against the library, against every inbox record whatever its state
(so an excluded record is never offered again, by this search or another) and within the batch. Sure duplicates
are not added (counted for PRISMA); possible duplicates are added with a note naming the record they may be.

Two intakes at once (two ``import --screen``, a ``watch run`` beside an import): each checks the inbox as it was
when it began, then, holding the inbox's write lock, checks the records added since (by the other one) and adds
its own in the same transaction; the other waits for the lock and then sees them. The long check runs without the
lock, so editors deciding meanwhile do not wait behind it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from library.atomic import atomic_write
from library.dedupe.batch import match_batch
from library.errors import LibraryError
from library.model import Record, RecordList
from library.normalize import normalize_record
from library.screen.inbox import DEFAULT_REASONS, Inbox, inbox_path
from library.store import Library

from .base import findable
from .importer import import_records

__all__ = ["IntakeReport", "ScreeningConfig", "include_into_library", "load_config", "open_inbox", "save_config",
           "screen_records", "settle_includes"]


# tests only: called between the duplicate check (of the inbox as it was) and the locked re-check and insert, to
# make two processes meet there
_before_insert: Callable[[], object] | None = None


def open_inbox(bib: Path) -> Inbox:
    """The inbox beside the library ``bib`` (created on first use)."""
    return Inbox.open(inbox_path(bib))


@dataclass(slots=True)
class IntakeReport:
    source: str
    found: int = 0
    added: list[int] = field(default_factory=list)  # inbox ids
    in_library: list[tuple[str, str]] = field(default_factory=list)  # (title, library key)
    in_inbox: list[tuple[str, str]] = field(default_factory=list)  # (title, inbox record / state)
    possible: list[tuple[int, str, str]] = field(default_factory=list)  # (inbox id, other, reasons)
    skipped: int = 0
    would_add: int | None = None  # a dry run: how many would have been added (nothing was)

    def summary(self) -> str:
        added = (f"{self.would_add} would be added to the screening inbox (dry run: nothing added)"
                 if self.would_add is not None else f"{len(self.added)} added to the screening inbox")
        lines = [f"{self.source}: {self.found} record(s): {added}, "
                 f"{len(self.in_library)} already in the library, {len(self.in_inbox)} already in the inbox"
                 + (f", {self.skipped} without title or identifier skipped" if self.skipped else "")]
        lines += [f"  possible duplicate: inbox #{i} may be {other} ({why})" for i, other, why in self.possible]
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {"source": self.source, "found": self.found, "added": self.added,
                "in_library": [{"title": t, "key": k} for t, k in self.in_library],
                "in_inbox": [{"title": t, "inbox": k} for t, k in self.in_inbox],
                "possible_duplicates": [{"inbox": i, "other": o, "reasons": r} for i, o, r in self.possible],
                "skipped": self.skipped, **({"would_add": self.would_add} if self.would_add is not None else {})}


def screen_records(lib: Library, inbox: Inbox, records: Sequence[Record], *, source: str, query: str = "",
                   topics: Sequence[str] = (), entry: str | None = None, link_kind: str | None = None,
                   reviewers: int, dry_run: bool = False) -> IntakeReport:
    """``records`` into the inbox after the duplicate checks, each needing ``reviewers`` decisions (the inbox's
    configured number, :func:`load_config`: no default, so that no caller can forget it)."""
    report = IntakeReport(source, found=len(records))
    # held packed (a million records in a few hundred MB); a packed list gives a new Record on every access,
    # so it is normalized in place, a caller's list of Records not
    usable = RecordList()
    packed = isinstance(records, RecordList)
    for record in records:
        record = normalize_record(record, in_place=packed)
        if findable(record):
            usable.append(record)
    report.skipped = len(records) - len(usable)
    drop: set[int] = set()
    notes: dict[int, list[tuple[str, str]]] = {}  # position -> (which record it may be, why)
    frame = lib.frame() if len(lib) else None
    for link in match_batch(usable, frame if frame is not None else []):
        if isinstance(link.other, int):
            if link.decision == "auto" and link.other not in drop:
                drop.add(link.index)
                report.in_inbox.append((usable[link.index].title, f"same as record {link.other + 1} of this batch"))
            elif link.decision == "review":  # named by its title: "record 2 of this batch" means nothing later
                other = " ".join(usable[link.other].title.split())
                other = f"{other[:70]}..." if len(other) > 70 else other
                notes.setdefault(link.index, []).append(
                    (f"another record of the same import, {other!r}", "; ".join(link.evidence.reasons)))
            continue
        if link.decision == "auto" and link.index not in drop:
            drop.add(link.index)
            report.in_library.append((usable[link.index].title, link.other))
        elif link.decision == "review":
            notes.setdefault(link.index, []).append((str(link.other), "; ".join(link.evidence.reasons)))
    seen = inbox.last_id()  # the check below covers the records up to it
    if any(n not in drop for n in range(len(usable))):
        stored = inbox.stored_records(upto=seen)
        if stored:
            _check_inbox(usable, stored, inbox.record_states() if len(stored) < 50_000 else {}, drop, notes, report)
    if dry_run:
        report.would_add = len(usable) - len(drop)
        return report
    if _before_insert is not None:
        _before_insert()
    with inbox.transaction():  # the write lock, held from the re-check to the insert
        newer = inbox.stored_records(after=seen) if len(drop) < len(usable) else RecordList()
        if newer:  # added by another intake since the check above
            _check_inbox(usable, newer, inbox.record_states(after=seen), drop, notes, report)
        keep = [n for n in range(len(usable)) if n not in drop]
        report.added = inbox.add(usable.subset(keep), source=source, query=query, topics=topics, entry=entry,
                                 link_kind=link_kind,
                                 notes=["; ".join(f"may be {who}: {why}" for who, why in notes.get(n, []))
                                        for n in keep],
                                 found=len(records), in_library=len(report.in_library),
                                 in_inbox=len(report.in_inbox), reviewers=reviewers)
    for inbox_id, n in zip(report.added, keep, strict=True):
        for who, why in notes.get(n, []):
            report.possible.append((inbox_id, who, why))
    return report


def _check_inbox(usable: RecordList, stored: RecordList, states: dict[str, str], drop: set[int],
                 notes: dict[int, list[tuple[str, str]]], report: IntakeReport) -> None:
    """The records of ``usable`` not dropped yet, against ``stored`` inbox records: a sure duplicate is dropped
    (counted as in the inbox), a possible one noted."""
    rest = [n for n in range(len(usable)) if n not in drop]
    for link in match_batch(usable.subset(rest), stored):
        if isinstance(link.other, int):
            continue
        n = rest[link.index]
        label = f"#{link.other.removeprefix('inbox')}" + (f" ({states[link.other]})" if link.other in states else "")
        if link.decision == "auto" and n not in drop:
            drop.add(n)
            report.in_inbox.append((usable[n].title, label))
        elif link.decision == "review":
            notes.setdefault(n, []).append((f"inbox {label}", "; ".join(link.evidence.reasons)))


def include_into_library(lib: Library, inbox: Inbox, record_ids: Sequence[int]) -> dict[int, str]:
    """Move included inbox records into ``lib`` (in memory; the caller saves, then calls ``mark``): with the
    topics / entry link of the search that found them, through the importer (so a record that reached the
    library meanwhile is merged, not duplicated). Returns inbox id -> library key."""
    keys: dict[int, str] = {}
    for record_id in record_ids:
        item = inbox.get(record_id)
        record = inbox.record(record_id)
        # the source's own citation key (a .bib file's Dreyer2017), as a direct import gets it: the importer keeps it
        # as an alias (ids) beside reflib's key; never the inbox name (inbox12), which is no citation key
        record.key = item.source_key
        report = import_records(lib, [record], source=f"screening inbox ({item.source})", topics=item.topics,
                                entry=item.entry, link_kind=item.link_kind)
        done = report.added[0].key if report.added else report.merged[0].key if report.merged else ""
        if done:
            keys[record_id] = done
    return keys


def settle_includes(lib: Library, inbox: Inbox) -> dict[int, str]:
    """Bring every included record that is not in the library yet into it and save (an interrupted include
    finishes here); returns inbox id -> library key."""
    pending = inbox.pending_includes()
    if not pending:
        return {}
    keys = include_into_library(lib, inbox, pending)
    if lib.dirty:
        lib.save()
    for record_id, key in keys.items():
        inbox.set_library_key(record_id, key)
    return keys


# --- settings ---------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class ScreeningConfig:
    """``<library stem>.screening.json`` beside the library (optional): exclusion reasons and reviewers needed."""

    reasons: list[str]
    reviewers: int = 1


def config_path(bib: Path) -> Path:
    return bib.with_name(f"{bib.stem}.screening.json")


def load_config(bib: Path) -> ScreeningConfig:
    path = config_path(bib)
    if not path.exists():
        return ScreeningConfig(list(DEFAULT_REASONS))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        reasons = [str(r).strip() for r in data.get("reasons", DEFAULT_REASONS) if str(r).strip()]
        reviewers = int(data.get("reviewers", 1))
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise LibraryError(f"{path}: not a readable screening settings file ({exc}); expected "
                           '{"reasons": [...], "reviewers": 1 or 2}') from exc
    if reviewers not in (1, 2):
        raise LibraryError(f"{path}: reviewers must be 1 or 2, not {reviewers}")
    return ScreeningConfig(reasons or list(DEFAULT_REASONS), reviewers)


def save_config(bib: Path, config: ScreeningConfig) -> None:
    text = json.dumps({"reasons": config.reasons, "reviewers": config.reviewers}, indent=2, ensure_ascii=False)
    atomic_write(config_path(bib), [(text + "\n").encode("utf-8")])
