"""Resumable online ingests: what was fetched so far is kept beside the library until the library is saved.

Layout (one folder per ingest command, beside the library)::

    .reflib-ingest/<id>/state.json      what the command is, its plan (the PMIDs / DOIs to fetch, the search
                                        count, the Crossref cursor) and the parts already fetched
    .reflib-ingest/<id>/part-00000.xml  one fetched batch (EFetch XML or Crossref JSON), exactly as served

``<id>`` is a hash of the library path and the command's identity (source, query or identifiers, options that
change what is fetched), so file names never come from record content or user text. Each part and the state
are written atomically; a batch that failed (invalid XML, truncated, server error) is never written. Re-running
the same command after Ctrl-C, a crash or a failing server continues with the parts still missing and then
imports everything; the folder is deleted after the library was saved. ``--restart`` discards it first.
A resumed run completes the original plan: results that appeared at the source since are picked up next time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from library.atomic import atomic_write
from library.model import Record

from .base import ReadProblem

__all__ = ["SPOOL_DIR", "Fetched", "FetchedParts"]

SPOOL_DIR = ".reflib-ingest"
STATE_VERSION = 1


@dataclass(slots=True)
class Fetched:
    """The outcome of fetching: records in source order, per-record problems, identifiers the source lacked."""

    records: list[Record] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    total: int = 0  # how many the source matched (may exceed what was fetched)
    missing: list[str] = field(default_factory=list)
    resumed_parts: int = 0

    def all_problems(self, label: str) -> list[ReadProblem]:
        """The per-record problems and one warning per identifier the source returned nothing for."""
        return [*self.problems, *(ReadProblem(label, f"PMID {m}: no record returned (deleted or not yet available)")
                                  for m in self.missing)]


def spool_id(bib: Path, identity: dict[str, Any]) -> str:
    text = json.dumps({"bib": str(bib.resolve()), **identity}, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


class FetchedParts:
    """The fetched parts of one ingest command (see the module docstring)."""

    def __init__(self, directory: Path, identity: dict[str, Any]) -> None:
        self.directory = directory
        self.identity = identity
        self.state: dict[str, Any] = {"version": STATE_VERSION, "identity": identity, "plan": None, "parts": {}}
        self.resumed = False
        state_file = directory / "state.json"
        if state_file.is_file():
            try:
                loaded = json.loads(state_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                loaded = None
            if isinstance(loaded, dict) and loaded.get("version") == STATE_VERSION \
                    and loaded.get("identity") == identity and isinstance(loaded.get("parts"), dict):
                self.state = loaded
                self.resumed = bool(loaded.get("plan") is not None)

    @classmethod
    def open(cls, bib: Path, identity: dict[str, Any], *, restart: bool = False) -> FetchedParts:
        directory = bib.parent / SPOOL_DIR / spool_id(bib, identity)
        if restart and directory.exists():
            shutil.rmtree(directory)
        return cls(directory, identity)

    @property
    def plan(self) -> dict[str, Any] | None:
        plan = self.state.get("plan")
        return plan if isinstance(plan, dict) else None

    @property
    def created(self) -> str:
        return str(self.state.get("created", ""))

    def set_plan(self, plan: dict[str, Any]) -> None:
        self.state["plan"] = plan
        self.state.setdefault("created", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        self._write_state()

    def update_plan(self, **values: Any) -> None:
        plan = self.plan or {}
        plan.update(values)
        self.set_plan(plan)

    def part_names(self) -> list[str]:
        return sorted(self.state["parts"])

    def get(self, name: str) -> bytes | None:
        if name not in self.state["parts"]:
            return None
        try:
            return (self.directory / name).read_bytes()
        except OSError:
            return None

    def put(self, name: str, data: bytes, **meta: Any) -> None:
        if not name.replace("-", "").replace(".", "").isalnum():
            raise ValueError(f"bad part name {name!r}")
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write(self.directory / name, [data])
        self.state["parts"][name] = {"bytes": len(data), **meta}
        self._write_state()

    def forget(self, name: str) -> None:
        self.state["parts"].pop(name, None)
        self._write_state()

    def discard(self) -> None:
        """Delete the folder (after a successful save, or a dry run); the parent is removed when empty."""
        if self.directory.exists():
            shutil.rmtree(self.directory)
        parent = self.directory.parent
        if parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()

    def _write_state(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.state["updated"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        data = json.dumps(self.state, indent=1, ensure_ascii=False).encode("utf-8")
        atomic_write(self.directory / "state.json", [data])
