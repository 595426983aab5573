"""Writing the site: only files whose content changed are rewritten; the state of the last run (page hashes,
study digests and summaries) lives in ``OUTDIR/.reflib-publish/``."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

__all__ = ["STATE_DIR", "SiteWriter", "load_state", "save_state"]

STATE_DIR = ".reflib-publish"
STATE_VERSION = 1
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


def load_state(root: Path) -> dict[str, Any]:
    path = root / STATE_DIR / "state.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) and state.get("version") == STATE_VERSION else {}


def save_state(root: Path, state: dict[str, Any]) -> None:
    folder = root / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    state["version"] = STATE_VERSION
    tmp = folder / "state.json.tmp"
    tmp.write_text(json.dumps(state, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, folder / "state.json")
