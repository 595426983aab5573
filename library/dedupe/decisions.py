"""Editors' review decisions, kept beside the library so a rejected pair is never proposed again.

The file is ``<library>.dedupe.json`` (``references.bib`` -> ``references.dedupe.json``), small and sorted so
that it diffs well under version control::

    {
      "format": "reflib-dedupe-decisions",
      "version": 1,
      "accepted": [{"keys": ["dreyer2017oil", "dreyer2017oilb"], "date": "2025-05-01"}],
      "rejected": [{"keys": ["mol2009a", "mol2009b"], "date": "2025-05-01"}]
    }

``accepted`` pairs are merged like automatic ones (tier ``editor``); ``rejected`` pairs are treated as vetoed:
never proposed, never merged, and never joined through a third record. A pair is in at most one list; the
latest decision wins. Keys are unordered within a pair.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import atomic_write
from ..errors import LibraryError
from .sidecar import read_sidecar

__all__ = ["FORMAT", "Decisions", "DecisionsError", "decisions_path", "load_decisions", "save_decisions"]

FORMAT = "reflib-dedupe-decisions"
VERSION = 1


class DecisionsError(LibraryError):
    """The decisions file exists but cannot be used (not JSON, wrong format); the message names the file."""


def _pair(a: str, b: str) -> tuple[str, str]:
    if a == b:
        raise ValueError(f"a pair needs two different keys, got {a!r} twice")
    return (a, b) if a < b else (b, a)


@dataclass
class Decisions:
    """Accepted and rejected pairs, each mapped to the ISO date of the decision."""

    accepted: dict[tuple[str, str], str] = field(default_factory=dict)
    rejected: dict[tuple[str, str], str] = field(default_factory=dict)

    def accept(self, a: str, b: str, date: str = "") -> None:
        pair = _pair(a, b)
        self.rejected.pop(pair, None)
        self.accepted[pair] = date or dt.date.today().isoformat()

    def reject(self, a: str, b: str, date: str = "") -> None:
        pair = _pair(a, b)
        self.accepted.pop(pair, None)
        self.rejected[pair] = date or dt.date.today().isoformat()

    def withdraw_accept(self, a: str, b: str) -> bool:
        """Forget that the pair was accepted (its merge was undone: the pair is for review again); whether it was."""
        return self.accepted.pop(_pair(a, b), None) is not None

    def status(self, a: str, b: str) -> str:
        """'accepted', 'rejected' or '' for a pair nobody decided yet."""
        pair = _pair(a, b)
        if pair in self.accepted:
            return "accepted"
        return "rejected" if pair in self.rejected else ""

    def __len__(self) -> int:
        return len(self.accepted) + len(self.rejected)

    def to_json(self) -> dict[str, object]:
        def items(pairs: dict[tuple[str, str], str]) -> list[dict[str, object]]:
            return [{"keys": list(pair), "date": date} for pair, date in sorted(pairs.items())]

        return {"format": FORMAT, "version": VERSION, "accepted": items(self.accepted),
                "rejected": items(self.rejected)}


def decisions_path(bib: str | Path) -> Path:
    """Where the decisions of a library file live: beside it, ``<stem>.dedupe.json``."""
    bib = Path(bib)
    return bib.with_name(bib.stem + ".dedupe.json")


def _read_pairs(data: dict[str, object], name: str, path: Path) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    items = data.get(name, [])
    if not isinstance(items, list):
        raise DecisionsError(f"{path}: '{name}' must be a list")
    for item in items:
        keys = item.get("keys") if isinstance(item, dict) else None
        if not (isinstance(keys, list) and len(keys) == 2 and all(isinstance(k, str) and k for k in keys)
                and keys[0] != keys[1]):
            raise DecisionsError(f"{path}: each '{name}' item needs \"keys\": [two different keys], got {item!r}")
        out[_pair(keys[0], keys[1])] = str(item.get("date", ""))
    return out


def load_decisions(path: str | Path) -> Decisions:
    """The decisions in ``path``; an absent file means no decisions yet."""
    path = Path(path)
    data = read_sidecar(path, FORMAT, VERSION, "dedupe decisions file", DecisionsError)
    if data is None:
        return Decisions()
    decisions = Decisions(accepted=_read_pairs(data, "accepted", path), rejected=_read_pairs(data, "rejected", path))
    both = set(decisions.accepted) & set(decisions.rejected)
    if both:
        raise DecisionsError(f"{path}: pairs both accepted and rejected: {sorted(both)}")
    return decisions


def save_decisions(decisions: Decisions, path: str | Path) -> None:
    """Write atomically (the library's own file is never touched here)."""
    text = json.dumps(decisions.to_json(), ensure_ascii=False, indent=2) + "\n"
    atomic_write(Path(path), [text.encode("utf-8")])
