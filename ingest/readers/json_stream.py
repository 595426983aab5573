"""JSON documents whose big arrays are parsed one item at a time: a million CSL-JSON items are never all held.

:func:`loads` returns what :func:`json.loads` returns - and raises what it raises, the same message at the same
position (the walk below follows CPython's C scanner step by step, and every value is parsed by the standard
decoder) - except that an array at one of the given ``paths`` (``()``: the document itself; ``("message",
"items")``: a Crossref work list) comes back as a :class:`LazyArray`: the document is walked once to check it
(each item parsed and dropped), and each iteration parses the items again, one at a time. Memory: the text and
one item, instead of the text and every item as Python objects (~1.3 kB for a tiny CSL item).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

__all__ = ["LazyArray", "loads", "preview_default"]

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"
Path = tuple[str, ...]


def _skip(text: str, idx: int) -> int:
    while idx < len(text) and text[idx] in _WHITESPACE:
        idx += 1
    return idx


def _after_member(text: str, idx: int, close: str) -> tuple[bool, int]:
    """After a value of an array or object: (True, the index of its closing ``close``) or (False, where the next
    member starts), raising json.loads' error when neither a comma nor ``close`` follows."""
    idx = _skip(text, idx)
    if idx < len(text) and text[idx] == close:
        return True, idx
    if idx >= len(text) or text[idx] != ",":
        raise json.JSONDecodeError("Expecting ',' delimiter", text, idx)
    return False, _skip(text, idx + 1)


def _walk_array(text: str, idx: int) -> Iterator[tuple[Any, int]]:
    """(item, end) for each item of the array whose ``[`` is at ``idx``; then (None, the end of the array)."""
    idx = _skip(text, idx + 1)
    if idx >= len(text) or text[idx] != "]":
        while True:
            value, idx = _DECODER.raw_decode(text, idx)  # no value here: "Expecting value", as json.loads says
            yield value, idx
            closed, idx = _after_member(text, idx, "]")
            if closed:
                break
    yield None, idx + 1


class LazyArray(Sequence[Any]):
    """A checked JSON array of a document, parsed again item by item on each iteration (never held whole)."""

    __slots__ = ("_length", "_start", "_text")

    def __init__(self, text: str, start: int, length: int) -> None:
        self._text, self._start, self._length = text, start, length

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Any]:
        walk = _walk_array(self._text, self._start)
        for _ in range(self._length):
            yield next(walk)[0]

    def __getitem__(self, index: int) -> Any:  # type: ignore[override]
        if not isinstance(index, int):
            raise TypeError("a LazyArray is indexed by position only")
        position = index + self._length if index < 0 else index
        if not 0 <= position < self._length:
            raise IndexError(index)
        return next(islice(iter(self), position, None))

    def __repr__(self) -> str:
        return f"LazyArray({self._length} items)"


def _value(text: str, idx: int, path: Path, paths: frozenset[Path]) -> tuple[Any, int]:
    """The value at ``idx`` (``path`` from the document) and where it ends; arrays at ``paths`` lazy."""
    if text.startswith("[", idx) and path in paths:
        length, end = -1, idx  # the walk ends with the end of the array
        for step in _walk_array(text, idx):  # each item checked and dropped
            length, end = length + 1, step[1]
        return LazyArray(text, idx, length), end
    if text.startswith("{", idx) and any(p[:len(path)] == path and len(p) > len(path) for p in paths):
        return _object(text, idx, path, paths)
    return _DECODER.raw_decode(text, idx)


def _object(text: str, idx: int, path: Path, paths: frozenset[Path]) -> tuple[dict[str, Any], int]:
    """The object whose ``{`` is at ``idx``, its members read by :func:`_value` (as the C scanner reads them)."""
    out: dict[str, Any] = {}
    idx = _skip(text, idx + 1)
    if idx >= len(text) or text[idx] != "}":
        while True:
            if idx >= len(text) or text[idx] != '"':
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, idx)
            key, idx = _DECODER.raw_decode(text, idx)
            idx = _skip(text, idx)
            if idx >= len(text) or text[idx] != ":":
                raise json.JSONDecodeError("Expecting ':' delimiter", text, idx)
            idx = _skip(text, idx + 1)
            out[key], idx = _value(text, idx, (*path, key), paths)
            closed, idx = _after_member(text, idx, "}")
            if closed:
                break
    return out, idx + 1


def loads(text: str, paths: Sequence[Path] = ((),)) -> Any:
    """:func:`json.loads` of ``text`` (the same value, the same errors), the arrays at ``paths`` lazy."""
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    document, end = _value(text, _skip(text, 0), (), frozenset(paths))
    end = _skip(text, end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return document


def preview_default(value: object) -> list[Any]:
    """``default`` for :func:`json.dumps` of a value holding lazy arrays, for a preview of at most 300
    characters: each array stands for its first 300 items (the first 300 characters are the same)."""
    if isinstance(value, LazyArray):
        return list(islice(value, 300))
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
