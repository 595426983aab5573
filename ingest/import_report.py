"""What an import did, record by record, with the reasons: for the CLI summary, ``--json`` and the dashboard.

Every merge names what it matched on and why (the decision's reasons); every uncertain pair is listed for review
with both keys and the reasons (the record was added: nothing uncertain is merged, nothing is dropped).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from library.json_out import JsonArray
from library.model import PackedRecord, Record, unpack_record

from .base import ReadProblem

__all__ = ["Added", "ImportReport", "Merged", "ReviewPair", "Skipped"]


@dataclass(slots=True)
class Added:
    key: str
    title: str
    source_key: str = ""
    packed: PackedRecord | None = field(default=None, repr=False, compare=False)  # see ``record``

    @property
    def record(self) -> Record | None:
        """The record as it will be stored (for previews); built anew on each access."""
        return unpack_record(self.packed) if self.packed is not None else None


@dataclass(slots=True)
class Merged:
    key: str  # the record it was merged into (in the library, or added earlier by this import)
    incoming: str  # the incoming record: its source key, or its title
    matched_on: str  # identical record | doi | pmid | pmcid | title+year+author | editor
    filled: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # differing values, as provenance notes
    tagged: bool = False  # topics or entry links were added
    noted: bool = False  # a conflicting value was newly written to provenance
    reasons: list[str] = field(default_factory=list)  # why the two are the same publication
    within_file: bool = False  # merged into a record this import added (a copy inside the imported file)

    @property
    def changed(self) -> bool:
        return bool(self.filled or self.tagged or self.noted)


@dataclass(slots=True)
class ReviewPair:
    """An added record that may be the same publication as ``other`` (a library record or another added one)."""

    key: str
    other: str
    reasons: list[str]
    score: float = 0.0
    incoming: int = -1  # the record's position in the imported file
    other_added: bool = False  # ``other`` was added by this import too
    other_incoming: int = -1  # then its position in the imported file


@dataclass(slots=True)
class Skipped:
    record: str
    reason: str


def _limited(lines: Iterable[str], limit: int) -> list[str]:
    """The first ``limit`` lines, and how many more there are (only those shown are formatted)."""
    shown: list[str] = []
    more = 0
    for line in lines:
        if len(shown) < limit:
            shown.append(line)
        else:
            more += 1
    return shown if not more else [*shown, f"  ... and {more} more"]


def _why(reasons: list[str], limit: int = 4) -> str:
    return "; ".join(reasons[:limit]) + ("; ..." if len(reasons) > limit else "")


@dataclass(slots=True)
class ImportReport:
    source: str = ""
    dry_run: bool = False
    added: list[Added] = field(default_factory=list)
    merged: list[Merged] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    review: list[ReviewPair] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    abbreviated: int = 0  # incoming articles whose journal abbreviation came from the NLM list

    @property
    def changed(self) -> bool:
        return bool(self.added) or any(m.changed for m in self.merged)

    @property
    def errors(self) -> list[ReadProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[ReadProblem]:
        return [p for p in self.problems if p.severity != "error"]

    def summary(self, limit: int = 50) -> str:
        """A readable report: counts first, then each added/merged/review/skipped record and each problem."""
        unchanged = sum(1 for m in self.merged if not m.changed)
        head = (f"{self.source or 'import'}: {len(self.added)} added, {len(self.merged)} merged "
                f"({unchanged} already present unchanged), {len(self.review)} to review, {len(self.skipped)} "
                f"skipped, {len(self.errors)} error(s), {len(self.warnings)} warning(s)")
        if self.dry_run:
            head += " - dry run, nothing written"
        lines = [head]
        if self.abbreviated:
            lines.append(f"  {self.abbreviated} journal abbreviation(s) filled from the NLM journal list "
                         "(reflib check lists journals it does not know)")
        lines += _limited((f"  + {a.key}" + (f" (was {a.source_key})" if a.source_key and a.source_key != a.key
                                              else "") + f": {a.title[:90]}" for a in self.added[:limit + 1]), limit)
        if len(self.added) > limit + 1:
            lines[-1] = f"  ... and {len(self.added) - limit} more"
        lines += _limited([f"  = {m.key} <- {m.incoming[:60]} (matched on {m.matched_on}"
                           + (f": {_why(m.reasons)}" if m.reasons else "") + ")"
                           + (f"; filled: {', '.join(m.filled)}" if m.filled else "")
                           + (f"; kept in provenance: {'; '.join(m.conflicts)}" if m.conflicts else "")
                           for m in self.merged if m.changed], limit)
        if self.review:
            lines.append(f"  ~ {len(self.review)} pair(s) may be the same publication; added, not merged: compare "
                         "them in the dashboard (Duplicates) or with `reflib dedupe --review`")
            lines += _limited([f"  ? {r.key} ~ {r.other}: {_why(r.reasons)}" for r in self.review], limit)
        lines += _limited([f"  - {s.record[:70]}: {s.reason}" for s in self.skipped], limit)
        lines += _limited([f"  ! {p}" for p in self.errors], limit)
        lines += _limited([f"  warning: {p}" for p in self.warnings], limit)
        return "\n".join(lines)

    def to_json(self, *, stream: bool = False) -> dict[str, Any]:
        """The report as JSON data; with ``stream``, its lists are :class:`~library.json_out.JsonArray` (each
        item made as it is written: for :func:`~library.json_out.write_json`, the same text as the lists)."""
        def items(made: Iterator[dict[str, Any]]) -> list[dict[str, Any]] | JsonArray:
            return JsonArray(made) if stream else list(made)

        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "counts": {"added": len(self.added), "merged": len(self.merged), "review": len(self.review),
                       "skipped": len(self.skipped), "errors": len(self.errors), "warnings": len(self.warnings)},
            "journal_abbreviations_filled": self.abbreviated,
            "added": items({"key": a.key, "source_key": a.source_key, "title": a.title} for a in self.added),
            "merged": items({"key": m.key, "incoming": m.incoming, "matched_on": m.matched_on, "reasons": m.reasons,
                             "within_file": m.within_file, "filled": m.filled, "conflicts": m.conflicts,
                             "changed": m.changed} for m in self.merged),
            "review": items({"key": r.key, "other": r.other, "other_added": r.other_added, "score": r.score,
                             "reasons": r.reasons} for r in self.review),
            "skipped": items({"record": s.record, "reason": s.reason} for s in self.skipped),
            "problems": items({"source": p.source, "line": p.line, "record": p.record, "message": p.message,
                               "severity": p.severity, "fatal": p.fatal} for p in self.problems),
        }
