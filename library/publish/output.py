"""Writing the site: only files whose content changed are rewritten; the state of the last run (page hashes,
study digests and summaries) lives in ``OUTDIR/.reflib-publish/state.marshal``.

Crash consistency: a mark file (``.reflib-publish/writing``, :func:`mark_writing`) is made before the first page
changes and removed after the new state has replaced the old one. A run that finds the mark (the last one was
killed) trusts no page to a hash and rebuilds the site (``force``), removing the temp files left behind."""

from __future__ import annotations

import hashlib
import marshal
import os
import re
from pathlib import Path
from typing import Any

from .study import Summary

__all__ = ["STATE_DIR", "SiteWriter", "StudyState", "load_state", "mark_writing", "save_state"]

STATE_DIR = ".reflib-publish"
STATE_VERSION = 5
StudyState = tuple[str, str, Summary, str]  # record digest, page key ('' when unpublished), summary, related keys
_SAFE_PATH = re.compile(r"^[a-z0-9][a-z0-9._-]*(?:/[a-z0-9][a-z0-9._-]*)*$")


class SiteWriter:
    """Writes site files by relative path; a path must be made of sanitized slugs (no '..', no odd characters)."""

    def __init__(self, root: Path, old_manifest: dict[str, str], force: bool = False) -> None:
        self.root = root
        self.old = old_manifest
        self.new: dict[str, str] = {}
        self.force = force
        self.written = 0
        self.unchanged = 0
        self._dirs: set[str] = set()

    def _check(self, rel: str) -> None:
        if not _SAFE_PATH.match(rel) or ".." in rel:
            raise ValueError(f"refusing to write unsafe site path {rel!r}")

    def write(self, rel: str, text: str | bytes) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        self.write_parts(rel, [data])

    def write_parts(self, rel: str, parts: list[bytes | memoryview]) -> None:
        """Write the concatenation of ``parts`` without building it (a 200 MB dump patched in one line: its
        unchanged stretches are views of the old file's bytes)."""
        self._check(rel)
        hasher = hashlib.sha1()
        for part in parts:
            hasher.update(part)
        digest = hasher.hexdigest()
        self.new[rel] = digest
        if not self.force and self.old.get(rel) == digest:
            self.unchanged += 1
            return
        folder = rel.rpartition("/")[0]
        if folder not in self._dirs:
            (self.root / folder).mkdir(parents=True, exist_ok=True)
            self._dirs.add(folder)
        target = os.path.join(self.root, rel)
        if rel in self.old:  # replacing a served file: atomically (a reader never sees half a page)
            tmp = target + ".tmp"
            with open(tmp, "wb") as handle:
                for part in parts:
                    handle.write(part)
            os.replace(tmp, target)
        else:  # a new file (one open instead of open + rename: the first run writes ~2 files per study), written
            _write_new(target, parts)  # without Python's buffered file object
        self.written += 1

    def remove_temps(self) -> int:
        """Delete the temp files a killed run left beside the pages it was replacing (``PAGE.tmp``)."""
        removed = 0
        for rel in self.old:
            if _SAFE_PATH.match(rel):
                try:
                    (self.root / f"{rel}.tmp").unlink()
                    removed += 1
                except FileNotFoundError:
                    pass
        return removed

    def keep(self, rel: str) -> bool:
        """Keep a file written by an earlier run unchanged (the caller knows its inputs did not change)."""
        digest = self.old.get(rel)
        if digest is None or self.force:
            return False
        self.new[rel] = digest
        self.unchanged += 1
        return True

    def remove_stale(self) -> int:
        """Delete files of the last run that this run did not produce (removed studies, topics, pages)."""
        removed = 0
        for rel in self.old:
            if rel not in self.new and _SAFE_PATH.match(rel):
                try:
                    (self.root / rel).unlink()
                    removed += 1
                except FileNotFoundError:
                    pass
        return removed


def _write_new(target: str, parts: list[bytes | memoryview]) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)
    try:
        for part in parts:
            view = memoryview(part)
            while view:
                view = view[os.write(fd, view):]
    finally:
        os.close(fd)


_STATE_FILE = "state.marshal"
_WRITING_MARK = "writing"


def load_state(root: Path) -> dict[str, Any]:
    """The last run's state: ``studies`` {key: :data:`StudyState`}, ``files`` {path: sha1} and the ``global``,
    ``shards`` and ``dump_keys`` values. One marshal file: reading 100k studies' summaries from it takes a fraction
    of what reading them from SQLite rows did (the state is read whole on every run)."""
    path = root / STATE_DIR / _STATE_FILE
    interrupted = (root / STATE_DIR / _WRITING_MARK).exists()
    try:
        data = marshal.loads(path.read_bytes())  # noqa: S302 (reflib's own file, plain dicts, tuples, str)
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            return {"interrupted": True} if interrupted else {}
        make = Summary._make
        data["studies"] = {k: (d, p, make(t), r) for k, (d, p, t, r) in data["studies"].items()}
    except (OSError, EOFError, ValueError, TypeError):  # a missing or damaged state file: rebuild everything
        return {"interrupted": True} if interrupted else {}
    data["interrupted"] = interrupted
    return data


def mark_writing(root: Path) -> None:
    """Note in the state that a run is changing the site (cleared by :func:`save_state` when it ends): after a run
    killed meanwhile, :func:`load_state` says ``interrupted``, and no page may be trusted to the state's hashes."""
    folder = root / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / _WRITING_MARK, "wb") as handle:
        handle.flush()
        os.fsync(handle.fileno())


def save_state(root: Path, state: dict[str, Any], previous: dict[str, Any]) -> None:
    """Write ``state`` (same shape as :func:`load_state`'s) atomically; ``previous`` is not needed (kept for
    callers). An older state layout (``state.sqlite``) is removed."""
    del previous
    folder = root / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    data = dict(state)
    data.pop("interrupted", None)
    data["version"] = STATE_VERSION
    # summaries are stored without their search document (most come without it: no copy made for those)
    data["studies"] = {k: (d, p, tuple(s._replace(search=()) if s.search else s), r)
                       for k, (d, p, s, r) in state["studies"].items()}
    target = folder / _STATE_FILE
    tmp = folder / f".{_STATE_FILE}.{os.getpid()}.tmp"
    tmp.write_bytes(marshal.dumps(data))
    os.replace(tmp, target)
    (folder / _WRITING_MARK).unlink(missing_ok=True)  # the new state is in place: the site and it agree again
    (folder / "state.sqlite").unlink(missing_ok=True)
