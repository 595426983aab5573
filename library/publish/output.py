"""Writing the site: only files whose content changed are rewritten; the state of the last run (page hashes,
study digests and summaries) lives in ``OUTDIR/.reflib-publish/state.marshal``.

Crash consistency: a mark file (``.reflib-publish/writing``, :func:`mark_writing`) is made before the first page
changes and removed after the new state has replaced the old one. A run that finds the mark (the last one was
killed) trusts no page to a hash and rebuilds the site (``force``), removing the temp files left behind."""

from __future__ import annotations

import hashlib
import itertools
import marshal
import operator
import os
import re
import threading
import zlib
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from .study import Summary

__all__ = ["STATE_DIR", "SiteWriter", "StudyState", "load_state", "mark_writing", "save_state"]

STATE_DIR = ".reflib-publish"
# 6: the studies in STUDY_SHARDS files; 7: a study's page and RIS digests in its state; 8: 256 study files,
# each in columns; 9: summaries without their list row
STATE_VERSION = 9
# record digest, page key ('' when unpublished), summary, related keys, digests of the study's page and RIS file
# ("HTML RIS", '' when it has none): the ~200k study files are not in the files manifest
StudyState = tuple[str, str, Summary, str, str]
_SAFE_PATH = re.compile(r"^[a-z0-9][a-z0-9._-]*(?:/[a-z0-9][a-z0-9._-]*)*$")


class SiteWriter:
    """Writes site files by relative path; a path must be made of sanitized slugs (no '..', no odd characters)."""

    def __init__(self, root: Path, old_manifest: dict[str, str], force: bool = False) -> None:
        self.root = root
        self._root = os.fspath(root)
        self.old = old_manifest
        self.new: dict[str, str] = {}
        self.force = force
        self.written = 0
        self.unchanged = 0
        self._dirs: set[str] = set()
        self.before_change: Callable[[], None] | None = None  # called once, before the first file changes

    def _changing(self) -> None:
        if self.before_change is not None:
            wait, self.before_change = self.before_change, None
            wait()

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
        self._put(rel, parts, rel in self.old)

    def _put(self, rel: str, parts: list[bytes | memoryview], replace: bool) -> None:
        """Write a file of the site; ``replace``: a file the last run served is there (replaced atomically, so a
        reader never sees half a page)."""
        if self.before_change is not None:
            self._changing()
        folder = rel.rpartition("/")[0]
        if folder not in self._dirs:
            (self.root / folder).mkdir(parents=True, exist_ok=True)
            self._dirs.add(folder)
        target = os.path.join(self._root, rel)
        if replace:
            tmp = target + ".tmp"
            with open(tmp, "wb") as handle:
                for part in parts:
                    handle.write(part)
            os.replace(tmp, target)
        else:  # a new file (one open instead of open + rename: the first run writes ~2 files per study), written
            _write_new(target, parts)  # without Python's buffered file object
        self.written += 1

    def patch(self, rel: str, size: int, replacements: list[tuple[int, int, bytes]]) -> bool:
        """Replace byte ranges (start, length, new bytes; in order, not overlapping) of a file this writer's last
        run wrote, which must be ``size`` bytes long; the rest is copied from the old file by the kernel, not read
        into Python (the 200 MB JSON Lines dump after a few edits). False, with nothing written, when the file is
        not as expected: the caller writes it whole. Its manifest entry is derived from the old one and the
        replacements instead of hashing the new bytes: the same old file and the same replacements give the same
        bytes, so an equal entry still means an unchanged file."""
        self._check(rel)
        old_digest = self.old.get(rel)
        target = os.path.join(self.root, rel)
        if old_digest is None or self.force:
            return False
        try:
            source = os.open(target, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError:
            return False
        try:
            if os.fstat(source).st_size != size:
                return False
            changed = [(start, length, new) for start, length, new in replacements
                       if os.pread(source, length, start) != new]
            if not changed:
                return self.keep(rel)
            hasher = hashlib.sha1(b"patched\0" + old_digest.encode())
            for start, length, new in changed:
                hasher.update(f"{start}:{length}:".encode() + hashlib.sha1(new).digest())
            digest = hasher.hexdigest()
            self._changing()
            tmp = target + ".tmp"
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)
            try:
                position = 0
                for start, length, new in changed:
                    _copy_range(source, out, position, start - position)
                    _write_all(out, new)
                    position = start + length
                _copy_range(source, out, position, size - position)
            finally:
                os.close(out)
        finally:
            os.close(source)
        os.replace(tmp, target)
        self.new[rel] = digest
        self.written += 1
        return True

    def remove_temps(self, others: Iterable[str] = ()) -> int:
        """Delete the temp files a killed run left beside the pages it was replacing (``PAGE.tmp``): those of the
        manifest's files and of ``others`` (the files whose digests the caller keeps)."""
        removed = 0
        for rel in itertools.chain(self.old, others):
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

    def write_page(self, rel: str, text: str, last: str | None) -> str:
        """Write a file whose digest the caller keeps instead of this writer's manifest (a study's page or RIS
        file: its digest lives in the study's state), and return the digest. ``last``: the digest of the file at
        that path after the last run (None when there was none): the same bytes are not written again, and an
        existing file is replaced atomically."""
        if not _SAFE_PATH.match(rel) or ".." in rel:
            self._check(rel)  # (raises)
        data = text.encode("utf-8")
        digest = hashlib.sha1(data).hexdigest()
        if not self.force and last == digest:
            self.unchanged += 1
            return digest
        self._put(rel, [data], last is not None)
        return digest

    def remove_stale(self, others: Iterable[str] = ()) -> int:
        """Delete files of the last run that this run did not produce (removed topics, pages): those of the
        manifest and ``others`` (files the caller knows are gone: a removed study's page), unless written now."""
        removed = 0
        for rel in sorted((self.old.keys() - self.new.keys()) | (set(others) - self.new.keys())):
            if _SAFE_PATH.match(rel):
                self._changing()
                try:
                    (self.root / rel).unlink()
                    removed += 1
                except FileNotFoundError:
                    pass
        return removed


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def _write_new(target: str, parts: list[bytes | memoryview]) -> None:
    fd = os.open(target, _NEW_FILE, 0o666)
    try:
        for part in parts:
            _write_all(fd, part)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    done = os.write(fd, data)  # all of it, but for a full disk or a signal
    if done < len(data):
        view = memoryview(data)[done:]
        while view:
            view = view[os.write(fd, view):]


