"""The library file on disk: crash-safe replacement, consistent reads, the writers' lock, and leftovers.

A reader (or a crash at any instant) sees the old bytes or the new bytes, never a mix: ``os.replace`` is atomic on
POSIX when source and target are on one file system, which a temp file beside the target guarantees.

Change detection rests on two facts: every reflib save *replaces* the file (a new inode), and a :class:`Snapshot`
keeps the file it read open, so that inode number cannot be handed to another file while the library is in
memory. The bytes and the identity (device, inode, size, mtime, ctime) come from one open descriptor, with the
identity taken before and after reading: a save landing in between is seen, never paired with older bytes.

Temp files carry the writer's process id (``.NAME.PID.RANDOM.tmp``): the next save removes those whose process is
gone (never one whose owner still runs). The ``.lock`` file (an flock: a killed holder releases it) is left in place:
removing a lock file that another process may be waiting on is not safe.
"""

from __future__ import annotations

import contextlib
import os
import stat as stat_mod
import tempfile
import time
import weakref
from collections.abc import Iterable
from pathlib import Path

__all__ = ["NotRegular", "Snapshot", "atomic_write", "clean_leftovers", "identity", "read_snapshot", "remove_lock_file"]

_OLD_TEMP_SECONDS = 3600.0  # temp files without a process id (older versions): removed once this old
_READ_ATTEMPTS = 20


def identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class Snapshot:
    """The identity of a file as read, with the file kept open (its inode number stays taken)."""

    def __init__(self, fd: int, st: os.stat_result) -> None:
        self.stat = st
        self._fd = fd
        self._closer = weakref.finalize(self, _close_quietly, fd)

    def close(self) -> None:
        self._closer()

    def same(self, st: os.stat_result) -> bool:
        return identity(st) == identity(self.stat)

    def read(self) -> bytes:
        """The bytes of the file as it was when the snapshot was taken (reflib never writes a file in place)."""
        return _read_all(self._fd, self.stat.st_size)[: self.stat.st_size]


def _close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


class NotRegular(OSError):
    """The path is a FIFO, a device, a socket or a directory: nothing to read as a file."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def file_kind(mode: int) -> str:
    for test, name in ((stat_mod.S_ISDIR, "a directory"), (stat_mod.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat_mod.S_ISCHR, "a character device"), (stat_mod.S_ISBLK, "a block device"),
                       (stat_mod.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def open_regular(path: Path) -> tuple[int, os.stat_result]:
    """An open descriptor of a regular file (FIFOs are opened without blocking, then refused)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat_mod.S_ISREG(st.st_mode):
            raise NotRegular(file_kind(st.st_mode))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def _read_all(fd: int, size: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    data = os.read(fd, size + 1)  # one byte more: a file that grew while read is noticed
    if len(data) <= size:
        pieces = [data]
        while len(data) < size + 1 and (more := os.read(fd, size + 1 - len(data))):
            pieces.append(more)
            data = b"".join(pieces)
            pieces = [data]
    return data


def read_snapshot(path: Path) -> tuple[bytes, Snapshot]:
    """The file's bytes and the identity they belong to (stat before and after the read agree)."""
    fd, before = open_regular(path)
    try:
        for _ in range(_READ_ATTEMPTS):
            data = _read_all(fd, before.st_size)
            after = os.fstat(fd)
            if identity(after) == identity(before) and len(data) == before.st_size:
                return data, Snapshot(fd, after)
            before = after  # written in place while read: read again
            time.sleep(0.01)
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    raise OSError(f"{path} keeps changing while it is read")


def snapshot_of(path: Path) -> Snapshot:
    """The identity of the file just written (called under the lock, before anyone else can replace it)."""
    fd, st = open_regular(path)
    return Snapshot(fd, st)


def temp_prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}."


def atomic_write(path: Path, chunks: Iterable[bytes | memoryview]) -> None:
    directory = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp_name, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def clean_leftovers(path: Path) -> list[Path]:
    """Remove temp files that killed writers left beside ``path`` (never one whose process still runs)."""
    removed: list[Path] = []
    prefix = f".{path.name}."
    now = time.time()
    try:
        names = [n for n in os.listdir(path.parent) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return removed
    for name in names:
        middle = name[len(prefix) : -len(".tmp")]
        pid_text, _, rest = middle.partition(".")
        leftover = path.parent / name
        try:
            if pid_text.isdecimal() and rest:
                if _alive(int(pid_text)):
                    continue
            elif now - leftover.stat().st_mtime < _OLD_TEMP_SECONDS:
                continue
            leftover.unlink()
            removed.append(leftover)
        except OSError:
            continue
    return removed


def remove_lock_file(lock_path: str) -> None:
    """Called while holding the lock: the file goes, waiters on it notice and lock the next one."""
    with contextlib.suppress(OSError):
        os.unlink(lock_path)
