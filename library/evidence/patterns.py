"""Case-insensitive regular expressions that stay fast: the rules run on every imported record.

Two things make Python's matcher slow on a 1 kB abstract, both measured at 15-30 microseconds per search
instead of about 1: ``re.IGNORECASE`` (it disables the literal fast paths) and a pattern that does not start
with a literal (``\\bpain``, ``(ovarian|organ) dose``, ``a|b`` at the top level). So:

* the text is lower-cased once, and a pattern gets ``IGNORECASE`` only when it has an upper-case letter of its
  own (``\\bHSG\\b``; escapes such as ``\\S`` and ``\\W`` do not count). Matching is case-insensitive either way;
* leading zero-width assertions (``\\b``, lookarounds) are dropped to build a *prefilter*: it matches wherever
  the full pattern does (dropping an assertion only widens the match) and starts with a literal, so the full
  pattern only runs on texts the prefilter accepted. Results are exactly those of the full pattern.

Editors writing rules should start each pattern with a word rather than a group, and list alternatives as
separate patterns (see the header of ``taxonomy.toml``).
"""

from __future__ import annotations

import re

__all__ = ["Pattern", "compile_pattern"]

_UPPER = re.compile(r"(?<!\\)[A-Z]")


def _strip_assertions(pattern: str) -> str:
    """``pattern`` without its leading zero-width assertions."""
    text = pattern
    while True:
        if text.startswith(("\\b", "\\B")):
            text = text[2:]
        elif text.startswith(("(?<!", "(?<=", "(?=", "(?!")):
            depth, i = 0, 0
            while i < len(text):
                char = text[i]
                if char == "\\":
                    i += 2
                    continue
                depth += char == "("
                depth -= char == ")"
                i += 1
                if depth == 0:
                    break
            text = text[i:]
        else:
            return text


class Pattern:
    """A compiled rule: ``search(lowercased_text)`` like ``re.Pattern.search``, with a prefilter when useful."""

    __slots__ = ("_full", "_pre", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        flags = re.IGNORECASE if _UPPER.search(pattern) else 0
        self._full = re.compile(pattern, flags)
        stripped = _strip_assertions(pattern)
        self._pre: re.Pattern[str] | None = None
        if stripped and stripped != pattern:
            try:
                self._pre = re.compile(stripped, flags)
            except re.error:  # e.g. the assertion held a group the rest refers to: no prefilter then
                self._pre = None

    def search(self, text: str) -> re.Match[str] | None:
        if self._pre is not None and self._pre.search(text) is None:
            return None
        return self._full.search(text)

    def __repr__(self) -> str:
        return f"Pattern({self.pattern!r})"


def compile_pattern(pattern: str) -> Pattern:
    """Compile a rule for searching lower-cased text; raises ``re.error`` for a bad expression."""
    return Pattern(pattern)