def _copy_range(source: int, out: int, offset: int, count: int) -> None:
    """Append ``count`` bytes of ``source`` from ``offset`` to ``out``: in the kernel where it can
    (``copy_file_range``), else through a buffer."""
    copy = getattr(os, "copy_file_range", None)
    while count > 0:
        done = 0
        if copy is not None:
            try:
                done = copy(source, out, count, offset)
            except OSError:  # another file system, an old kernel: copy through Python from now on
                copy = None
        if not done:
            done = len(chunk := os.pread(source, min(count, 1 << 24), offset))
            if not done:
                raise OSError(f"file shorter than expected at byte {offset}")
            _write_all(out, chunk)
        offset += done
        count -= done


_STATE_FILE = "state.marshal"
_WRITING_MARK = "writing"
STUDY_SHARDS = 256  # the studies' part of the state, in files by a hash of the key: a run rewrites the changed ones


def _study_file(shard: int) -> str:
    return f"studies-{shard}.marshal"


def study_shard(key: str) -> int:
    return zlib.crc32(key.encode("utf-8")) % STUDY_SHARDS


_SUMMARY = partial(tuple.__new__, Summary)  # a Summary from a stored tuple, made in C


def load_state(root: Path) -> dict[str, Any]:
    """The last run's state: ``studies`` {key: :data:`StudyState`}, ``files`` {path: sha1} and the ``global``,
    ``shards`` and ``dump_keys`` values. Marshal files (reading 100k studies' summaries from them takes a fraction
    of what reading them from SQLite rows did; the state is read whole on every run): ``state.marshal`` and the
    studies in :data:`STUDY_SHARDS` files by key (``studies-N.marshal``), so that a run after a few edits rewrites
    a few of those (:func:`save_state`)."""
    folder = root / STATE_DIR
    interrupted = (folder / _WRITING_MARK).exists()
    try:
        data = marshal.loads((folder / _STATE_FILE).read_bytes())  # noqa: S302 (reflib's own file: dicts, str)
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            return {"interrupted": True} if interrupted else {}
        studies: dict[str, StudyState] = {}
        shard_keys: list[list[str]] = []  # the keys in each study file, so that a save need not hash every key
        for shard in range(STUDY_SHARDS):
            part = marshal.loads((folder / _study_file(shard)).read_bytes())  # noqa: S302 (as above)
            if not isinstance(part, dict) or part.get("version") != STATE_VERSION:
                return {"interrupted": True} if interrupted else {}
            keys, summaries = part["keys"], part["summaries"]
            if summaries and len(summaries[0]) != len(Summary._fields):
                return {"interrupted": True} if interrupted else {}
            # the states are put together in C: no Python code runs per study
            states = zip(part["digests"], part["pages"], map(_SUMMARY, summaries), part["related"], part["files"],
                         strict=True)
            studies.update(zip(keys, states, strict=True))
            shard_keys.append(keys)
        data["studies"] = studies
        data["shard_keys"] = shard_keys
    except (OSError, EOFError, ValueError, TypeError):  # a missing or damaged state file: rebuild everything
        return {"interrupted": True} if interrupted else {}
    data["interrupted"] = interrupted
    return data


