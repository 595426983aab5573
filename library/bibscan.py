"""A fast scanner for one well-formed BibTeX entry: field names and raw values by regular expressions.

bibtexparser's splitter walks every character in Python; reading a cached entry back (or a file being imported)
needs something an order of magnitude faster. The scanner accepts the common shapes (``name = {..}``,
``".."``, numbers, macros and ``#`` concatenations) and raises :class:`Malformed` on anything else, so callers
fall back to bibtexparser (:func:`library.bibfile.parse_blocks`) and both agree on what is valid.
"""

from __future__ import annotations

import re

__all__ = ["KEY", "NAME", "SKIP", "SPACE", "Malformed", "scan_entry", "scan_value"]

SKIP = re.compile(r"(?:[\s,]+|%[^\n]*)*")
SPACE = re.compile(r"\s*")
NAME = re.compile(r"([^\s=,{}()\"#%]+)\s*=\s*")
KEY = re.compile(r"\s*([^\s,{}()]*)\s*")
_BRACE = re.compile(r"[{}]")
_QUOTE_OR_BRACE = re.compile(r'[{}"]')
_TOKEN = re.compile(r"[^\s,#{}()\"=]+")
_SIMPLE_FIELD = re.compile(r'[\s,]*([^\s=,{}()"#%]+)\s*=\s*(\{[^{}]*\}|"[^"{}]*"|[\w.:+/-]+)\s*(?:,|(?=[})]))')


class Malformed(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def _match_braces(text: str, start: int, end: int) -> int:
    """Offset just after the brace group opening at ``start``; Malformed when it is not closed."""
    close = text.find("}", start + 1, end)
    if close != -1 and text.find("{", start + 1, close) == -1:
        return close + 1  # no nested group: the common case, found without a Python loop
    depth = 0
    for match in _BRACE.finditer(text, start, end):
        depth += 1 if match.group() == "{" else -1
        if depth == 0:
            return match.end()
    raise Malformed("unbalanced braces: '{' never closed", start)


def _match_quotes(text: str, start: int, end: int) -> int:
    depth = 0
    for match in _QUOTE_OR_BRACE.finditer(text, start + 1, end):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise Malformed("unbalanced braces: '}' inside a quoted value", match.start())
        elif depth == 0:
            return match.end()
    raise Malformed('unbalanced quotes: \'"\' never closed', start)


def scan_value(text: str, pos: int, end: int) -> int:
    """End offset of a value: pieces ({..}, "..", number or macro) joined by '#'."""
    while True:
        char = text[pos] if pos < end else ""
        if char == "{":
            pos = _match_braces(text, pos, end)
        elif char == '"':
            pos = _match_quotes(text, pos, end)
        else:
            token = _TOKEN.match(text, pos, end)
            if token is None:
                raise Malformed("expected a value after '='", pos)
            pos = token.end()
        after = SPACE.match(text, pos, end).end()  # type: ignore[union-attr]
        if after < end and text[after] == "#":
            pos = SPACE.match(text, after + 1, end).end()  # type: ignore[union-attr]
            continue
        return pos


def scan_entry(text: str, pos: int, end: int, closer: str) -> tuple[str, list[tuple[str, str]], int]:
    """(key, fields, end offset) of an entry whose opening delimiter ends at ``pos``."""
    key_match = KEY.match(text, pos, end)
    assert key_match is not None
    key = key_match.group(1)
    pos = key_match.end()
    fields: list[tuple[str, str]] = []
    simple = _SIMPLE_FIELD.match
    while True:
        field_match = simple(text, pos, end)
        while field_match is not None:  # fast path: a field whose value has no nested braces
            fields.append((field_match.group(1), field_match.group(2)))
            pos = field_match.end()
            field_match = simple(text, pos, end)
        pos = SKIP.match(text, pos, end).end()  # type: ignore[union-attr]
        if pos >= end:
            raise Malformed(f"entry not closed: '{closer}' missing (unbalanced braces?)", pos)
        if text[pos] == closer:
            return key, fields, pos + 1
        name = NAME.match(text, pos, end)
        if name is None:
            raise Malformed(f"expected a field name at {text[pos:pos + 20]!r}", pos)
        start = name.end()
        stop = scan_value(text, start, end)
        fields.append((name.group(1), text[start:stop].strip()))
        pos = SPACE.match(text, stop, end).end()  # type: ignore[union-attr]
        if pos < end and text[pos] not in ",)}":
            raise Malformed(f"missing ',' after field {name.group(1)!r}", pos)
