"""Gzip-compressed input (PubMed's baseline and update files are ``.xml.gz``): decompressed before reading.

Recognized by content (the gzip magic bytes), not by name. Decompression is capped (:data:`LIMIT`), so a small
file that would expand without end (a "zip bomb") is refused with a clear message instead of filling the memory
or the disk. A gzip stream that ends early (an interrupted download) keeps what it held: the reader then offers
the records before the break, and the truncation is reported as a problem of that file.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from ..base import ReadError, ReadProblem

__all__ = ["LIMIT", "MAGIC", "gunzip_bytes", "gunzip_into"]

MAGIC = b"\x1f\x8b"
LIMIT = 4 << 30  # bytes of decompressed text; the largest PubMed baseline file is under 1 GB
_BLOCK = 1 << 20


def _too_big(source: str, limit: int) -> ReadError:
    size = f"{limit / (1 << 30):g} GB" if limit >= 1 << 30 else f"{limit / (1 << 20):g} MB"
    return ReadError(f"{source}: gzip data that decompresses to more than {size}; refused "
                     "(not a bibliography file; decompress it yourself if it really is one)")


def _truncated(source: str) -> ReadProblem:
    return ReadProblem(source, "the gzip file ends early (an interrupted download?): only what it held was read")


def _pieces(read: BinaryIO, source: str, limit: int) -> Iterator[bytes | None]:
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
            if total > limit:
                raise _too_big(source, limit)
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
            return _truncated(source)
        target.write(piece)
    return None


def gunzip_bytes(data: bytes, source: str, limit: int | None = None) -> tuple[bytes, ReadProblem | None]:
    """Decompressed ``data`` and the truncation problem, if any."""
    target = io.BytesIO()
    problem = gunzip_into(io.BytesIO(data), target, source, limit)
    return target.getvalue(), problem
