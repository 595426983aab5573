"""Writing the site: only files whose content changed are rewritten; the state of the last run (page hashes,
study digests and summaries) lives in ``OUTDIR/.reflib-publish/state.sqlite``.

Crash consistency: the state is marked "being written" (:func:`mark_writing`) before the first page changes and
unmarked in the transaction that saves the new state. A run that finds the mark (the last one was killed) trusts
no page to a hash and rebuilds the site (``force``), removing the temp files left behind."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

from .study import Summary

__all__ = ["STATE_DIR", "SiteWriter", "StudyState", "load_state", "mark_writing", "save_state"]

STATE_DIR = ".reflib-publish"
STATE_VERSION = 4
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
        self._check(rel)
        data = text.encode("utf-8") if isinstance(text, str) else text
        digest = hashlib.sha1(data).hexdigest()
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
                handle.write(data)
            os.replace(tmp, target)
        else:  # a new file (one open instead of open + rename: the first run writes ~2 files per study)
            with open(target, "wb") as handle:
                handle.write(data)
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


_STUDY_COLUMNS = ("key", "digest", "page", "slug", "title", "authors", "year", "journal", "design", "level",
                  "topics", "stance", "status", "added", "modified", "links", "row", "tldr", "retracted", "old_slugs",
                  "related")
_SELECT_STUDIES = ("SELECT key, digest, page, slug, title, authors, year, journal, design, level, topics, stance, "
                   "status, added, modified, links, row, tldr, retracted, old_slugs, related FROM studies")
_INSERT_STUDY = "INSERT OR REPLACE INTO studies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_SEP = "\x1f"
_META = ("global", "shards", "dump_keys")


def _connect(root: Path) -> sqlite3.Connection:
    folder = root / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(folder / "state.sqlite"))
    db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
    row = db.execute("SELECT v FROM meta WHERE k = 'version'").fetchone()
    version = row[0] if row else ""
    with db:
        if version != str(STATE_VERSION):  # another layout (or a new file): start over
            db.execute("DROP TABLE IF EXISTS studies")
            db.execute("DROP TABLE IF EXISTS files")
            db.execute("DELETE FROM meta")
        db.execute(f"CREATE TABLE IF NOT EXISTS studies ({', '.join(_STUDY_COLUMNS)}, PRIMARY KEY (key))")
        db.execute("CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, sha TEXT NOT NULL)")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(STATE_VERSION),))
    return db


def _summary(row: tuple[Any, ...]) -> Summary:
    (key, _, _, slug, title, authors, year, journal, design, level, topics, stance, status, added, modified, links,
     html, tldr, retracted, old_slugs, _) = row
    return Summary(key, slug, title, authors, year, journal, design, level,
                   tuple(topics.split(_SEP)) if topics else (), stance, status, added, modified,
                   tuple(tuple(x) for x in json.loads(links)) if links != "[]" else (), html, (), tldr, bool(retracted),
                   tuple(old_slugs.split()))


def _study_row(key: str, digest: str, page: str, s: Summary, related: str) -> tuple[Any, ...]:
    return (key, digest, page, s.slug, s.title, s.authors, s.year, s.journal, s.design, s.level, _SEP.join(s.topics),
            s.stance, s.status, s.added, s.modified, json.dumps(s.links), s.row, s.tldr, int(s.retracted),
            " ".join(s.old_slugs), related)


def load_state(root: Path) -> dict[str, Any]:
    """The last run's state: ``studies`` {key: :data:`StudyState`}, ``files`` {path: sha1} and the
    ``global``, ``shards`` and ``dump_keys`` values. Kept in SQLite so that a run after one edit
    writes a few rows, not the state of 100k studies."""
    if not (root / STATE_DIR / "state.sqlite").exists():
        return {}
    try:
        db = _connect(root)
        try:
            state: dict[str, Any] = {k: json.loads(v) for k, v in db.execute("SELECT k, v FROM meta")
                                     if k in _META}
            state["studies"] = {row[0]: (row[1], row[2], _summary(row), row[20])
                                for row in db.execute(_SELECT_STUDIES)}
            state["files"] = dict(db.execute("SELECT path, sha FROM files"))
            state["interrupted"] = db.execute("SELECT 1 FROM meta WHERE k = 'writing'").fetchone() is not None
        finally:
            db.close()
    except (sqlite3.Error, ValueError, TypeError):  # a damaged state file: the next run rebuilds everything
        return {}
    return state


def mark_writing(root: Path) -> None:
    """Note in the state that a run is changing the site (cleared by :func:`save_state` when it ends): after a run
    killed meanwhile, :func:`load_state` says ``interrupted``, and no page may be trusted to the state's hashes."""
    db = _connect(root)
    try:
        with db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('writing', '1')")
    finally:
        db.close()


def save_state(root: Path, state: dict[str, Any], previous: dict[str, Any]) -> None:
    """Write ``state`` (same shape as :func:`load_state`'s), as changes against ``previous`` in one transaction."""
    db = _connect(root)
    try:
        with db:
            db.execute("DELETE FROM meta WHERE k = 'writing'")
            for k in _META:
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (k, json.dumps(state.get(k))))
            old_studies: dict[str, StudyState] = previous.get("studies", {})
            studies: dict[str, StudyState] = state["studies"]
            db.executemany("DELETE FROM studies WHERE key = ?", [(k,) for k in old_studies if k not in studies])
            db.executemany(_INSERT_STUDY,
                           [_study_row(k, *v) for k, v in studies.items() if old_studies.get(k) != v])
            old_files: dict[str, str] = previous.get("files", {})
            files: dict[str, str] = state["files"]
            db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in old_files if p not in files])
            db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?)",
                           [(p, h) for p, h in files.items() if old_files.get(p) != h])
    finally:
        db.close()
