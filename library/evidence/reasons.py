"""The reasons behind automatic values, as stored in a record's ``reasons_auto`` and read back for display.

Each item is ``KIND TARGET: evidence`` with KIND one of ``topic`` (an automatic topic), ``suggested`` (a
suggestion), ``design``, ``level`` and ``species``; items are stored ``; ``-separated, so the evidence never holds
a semicolon (:func:`reason_item` replaces it). Topic paths may contain ``:``, so a topic item is read by matching
the record's own topic paths first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["KINDS", "Reasons", "parse_reasons", "reason_item"]

KINDS = ("species", "topic", "suggested", "design", "level")


def reason_item(kind: str, target: str, evidence: str) -> str:
    """One stored item; the evidence is flattened to one line without semicolons."""
    text = " ".join(evidence.replace(";", ",").split())
    return f"{kind} {target}: {text}"


@dataclass(slots=True)
class Reasons:
    """``reasons_auto`` read back: topic path -> evidence for topics and suggestions, and one text per value."""

    topics: dict[str, str] = field(default_factory=dict)
    suggested: dict[str, str] = field(default_factory=dict)
    design: str = ""
    level: str = ""
    species: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"topics": self.topics, "suggested": self.suggested, "design": self.design, "level": self.level,
                "species": self.species}


def _split_target(rest: str, known: Iterable[str]) -> tuple[str, str]:
    for path in sorted(known, key=len, reverse=True):
        if rest.startswith(path + ": "):
            return path, rest[len(path) + 2:]
    target, _, evidence = rest.partition(": ")
    return target, evidence


def parse_reasons(items: Iterable[str], topics: Iterable[str] = ()) -> Reasons:
    """Read stored items; ``topics`` (the record's automatic and suggested paths) resolve paths holding ':'."""
    known = list(topics)
    out = Reasons()
    for item in items:
        kind, _, rest = item.strip().partition(" ")
        if kind in ("topic", "suggested"):
            path, evidence = _split_target(rest, known)
            (out.topics if kind == "topic" else out.suggested)[path] = evidence
        elif kind in ("design", "level", "species"):
            target, _, evidence = rest.partition(": ")
            setattr(out, kind, f"{target}: {evidence}" if evidence else target)
    return out
