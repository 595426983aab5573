"""Which rules can match a text at all, found in one pass: the literal words every match of a rule must contain.

A rule such as ``(dye|methylene blue|tubal patency)[^.;]{0,60}laparoscop`` can only match a text that contains
"laparoscop"; ``tub(al|e)\\b|fallopian`` only one that contains "tub" or "fallopian". :func:`required_literals`
reads such a set from the parsed expression (Python's own parser, so it agrees with ``re`` on what the expression
means): a set of strings at least one of which occurs, character for character, inside every match. An
Aho-Corasick automaton (:class:`LiteralScan`, the ahocorasick-rs package) then finds, in one pass over a record's
text, which of all the rules' literals occur; a rule none of whose literals occurs is not searched: it cannot
match. That turns some 260 regular-expression scans of a long abstract into one scan and a few searches, with
exactly the same results (a rule whose literals occur is searched as before; one without a usable literal always).

No literal is read from an expression that matches case-insensitively (an upper-case letter of its own, see
:mod:`.patterns`, or an inline ``(?i)``): ``s`` then also matches the long s "ſ", which lower-casing keeps.
Literals shorter than :data:`MIN_LENGTH` are not used: they occur in nearly every text and would only slow the scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import ahocorasick_rs

__all__ = ["MIN_LENGTH", "LiteralScan", "required_literals"]

MIN_LENGTH = 3

_parser: Any = getattr(re, "_parser")  # noqa: B009 - Python's regular-expression parser (sre_parse before 3.11)
_constants: Any = getattr(re, "_constants")  # noqa: B009
_LITERAL = _constants.LITERAL
_SUBPATTERN = _constants.SUBPATTERN
_BRANCH = _constants.BRANCH
_REPEATS = frozenset({_constants.MAX_REPEAT, _constants.MIN_REPEAT,
                      *([_constants.POSSESSIVE_REPEAT] if hasattr(_constants, "POSSESSIVE_REPEAT") else [])})

Needs = frozenset[str] | None  # one of these strings occurs in every match; None: nothing is known


def _better(a: Needs, b: Needs) -> Needs:
    """The more selective requirement: the longer shortest literal, then the fewer literals."""
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b, key=lambda s: (min(map(len, s)), -len(s)))


def _usable(needs: Needs) -> Needs:
    return needs if needs and min(map(len, needs)) >= MIN_LENGTH else None


def _sequence(items: Iterable[tuple[Any, Any]]) -> Needs:
    """What every match of a sequence of parsed items must contain: the best of its runs of literal characters
    (groups without flags are read through: ``(ab)c`` holds "abc") and of its alternatives and repeats."""
    best: Needs = None
    run: list[str] = []

    def close_run() -> None:
        nonlocal best
        if run:
            best = _better(best, _usable(frozenset({"".join(run)})))
            run.clear()

    def walk(parts: Iterable[tuple[Any, Any]]) -> None:
        nonlocal best
        for op, arg in parts:
            if op is _LITERAL:
                run.append(chr(arg))
            elif op is _SUBPATTERN and not arg[1] and not arg[2]:  # (group, add_flags, del_flags, items)
                walk(arg[3])
            elif op is _BRANCH:  # (None, [items, items, ...]): one of the branches matches
                close_run()
                branches = [_sequence(branch) for branch in arg[1]]
                if all(b is not None for b in branches):
                    best = _better(best, _usable(frozenset().union(*branches)))  # type: ignore[arg-type]
            elif op in _REPEATS and arg[0] >= 1:  # (min, max, items): at least one copy
                close_run()
                best = _better(best, _sequence(arg[2]))
            else:  # classes, any character, assertions, optional parts, flagged groups, back-references ...
                close_run()

    walk(items)
    close_run()
    return best


def required_literals(pattern: str, flags: int = 0) -> Needs:
    """Strings (lower-case text only) one of which occurs in every match of ``pattern``; None when unknown."""
    if flags & re.IGNORECASE:
        return None
    parsed = _parser.parse(pattern, flags)
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    return _sequence(parsed.data)


class LiteralScan:
    """An automaton over the literals of a set of rules: :meth:`present` says which occur in a text, in one pass."""

    __slots__ = ("_automaton", "literals")

    def __init__(self, literals: Iterable[str]) -> None:
        self.literals = frozenset(literals)
        self._automaton: Any = ahocorasick_rs.AhoCorasick(sorted(self.literals)) if self.literals else None

    def __reduce__(self) -> tuple[type[LiteralScan], tuple[list[str]]]:
        return LiteralScan, (sorted(self.literals),)  # the automaton itself cannot be pickled: built again

    def present(self, text: str) -> frozenset[str]:
        """The literals that occur in ``text`` (every occurrence, overlapping ones too, is reported)."""
        if self._automaton is None:
            return frozenset()
        return frozenset(self._automaton.find_matches_as_strings(text, overlapping=True))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every occurrence of a literal in ``text``, overlapping ones too (str indices)."""
        if self._automaton is None:
            return []
        return [(start, end) for _, start, end in self._automaton.find_matches_as_indexes(text, overlapping=True)]