def mark_writing(root: Path) -> Callable[[], None]:
    """Note in the state that a run is changing the site (cleared by :func:`save_state` when it ends): after a run
    killed meanwhile, :func:`load_state` says ``interrupted``, and no page may be trusted to the state's hashes.

    The mark is made now; making it durable (``fsync``, a fifth of a second on some disks) goes on in a thread
    while the run works out what to write. Returns the wait for it, which must be called before the first file
    of the site changes (:attr:`SiteWriter.before_change`) and before the state is saved."""
    folder = root / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / _WRITING_MARK, "wb")  # noqa: SIM115 (closed by the thread)
    failed: list[BaseException] = []

    def sync() -> None:
        try:
            os.fsync(handle.fileno())
        except OSError as exc:
            failed.append(exc)
        finally:
            handle.close()

    thread = threading.Thread(target=sync, name="reflib-publish-mark", daemon=True)
    thread.start()

    def wait() -> None:
        thread.join()
        if failed:
            raise failed[0]

    return wait


def save_state(root: Path, state: dict[str, Any], previous: dict[str, Any]) -> None:
    """Write ``state`` (same shape as :func:`load_state`'s); ``previous``: what :func:`load_state` gave this run
    (the files on disk), so that only the study files whose content changed are written again. Each file is
    replaced atomically; the writing mark (:func:`mark_writing`) is removed after the last one, so a run killed
    between two files is followed by a full rebuild. An older state layout (``state.sqlite``) is removed."""
    folder = root / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    new: dict[str, StudyState] = state["studies"]
    old: dict[str, StudyState] = previous.get("studies", {}) if previous.get("version") == STATE_VERSION else {}
    last_keys: list[list[str]] = previous.get("shard_keys", []) if old else []
    added = new.keys() - old.keys()
    dirty = {study_shard(k) for k in old.keys() - new.keys()}
    dirty.update(map(study_shard, added))
    # a study whose state is the very object loaded is unchanged (most of them): only the others are compared
    others = itertools.compress(new, map(operator.is_not, map(old.get, new), new.values()))
    dirty.update(study_shard(k) for k in others if old.get(k) != new[k])
    shards: dict[int, list[str]] = {}
    if len(last_keys) == STUDY_SHARDS:  # the last run's files, the keys added since put in theirs
        for shard in dirty:
            shards[shard] = [k for k in last_keys[shard] if k in new]
        for key in [k for k in new if k in added] if added else []:  # in the order of the studies
            shards[study_shard(key)].append(key)
    else:
        dirty = set(range(STUDY_SHARDS))
        shards = {shard: [] for shard in dirty}
        for key in new:
            shards[study_shard(key)].append(key)
    for shard in sorted(dirty):
        keys = shards[shard]
        states = list(map(new.__getitem__, keys))
        part = {"version": STATE_VERSION, "keys": keys, "digests": [st[0] for st in states],
                "pages": [st[1] for st in states],
                # summaries are stored without their search document and list row (most come without them, as
                # read from the state: no copy made for those)
                "summaries": [tuple(st[2]._replace(search=(), row="") if st[2].search or st[2].row else st[2])
                              for st in states],
                "related": [st[3] for st in states], "files": [st[4] for st in states]}
        _write_marshal(folder, _study_file(shard), part)
    data = {k: v for k, v in state.items() if k not in ("studies", "interrupted", "shard_keys")}
    data["version"] = STATE_VERSION
    _write_marshal(folder, _STATE_FILE, data)
    (folder / _WRITING_MARK).unlink(missing_ok=True)  # the new state is in place: the site and it agree again
    (folder / "state.sqlite").unlink(missing_ok=True)


def _write_marshal(folder: Path, name: str, data: Any) -> None:
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    # marshal format 2: no back-references. Formats 3+ look every object referenced more than once up in a table
    # (the summaries' strings are, by this run's lists), which made the dump twice as slow in a publish run.
    tmp.write_bytes(marshal.dumps(data, 2))
    os.replace(tmp, folder / name)
