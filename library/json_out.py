"""JSON written as it is made: the bytes of ``json.dump(value, out, ensure_ascii=False, indent=2)`` without
holding the whole value - its long lists may be :class:`JsonArray` (items made one at a time).

For reports of big imports (``reflib import --json`` of a million records): the report's items are turned into
JSON objects one by one, not into a million dicts first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

__all__ = ["JsonArray", "iter_json", "write_json"]

_INDENT = 2
_string = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes a string with


class JsonArray:
    """An iterable written as a JSON array; its items are made when they are written (read once)."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _string(value)
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def iter_json(value: Any, level: int = 0) -> Iterator[str]:
    """The text of ``value`` as ``json.dumps(value, ensure_ascii=False, indent=2)`` writes it, in pieces."""
    if isinstance(value, dict):
        if not value:
            yield "{}"
            return
        inner = "\n" + " " * (_INDENT * (level + 1))
        opener = "{"
        for key, item in value.items():
            yield f"{opener}{inner}{_string(key if isinstance(key, str) else _scalar(key))}: "
            yield from iter_json(item, level + 1)
            opener = ","
        yield "\n" + " " * (_INDENT * level) + "}"
    elif isinstance(value, list | tuple | JsonArray):
        items = value.items if isinstance(value, JsonArray) else value
        inner = "\n" + " " * (_INDENT * (level + 1))
        opener = "["
        for item in items:
            yield opener + inner
            yield from iter_json(item, level + 1)
            opener = ","
        yield "[]" if opener == "[" else "\n" + " " * (_INDENT * level) + "]"
    else:
        yield _scalar(value)


def write_json(value: Any, out: TextIO, *, block: int = 4096) -> None:
    """Write ``value`` to ``out`` as :func:`iter_json` gives it, and a newline (``print_json``'s bytes)."""
    pieces: list[str] = []
    for piece in iter_json(value):
        pieces.append(piece)
        if len(pieces) >= block:
            out.write("".join(pieces))
            pieces.clear()
    pieces.append("\n")
    out.write("".join(pieces))
