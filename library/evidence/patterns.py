"""Case-insensitive regular expressions that stay fast: the rules run on every imported record.

Two things make Python's matcher slow on a 1 kB abstract, both measured at 15-30 microseconds per search
instead of about 1: ``re.IGNORECASE`` (it disables the literal fast paths) and a pattern that does not start
with a literal (``\\bpain``, ``(ovarian|organ) dose``, ``a|b`` at the top level). So:

* the text is lower-cased once, and a pattern gets ``IGNORECASE`` only when it has an upper-case letter of its
  own (``\\bHSG\\b``; escapes such as ``\\S`` and ``\\W`` do not count). Matching is case-insensitive either way;
* leading zero-width assertions (``\\b``, lookarounds) are dropped to build a *prefilter*: it matches wherever
  the full pattern does (dropping an assertion only widens the match) and starts with a literal. The full
  pattern is only tried, anchored, where the prefilter matched, leftmost first: ``\\bsis\\b`` looks at each
  "sis" (of "analysis", "diagnosis" ...) instead of scanning the text without a literal to jump to;
* a pattern whose top level is a list of alternatives (``hysterosalpingogra(m|ph)|\\bhsg\\b``) is searched as
  one pattern per alternative, each with its literal: the leftmost match wins, the earlier alternative on a
  tie, which is the match the whole pattern gives (only ``group(0)`` is read from it).

Results are exactly those of the full pattern (tests compare them with ``re`` on the bundled rules).

A record's text is searched by some 260 rules. :meth:`Pattern.find` skips, with no search at all, a rule (or one
of its alternatives) that cannot match because none of the literals every match of it contains occurs in the
text; which literals occur is found once per record, in one pass, by :class:`.literals.LiteralScan`.

Editors writing rules should start each pattern with a word rather than a group, and list alternatives as
separate patterns (see the header of ``taxonomy.toml``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from .literals import Needs, required_literals

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


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` (one item when there is no top-level ``|``)."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 1 + (pattern[i + 1 : i + 2] == "^")
            i += pattern[i : i + 1] == "]"  # a "]" first in a class is a literal
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


# splitting would change what these mean: global inline flags, back-references to group numbers or names
_NO_SPLIT = re.compile(r"\(\?[aiLmsux]|\\[1-9]|\(\?P=")


class _Single:
    """One alternative: the full expression, tried (anchored) only where its literal-led prefilter matches."""

    __slots__ = ("_full", "_pre", "needs")

    def __init__(self, pattern: str, flags: int) -> None:
        self._full = re.compile(pattern, flags)
        self.needs: Needs = required_literals(pattern, flags)
        stripped = _strip_assertions(pattern)
        self._pre: re.Pattern[str] | None = None
        if stripped and stripped != pattern:
            try:
                self._pre = re.compile(stripped, flags)
            except re.error:  # e.g. the assertion held a group the rest refers to: no prefilter then
                self._pre = None

    def searcher(self) -> Callable[[str], re.Match[str] | None]:
        """The search function: the compiled expression's own (no Python frame) when there is no prefilter."""
        return self._full.search if self._pre is None else self._search

    def _search(self, text: str) -> re.Match[str] | None:
        pre = self._pre
        assert pre is not None
        found = pre.search(text)
        while found is not None:  # every start of a full match is a start of a prefilter match
            start = found.start()
            match = self._full.match(text, start)
            if match is not None:
                return match
            found = pre.search(text, start + 1)
        return None


class Pattern:
    """A compiled rule: ``search(lowercased_text)`` like ``re.Pattern.search`` (the same ``group(0)``, start and
    end), faster on long texts. ``search`` is an attribute holding the fastest function for this pattern: the
    rules run hundreds of times per record, so a Python frame per call is worth avoiding."""

    __slots__ = ("_parts", "_searchers", "needs", "pattern", "search")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        flags = re.IGNORECASE if _UPPER.search(pattern) else 0
        re.compile(pattern, flags)  # the whole pattern must be valid (re.error otherwise)
        parts = _alternatives(pattern)
        if len(parts) == 1 or not all(parts) or _NO_SPLIT.search(pattern):
            parts = [pattern]
        singles = [_Single(part, flags) for part in parts]
        self._searchers = [single.searcher() for single in singles]
        self.search: Callable[[str], re.Match[str] | None] = (
            self._searchers[0] if len(self._searchers) == 1 else self._leftmost)
        self._parts = [(single.needs, search) for single, search in zip(singles, self._searchers, strict=True)]
        self.needs: Needs = None
        """Literals one of which every match contains (see :mod:`.literals`); None when not known."""
        if all(single.needs is not None for single in singles):
            self.needs = frozenset().union(*(single.needs for single in singles if single.needs is not None))

    def find(self, text: str, present: Collection[str] | None) -> re.Match[str] | None:
        """``search(text)``, given which of the scanned literals occur in ``text`` (or in a text that contains it):
        a pattern, or an alternative of it, none of whose literals is ``present`` cannot match and is not tried.
        ``present`` None: nothing is known, search as usual."""
        if present is None:
            return self.search(text)
        if self.needs is not None and self.needs.isdisjoint(present):
            return None
        if len(self._parts) == 1:
            return self.search(text)
        best = None
        for needs, search in self._parts:
            if needs is not None and needs.isdisjoint(present):
                continue
            match = search(text)
            if match is not None and (best is None or match.start() < best.start()):
                best = match
        return best

    def _leftmost(self, text: str) -> re.Match[str] | None:
        best = None
        for search in self._searchers:
            match = search(text)
            if match is not None and (best is None or match.start() < best.start()):
                best = match
        return best

    def __repr__(self) -> str:
        return f"Pattern({self.pattern!r})"


def compile_pattern(pattern: str) -> Pattern:
    """Compile a rule for searching lower-cased text; raises ``re.error`` for a bad expression."""
    return Pattern(pattern)
