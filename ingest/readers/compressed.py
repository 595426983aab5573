"""Gzip-compressed input (PubMed's baseline and update files are ``.xml.gz``): decompressed before reading.

Recognized by content (the gzip magic bytes), not by name. Decompression is capped (:data:`LIMIT`), so a small
file that would expand without end (a "zip bomb") is refused with a clear message instead of filling the memory
or the disk. A gzip stream that ends early (an interrupted download) keeps what it held: the reader then offers
the records before the break, and the truncation is reported as a problem of that file.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, Protocol

from ..base import ReadError, ReadProblem

__all__ = ["LIMIT", "MAGIC", "GunzipStream", "gunzip_bytes", "gunzip_into", "too_big", "truncated"]

MAGIC = b"\x1f\x8b"
LIMIT = 4 << 30  # bytes of decompressed text; the largest PubMed baseline file is under 1 GB
_BLOCK = 1 << 20


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def too_big(source: str, limit: int) -> ReadError:
    size = f"{limit / (1 << 30):g} GB" if limit >= 1 << 30 else f"{limit / (1 << 20):g} MB"
    return ReadError(f"{source}: gzip data that decompresses to more than {size}; refused "
                     "(not a bibliography file; decompress it yourself if it really is one)")


def truncated(source: str) -> ReadProblem:
    return ReadProblem(source, "the gzip file ends early (an interrupted download?): only what it held was read")


def _pieces(read: Readable, source: str, limit: int | Callable[[], int]) -> Iterator[bytes | None]:
    """Decompressed blocks of a gzip stream (several members are read one after the other), then None when the
    stream ended early. Output comes in blocks of at most 1 MB, so the limit holds whatever the ratio."""
    inflater = zlib.decompressobj(wbits=31)
    total = 0
    while True:
        block = read.read(_BLOCK)
        if not block:
            break
        while True:
            try:
                out = inflater.decompress(block, _BLOCK)
            except zlib.error as exc:
                raise ReadError(f"{source}: not a valid gzip file ({exc})") from exc
            total += len(out)
            cap = limit() if callable(limit) else limit
            if total > cap:
                raise too_big(source, cap)
            if out:
                yield out
            if inflater.eof:  # a member ended: what follows is the next member (or trailing bytes)
                rest = inflater.unused_data
                if not rest.startswith(MAGIC):
                    return
                inflater = zlib.decompressobj(wbits=31)
                block = rest
                continue
            block = inflater.unconsumed_tail
            if not block and len(out) < _BLOCK:  # input used up and no output pending
                break
    if not inflater.eof:
        yield None


def gunzip_into(source_file: BinaryIO, target: BinaryIO, source: str, limit: int | None = None) -> ReadProblem | None:
    """Decompress ``source_file`` into ``target`` (at most ``limit`` bytes, :data:`LIMIT` by default); the
    truncation problem when the stream ended early."""
    for piece in _pieces(source_file, source, LIMIT if limit is None else limit):
        if piece is None:
            return truncated(source)
        target.write(piece)
    return None


def gunzip_bytes(data: bytes, source: str, limit: int | None = None) -> tuple[bytes, ReadProblem | None]:
    """Decompressed ``data`` and the truncation problem, if any."""
    target = io.BytesIO()
    problem = gunzip_into(io.BytesIO(data), target, source, limit)
    return target.getvalue(), problem


class GunzipStream(io.RawIOBase):
    """A gzip stream read as the data it holds, decompressed as it is read: nothing is held or written ahead.

    ``limit`` (bytes of decompressed data, :data:`LIMIT` by default) is checked block by block and may be lowered
    while reading (a format read into memory has a smaller limit than a streamed one); going past it raises
    ReadError. ``truncated`` is True once the stream turned out to end early.
    """

    def __init__(self, raw: Readable, source: str, limit: int | None = None) -> None:
        super().__init__()
        self.limit = LIMIT if limit is None else limit
        self.truncated = False
        self._pieces = _pieces(raw, source, lambda: self.limit)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            piece = next(self._pieces, b"")
            if piece is None:
                self.truncated = True
                continue
            if not piece:
                return 0
            self._pending = memoryview(piece)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
