"""A compiled rendering of reflib's four CSL styles: the same output as citeproc-py with reflib's fixes
(library.export.citeproc_fixes), an order of magnitude faster.

citeproc-py walks the style's XML tree for every reference: it looks up attributes, inherited options, macros
and terms through lxml and xpath on each visit (about 3 ms per reference and style). Here the same (patched)
tree is compiled once per style into Python closures with every static decision taken at compile time —
attributes read, options inherited, terms and macros resolved — and what depends on the reference (conditions,
values, which pieces render) evaluated at run time exactly as citeproc-py does it, element for element
(``citeproc.model``: Text, Group, Choose, Names, Name, Label, Date, Date_Part, Number, Substitute). The pure
helpers of citeproc_fixes (title case, quotes, page ranges, initials, plurals, numbers) are called, not copied.

citeproc-py's strings come in two kinds with different joining rules: its own ``String``/``MixedString``
(a concatenation removes a doubled punctuation mark or space at the seam, with reflib's patched rule) and plain
``str`` (what a formatter such as italics returns; joined as is). Which kind a piece is changes the output
("Publication:" + "." is "Publication:" for the first, "Publication:." for the second), so the kind is kept:
:class:`Rich` stands for citeproc-py's strings, ``str`` for plain ones, and :func:`cat` joins them as Python
would dispatch ``+`` between citeproc-py's classes.

What this module does not reproduce raises :class:`Unsupported` (for the one reference, at run time); the caller
then renders that reference with citeproc-py. Not reproduced: ``<span class="nocase">`` in values (several
string segments), date ranges, literal, uncertain or seasonal dates, text-case or strip-periods applied to a
macro's output, name ``form="count"``, ordinals beyond citeproc-py's own function, locators and citation numbers.
The differential tests (tests/test_csl_compiled.py) compare both engines record by record.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from functools import lru_cache, partial
from typing import Any, NamedTuple

from citeproc import DATES, NAMES
from citeproc.model import to_ordinal

from .citeproc_fixes import (
    initialize_given,
    is_numeric,
    is_plural,
    last_page,
    memoized_xpath,
    normalize_initials,
    repressed_roles,
    strip_periods,
    title_case,
)
from .quotes import quoted_text

__all__ = ["CompiledStyle", "Rich", "Unsupported", "cat", "compile_style", "join", "sort_order"]

_NS = "{http://purl.org/net/xbiblio/csl}"
_SEAM = frozenset(".,;:!?")
_ENDS_SENTENCE = frozenset("?!:.")
_STOP = re.compile("(?<!\\.)[.?!][\ue000-\ue01f]*$")  # the reference for ends_sentence (tested equal)
_INTO_QUOTE = re.compile("([\u201d\u2019]+)([\ue000-\ue01f]*)$")  # the reference for quote_start (tested equal)
_PRIVATE = "".join(map(chr, range(0xE000, 0xE020)))  # the formatting marks of library.export.citeproc
_TAIL = frozenset(_PRIVATE + "\n")  # what ends_sentence and quote_start strip from the end first


def ends_sentence(text: str) -> bool:
    """``bool(_STOP.search(text))`` without the regex (a search scans the whole string: ~15x slower): the last
    character before trailing formatting marks (and one final newline, where ``$`` also matches) is '.', '?' or
    '!' not preceded by '.'."""
    if text[-1:] not in _TAIL:  # nothing to strip (the common case)
        return text[-1:] in (".", "?", "!") and text[-2:-1] != "."
    if text[-1:] == "\n":
        text = text[:-1]
    text = text.rstrip(_PRIVATE)
    return text[-1:] in (".", "?", "!") and text[-2:-1] != "."


def quote_start(text: str) -> int:
    """``_INTO_QUOTE.search(text).start()`` without the regex, -1 when it does not match: where the closing
    quotes that end the text (before trailing formatting marks and one final newline) begin."""
    last = text[-1:]
    if last != "\u201d" and last != "\u2019" and last not in _TAIL:  # no closing quote at the end
        return -1
    if text[-1:] == "\n":
        text = text[:-1]
    text = text.rstrip(_PRIVATE)
    head = text.rstrip("\u201d\u2019")
    return len(head) if len(head) < len(text) else -1


_QUOTING_VARIABLES = frozenset(("title", "container-title", "collection-title", "title-short", "event-title"))
_NOCASE = "<span class=\"nocase\">"
_MARKS = {"i": ("\ue010", "\ue011"), "b": ("\ue012", "\ue013"), "sc": ("\ue014", "\ue015"),
          "sup": ("\ue016", "\ue017"), "sub": ("\ue018", "\ue019"), "u": ("\ue01a", "\ue01b")}


class Unsupported(Exception):
    """The reference (or a part of the style it reaches) is outside what this module reproduces."""


class Rich(str):
    """A citeproc-py ``String``/``MixedString`` (one segment): joined with seam normalization."""

    __slots__ = ()


# --- citeproc-py's string arithmetic -----------------------------------------------------------------------------

def _strip(other: str) -> str:
    return type(other)(other[1:])


def seam(left: str, other: str) -> str:
    """``citeproc.string.normalize_seam`` with reflib's patch (citeproc_fixes._patched_seam): a leading "." of
    ``other`` is dropped after a sentence end, else :func:`seam_original` (written out here: this runs at every
    join of every reference)."""
    if not left or not other:
        return other
    last, first = left[-1], other[0]
    if first == "." and (last in _ENDS_SENTENCE or (other[1:2] != "." and ends_sentence(left))):
        return type(other)(other[1:])
    if (last == " " and first == " ") or (last == first and first in _SEAM):
        return type(other)(other[1:])
    return other


def seam_original(left: str, other: str) -> str:
    """citeproc-py's own normalize_seam, as ``citeproc.model`` (``Affixed.wrap``) imported it before the patch."""
    if not left or not other:
        return other
    last, first = left[-1], other[0]
    if (last == " " and first == " ") or (last == first and first in _SEAM):
        return _strip(other)
    return other


def cat(left: str, right: str) -> str:
    """``left + right`` as Python dispatches it between citeproc-py's strings and plain ``str``."""
    kind, other = type(left), type(right)
    if kind is str and other is str:
        return left + right
    if (kind is Rich or kind is str) and (other is Rich or other is str) and left and right \
            and right[0] != "." and right[0] != left[-1]:  # one is Rich, and no seam can change ``right``
        return Rich(left + right)
    if kind is Rich:  # String.__add__ / MixedString.__add__ (Rich has no subclasses)
        if right == "":
            return left
        right = seam(left, right)
        if right == "":
            return left
        return Rich(left + right)
    if left == "":  # String.__radd__ with an empty left side
        return right
    right = seam(left, right)
    return Rich(left + right)


def _shift(left: str, right: str, piq: bool) -> tuple[str, str]:
    """citeproc_fixes._shift on one-segment strings."""
    if not left or not right:
        return left, right
    following = right[:2]
    moved = _move_into_quote(left, following) if piq else None
    if moved is None:
        if following[:1] == "." and following[1:2] != "." and ends_sentence(left):
            return left, _strip(right)
        return left, right
    position, mark = moved
    return type(left)(left[:position] + mark + left[position:]), _strip(right)


def _move_into_quote(left: str, right: str) -> tuple[int, str] | None:
    if right[:1] not in (".", ",") or right[1:2] == ".":
        return None
    start = quote_start(left)
    if start < 0:
        return None
    head = left[:start]
    mark = right[0]
    if mark == "." and head[-1:] in ("?", "!", ".") and head[-2:-1] != ".":
        mark = ""
    return start, mark


def join(items: list[str], delimiter: str, piq: bool) -> str:
    """``citeproc.string.join`` with reflib's patch (punctuation moved into quotes at "." and "," delimiters)."""
    if not items:
        return Rich("")
    if len(items) == 1:
        return items[0]
    key = (delimiter, type(delimiter), piq)
    joined = _JOINERS.get(key)
    if joined is None:
        if len(_JOINERS) > 256:
            _JOINERS.clear()
        joined = _JOINERS[key] = joiner(delimiter, piq)
    return joined(items)


_JOINERS: dict[tuple[str, type, bool], Callable[[list[str]], str]] = {}


def joiner(delimiter: str, piq: bool) -> Callable[[list[str]], str]:
    """:func:`join` for a delimiter known in advance (a style's delimiters are): ``items`` must not be empty.
    The same strings as :func:`joiner_reference`: a left fold of :func:`join_step`."""
    step = join_step(delimiter, piq)

    def join_items(items: list[str]) -> str:
        output = items[0]
        for item in items[1:]:
            output = step(output, item)
        return output
    return join_items


def join_step(delimiter: str, piq: bool) -> Callable[[str, str], str]:
    """One step of :func:`joiner`: the text so far, the delimiter and one more item.

    The common steps are plain concatenation: the delimiter is appended as it is when nothing before it can meet
    it in a seam or a quote (:func:`quiet`), or without its "." after a sentence end; the item as :func:`append`
    appends it. Anything else goes step by step as citeproc-py (with reflib's patch) joins."""
    kind = type(delimiter)
    if kind is str and not delimiter:  # cat(x, seam(x, "")) is x: only the items' seams
        return append
    if not delimiter or (kind is not str and kind is not Rich):
        reference = joiner_reference(delimiter, piq)
        return lambda output, item: reference([output, item])
    first, last = delimiter[0], delimiter[-1]
    rich = kind is Rich
    shifted = first in (".", ",")
    # after a sentence end ("Title?"), a ". " delimiter loses its "." and the rest is appended as it is
    rest = delimiter[1:] if first == "." and delimiter[1:2] not in ("", ".", ",", "?", "!", ":") else None

    # the last characters of the text so far after which the delimiter is not appended as it is without a closer
    # look: its own first character, and for "." and "," what :func:`quiet` looks at (marks, closing quotes, a
    # sentence end before "."); ``starts``: the first characters of an item that a seam can change
    if shifted:
        stops = frozenset((first, "\u201d", "\u2019")) | _TAIL | (_ENDS_SENTENCE if first == "." else frozenset())
    else:
        stops = frozenset(first)
    starts = frozenset((".", last))

    def step(output: str, item: str) -> str:
        kind = type(output)
        if not output or (kind is not str and kind is not Rich):
            text = None
        else:
            end = output[-1]
            if end not in stops or (shifted and end in _TAIL and quiet(output, first)):
                text = output + delimiter
            elif rest is not None and end in _ENDS_SENTENCE:
                text = output + rest
            else:
                text = None
        if text is None:  # step by step
            if shifted:
                output, part = _shift(output, seam(output, delimiter), piq)
                output = cat(output, part)
            else:
                output = cat(output, seam(output, delimiter))
            return append(output, item)
        rich_text = rich or kind is Rich
        other = type(item)
        if item and item[0] not in starts and (other is str or other is Rich):
            return Rich(text + item) if rich_text or other is Rich else text + item
        if not item and other is str:
            return Rich(text) if rich_text else text
        return append(Rich(text) if rich_text else text, item)
    step.quick = (stops, starts, delimiter, rich)  # type: ignore[attr-defined]  # for generated code (_emit_join)
    return step


def quiet(text: str, mark: str) -> bool:
    """Whether a "." or "," (``mark``) that follows the non-empty ``text`` in a join or a suffix is appended as it
    is: no doubled mark, no closing quote to move it into (looked for through formatting marks, as
    :func:`quote_start`), and for "." no sentence end to drop it after (:func:`ends_sentence`)."""
    end = text[-1]
    if end == mark:
        return False
    if end in _TAIL:
        return quote_start(text) < 0 and (mark != "." or not ends_sentence(text))
    return end != "\u201d" and end != "\u2019" and (mark != "." or end not in _ENDS_SENTENCE)


def append(output: str, piece: str) -> str:
    """``cat(output, seam(output, piece))``, the common cases first: a seam only changes ``piece`` when it starts
    with "." or with the character that ends ``output``; an empty plain ``piece`` changes nothing."""
    kind, other = type(output), type(piece)
    if (kind is str or kind is Rich) and (other is str or other is Rich):
        if output and piece and piece[0] != "." and output[-1] != piece[0]:
            return output + piece if kind is str and other is str else Rich(output + piece)
        if not piece and other is str:
            return output
    return cat(output, seam(output, piece))


def joiner_reference(delimiter: str, piq: bool) -> Callable[[list[str]], str]:
    """:func:`joiner` step by step as citeproc-py's ``join`` (with reflib's patch) does it: the reference."""
    if str(delimiter)[:1] in (".", ","):
        def join_shifted(items: list[str]) -> str:
            output = items[0]
            for item in items[1:]:
                output, part = _shift(output, seam(output, delimiter), piq)
                output = cat(output, part)
                output = cat(output, seam(output, item))
            return output
        return join_shifted
    if delimiter == "" and type(delimiter) is str:  # cat(x, seam(x, "")) is x: only the items' seams
        def join_plain(items: list[str]) -> str:
            output = items[0]
            for item in items[1:]:
                output = cat(output, seam(output, item))
            return output
        return join_plain

    def join_delimited(items: list[str]) -> str:
        output = items[0]
        for item in items[1:]:
            output = cat(output, seam(output, delimiter))
            output = cat(output, seam(output, item))
        return output
    return join_delimited


# --- element attributes -------------------------------------------------------------------------------------------

def _local(element: Any) -> str:
    tag = element.tag
    return tag[len(_NS):] if isinstance(tag, str) and tag.startswith(_NS) else str(tag)


def _formatter(element: Any) -> Callable[[Any], Any] | None:
    """``Formatted.format`` for the sentinel formatter of library.export.citeproc, or None when it changes nothing."""
    steps: list[Callable[[Any], Any]] = []
    for attribute, default, marks in _FORMATTING:
        value = element.get(attribute, default)
        if value in marks:
            mark = marks[value]
            steps.append(_wrapper(mark) if mark else str)
        elif value != default:
            raise Unsupported(f"{attribute} {value}")
    if not steps:
        return None

    def apply(text: Any) -> Any:
        if isinstance(text, (int, float)):
            text = str(text)
        for step in steps:
            text = step(text)
        return text
    return apply


# formatting attributes in the order their wrappers apply: (attribute, default, {value: mark}); mark "" = str()
_FORMATTING: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("font-style", "normal", {"italic": "i", "oblique": "i"}),
    ("font-variant", "normal", {"small-caps": "sc"}),
    ("font-weight", "normal", {"bold": "b", "light": ""}),
    ("text-decoration", "none", {"underline": "u"}),
    ("vertical-align", "baseline", {"sup": "sup", "sub": "sub"}),
)


def _wrapper(mark: str) -> Callable[[Any], str]:
    start, end = _MARKS[mark]

    def wrap(text: Any) -> str:
        return f"{start}{text}{end}"
    return wrap


class _Affixes:
    """``Affixed.wrap`` with reflib's patch (citeproc_fixes._patched_wrap), for one element's prefix and suffix."""

    __slots__ = ("piq", "prefix", "suffix", "wrap")

    def __init__(self, element: Any, piq: bool) -> None:
        self.prefix = element.get("prefix", "")
        self.suffix = element.get("suffix", "")
        self.piq = piq
        self.wrap = affixer(self.prefix, self.suffix, piq)

    @property
    def wrapper(self) -> Callable[[Any], Any] | None:
        """:attr:`wrap`, or None when there is neither prefix nor suffix (wrap changes nothing then)."""
        return self.wrap if self.prefix or self.suffix else None


def affixer(prefix: str, suffix: str, piq: bool) -> Callable[[Any], Any]:
    """``wrap(text)``: :func:`wrap_reference` for this prefix and suffix, with the common case (no seam, no
    sentence end or closing quote before a "." or "," suffix) written as plain concatenation."""
    if not prefix and not suffix:  # '' + s and s + '' leave s (and its kind) unchanged
        return _unchanged
    before = prefix[-1:]
    mark = suffix[:1]
    shifted = mark in (".", ",")

    def wrap(string: Any) -> Any:
        if string is None:
            return None
        kind = type(string)
        if string and (kind is str or kind is Rich):
            if not prefix:
                text = string
            elif string[0] != before and string[0] != ".":
                text = prefix + string if kind is str else Rich(prefix + string)
            else:
                return wrap_reference(prefix, suffix, piq, string)
            if not suffix:
                return text
            if quiet(text, mark) if shifted else text[-1] != mark:
                return text + suffix if kind is str else Rich(text + suffix)
        return wrap_reference(prefix, suffix, piq, string)
    return wrap


def _unchanged(string: Any) -> Any:
    return string


def wrap_reference(prefix: str, suffix: str, piq: bool, string: Any) -> Any:
    """``Affixed.wrap`` with reflib's patch, step by step: the reference of :func:`affixer`."""
    if string is None:
        return None
    if not prefix and not suffix:
        return string
    if suffix[:1] not in (".", ","):
        text = cat(prefix, seam_original(prefix, string))
        return cat(text, seam_original(text, suffix))
    text = cat(prefix, seam_original(prefix, string))
    text, suffix = _shift(text, seam_original(text, suffix), piq)
    return cat(text, seam_original(text, suffix)) if suffix else text


# --- the reference as citeproc-py holds it -------------------------------------------------------------------------

class _Date:
    __slots__ = ("day", "month", "year")

    def __init__(self, year: int, month: int | None, day: int | None) -> None:
        self.year, self.month, self.day = year, month, day


class Item:
    """A CSL-JSON item as citeproc-py's CiteProcJSON reads it, restricted to what this module reproduces."""

    __slots__ = ("language", "numbers", "present", "ref", "repressed", "type")

    def __init__(self, data: dict[str, Any], default_language: str) -> None:
        ref: dict[str, Any] = {}
        kind = None
        language = None
        for key, value in data.items():
            found = _KEYS.get(key)
            if found is None:
                found = _key(key)
            python_key, role = found
            if role is _TEXT:
                text = str(value)
                if "<" in text and _NOCASE in text.lower():  # the span starts with "<" (lower() makes none)
                    raise Unsupported("nocase span")
                ref[python_key] = Rich(text)
            elif role is _NAME:
                ref[python_key] = _names(value)
            elif role is _DATE:
                ref[python_key] = _date(value)
            elif role is _TYPE:
                kind = value
            elif role is _LANGUAGE:
                ref[python_key] = value
                language = value
        if not isinstance(kind, str):
            raise Unsupported("no type")
        self.type = kind
        self.ref = ref
        self.present = frozenset(ref)  # the variables, and which are numbers: read once for all styles
        self.numbers: dict[str, bool] = {}
        if language is not None:
            if not isinstance(language, str):
                raise Unsupported("language")
            self.language = language[:2]
        else:
            self.language = default_language
        self.repressed: dict[str, list[Any]] = {}


_SKIP, _TYPE, _NAME, _DATE, _LANGUAGE, _TEXT = "skip", "type", "name", "date", "language", "text"
_KEYS: dict[str, tuple[str, str]] = {}  # a CSL-JSON key -> (citeproc-py's name of it, how it is read)


def _key(key: str) -> tuple[str, str]:
    """How :class:`Item` reads ``key`` (the same tests for every item, made once per key)."""
    python_key = key.replace("-", "_")
    if python_key in ("id", "key"):
        role = _SKIP
    elif python_key == "type":
        role = _TYPE
    else:
        if python_key == "shortTitle":
            python_key = "title_short"
        if python_key in NAMES:
            role = _NAME
        elif python_key in DATES:
            role = _DATE
        elif key == "language":
            role = _LANGUAGE
        else:
            role = _TEXT
    if len(_KEYS) < 4096 and isinstance(key, str):
        _KEYS[key] = (python_key, role)
    return python_key, role


_NAME_KEYS = frozenset(("family", "given", "suffix", "non-dropping-particle", "dropping-particle", "literal"))


def _names(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value:
        raise Unsupported("names")
    for name in value:
        if not isinstance(name, dict) or not name or not name.keys() <= _NAME_KEYS:
            raise Unsupported("name")
        for part in name.values():
            if not isinstance(part, str):
                raise Unsupported("name")
        if "literal" in name and len(name) > 1:
            raise Unsupported("literal name with parts")
    return value


def _date(value: Any) -> _Date:
    if not isinstance(value, dict) or set(value) != {"date-parts"}:
        raise Unsupported("date form")
    parts = value["date-parts"]
    if not isinstance(parts, list) or len(parts) != 1 or not isinstance(parts[0], list) \
            or not 1 <= len(parts[0]) <= 3:
        raise Unsupported("date parts")
    numbers = []
    for part in parts[0]:
        if isinstance(part, bool) or not isinstance(part, (int, str)):
            raise Unsupported("date part")
        try:
            numbers.append(int(part))
        except ValueError:
            raise Unsupported("date part") from None
    year = numbers[0]
    month = numbers[1] if len(numbers) > 1 else None
    day = numbers[2] if len(numbers) > 2 else None
    if not 1000 <= year <= 9999 or (month is not None and not 1 <= month <= 12) \
            or (day is not None and not 1 <= day <= 31):
        raise Unsupported("date range of values")
    return _Date(year, month, day)


# --- compiling ---------------------------------------------------------------------------------------------------

Render = Callable[[Item, Any], Any]  # (item, sort_options) -> text or None
# A compiled node is a Render, or None: nothing is printed for this shape of item. citeproc-py returns None or
# raises VariableError where a piece prints nothing; every parent (Parent.render_children, Group, Date, a
# substitute) treats both alike and the error never passes more than one level up, so a Render returns None for
# both. Delimiters a parent hands down (to cs:choose) are known when compiling, so they are compiled in.


class Shape(NamedTuple):
    """What the path through a style depends on: the item's type, its variables, which are numbers."""

    type: str
    present: frozenset[str]
    numeric: frozenset[str]


# --- generated code ----------------------------------------------------------------------------------------------
# The structure of a style for one shape (layout, macros, groups, the branch each cs:choose takes, cs:text) is
# written out as the straight-line body of one Python function per entry point (the layout, a sort macro, a
# substitute's child) and exec'd: no closure per level, no loop over children, no wrapper for an empty markup.
# The source is made from the style only: the only literals in it are variable names of the style's XML (repr),
# every other object (terms, joiners, leaf renderers) is passed in by name; record content never reaches it.

class _Source:
    """The body of one generated ``render(item, so)`` and the objects it refers to by name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.objects: dict[str, Any] = {}
        self.count = 0

    def name(self, value: Any) -> str:
        """A name for ``value`` in the function's globals."""
        name = f"k{len(self.objects)}"
        self.objects[name] = value
        return name

    def local(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def add(self, statement: str) -> None:
        self.lines.append("    " + statement)

    def function(self, result: str, label: str) -> Callable[..., Any]:
        source = "def render(item, so):\n    ref = item.ref\n" + "\n".join(self.lines) + f"\n    return {result}\n"
        namespace = dict(self.objects)
        code = _CODE.get((source, label))
        if code is None:  # shapes and styles often generate the same source (a macro, a substitute's child)
            if len(_CODE) >= 8192:
                _CODE.clear()
            code = _CODE[(source, label)] = compile(source, f"<csl {label}>", "exec")
        exec(code, namespace)  # noqa: S102 - made from the style alone
        render = namespace["render"]
        render.source = source  # for reading what was generated
        return render  # type: ignore[no-any-return]


_CODE: dict[tuple[str, str], Any] = {}  # generated source -> its code object


class _Node:
    """A compiled element for one shape: :meth:`emit` writes the statements that compute its text (None when it
    prints nothing) and returns the local variable (or constant name) that holds it."""

    def emit(self, source: _Source, so: str) -> str:
        raise NotImplementedError


class _Call(_Node):
    """An element rendered by a closure (names, dates, numbers, labels, unsupported parts)."""

    def __init__(self, render: Render) -> None:
        self.render = render

    def emit(self, source: _Source, so: str) -> str:
        result = source.local()
        source.add(f"{result} = {source.name(self.render)}(item, {so})")
        return result


def _emit_join(source: _Source, so: str, children: list[tuple[_Node, bool]], step: Callable[[str, str], str],
               rendered: str | None) -> str:
    """The children's texts joined as they come (a left fold of ``step`` over those that are not None), with
    ``rendered`` set when a child that calls a variable printed: no list, no loop."""
    result = source.local()
    name = source.name(step)
    quick = getattr(step, "quick", None)
    if quick is not None:
        stops, starts = source.name(quick[0]), source.name(quick[1])
        delimiter, kinds, rich = source.name(quick[2]), source.name((str, Rich)), source.name(Rich)
        joined = (f"{rich}({result} + {delimiter} + {{text}})" if quick[3] else
                  f"({result} + {delimiter} + {{text}}) if type({result}) is str and type({{text}}) is str "
                  f"else {rich}({result} + {delimiter} + {{text}})")
    for position, (child, calls) in enumerate(children):
        text = child.emit(source, so)
        flag = f"; {rendered} = True" if rendered is not None and calls else ""
        if position == 0:
            source.add(f"{result} = {text}")
            if flag:
                source.add(f"if {text} is not None: {rendered} = True")
        elif quick is None:
            source.add(f"if {text} is not None: {result} = {text} if {result} is None else {name}({result}, {text})"
                       f"{flag}")
        else:  # join_step's commonest case written out: nothing at the seams, both texts str or Rich
            source.add(f"if {text} is not None:")
            if flag:
                source.add(f"    {rendered} = True")
            source.add(f"    if {result} is None: {result} = {text}")
            source.add(f"    elif {result} and {text} and {result}[-1] not in {stops} and {text}[0] not in {starts} "
                       f"and type({result}) in {kinds} and type({text}) in {kinds}: "
                       f"{result} = {joined.format(text=text)}")
            source.add(f"    else: {result} = {name}({result}, {text})")
    return result


class _Sequence(_Node):
    """``Parent.render_children``: the children that printed something, joined with the delimiter handed down."""

    def __init__(self, children: list[_Node], step: Callable[[str, str], str]) -> None:
        self.children = children
        self.step = step

    def emit(self, source: _Source, so: str) -> str:
        if len(self.children) == 1:
            return self.children[0].emit(source, so)
        return _emit_join(source, so, [(child, False) for child in self.children], self.step, None)


class _Group(_Node):
    """``Group.render``: None when nothing printed or (``track``) when none of the children that call variables
    printed (citeproc-py's VariableError); else joined, formatted and wrapped (an empty join is None)."""

    def __init__(self, children: list[tuple[_Node, bool]], track: bool, step: Callable[[str, str], str],
                 formatter: Callable[[Any], Any] | None, wrap: Callable[[Any], Any] | None) -> None:
        self.children = children
        self.track = track
        self.step, self.formatter, self.wrap = step, formatter, wrap

    def emit(self, source: _Source, so: str) -> str:
        if len(self.children) == 1:  # track is False: one child that calls no variable makes no group
            text = self.children[0][0].emit(source, so)
            result = source.local()
            source.add(f"{result} = {text} or None")
        else:
            rendered = source.local() if self.track else None
            if rendered is not None:
                source.add(f"{rendered} = False")
            result = _emit_join(source, so, self.children, self.step, rendered)
            if rendered is not None:
                source.add(f"{result} = ({result} or None) if {rendered} else None")
            else:
                source.add(f"{result} = {result} or None")
        markup = result
        if self.formatter is not None:
            markup = f"{source.name(self.formatter)}({markup})"
        if self.wrap is not None:
            markup = f"{source.name(self.wrap)}({markup})"
        if markup != result:
            source.add(f"if {result} is not None: {result} = {markup}")
        return result


class _Text(_Node):
    """``Text.render`` of a variable, a macro or a constant (term, value): the value, then the markup."""

    def __init__(self, markup: Callable[[Any, str], Any] | None, *, variable: str | None = None,
                 tag: str | None = None, key: str | None = None, number: Callable[[Any, str], Any] | None = None,
                 name: str | None = None, macro: _Node | None = None, constant: Any = None) -> None:
        self.markup = markup  # None: the value as is, an empty one as None
        self.variable, self.tag, self.key, self.number, self.name = variable, tag, key, number, name
        self.macro = macro
        self.constant = constant

    def emit(self, source: _Source, so: str) -> str:
        if self.macro is not None:
            value = self.macro.emit(source, "None")  # Text.process does not hand sort options to a macro
        elif self.variable is not None:
            value = source.local()
            source.add(f"{value} = ref[{self.key!r}]")
            repressed = source.local()
            source.add(f"{repressed} = item.repressed.get({source.name(self.tag)})")
            source.add(f"if {repressed} and {self.variable!r} in {repressed}: {value} = None")
            if self.number is not None:
                source.add(f"if {value} is not None: {value} = {source.name(self.number)}({value}, {self.name!r})")
        else:
            value = source.name(self.constant)
        result = source.local()
        if self.markup is None:
            source.add(f"{result} = {value} or None")
        else:
            source.add(f"{result} = {source.name(self.markup)}({value}, item.language)")
        return result


class _Constant(_Node):
    """A text whose output is known when compiling (a term or value with a markup that needs no language)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def emit(self, source: _Source, so: str) -> str:
        return source.name(self.value) if self.value is not None else "None"


def _closure(node: _Node | None, label: str) -> Render | None:
    """A node as a ``render(item, sort_options)`` function."""
    if node is None:
        return None
    source = _Source()
    result = node.emit(source, "so")
    return source.function(result, label)  # type: ignore[return-value]


class _Compiler:
    def __init__(self, root: Any, piq: bool, shape: Shape, memo: dict[Any, Any] | None = None) -> None:
        self.root = root
        self.piq = piq
        self.shape = shape
        self.macros: dict[str, Any] = {}
        # what depends on the style alone (an element's markup, a cs:name's renderer, terms), shared by the shapes
        self.memo: dict[Any, Any] = {} if memo is None else memo
        self.bibliography = root.find(f"{_NS}bibliography")
        self.page_range_format = root.get_option("page-range-format")

    def once(self, kind: str, element: Any, build: Callable[[], Any]) -> Any:
        """``build()`` for an element (or a term), made once per style: it does not depend on the shape."""
        key = (kind, element)
        memo = self.memo
        if key in memo:
            return memo[key]
        found = memo[key] = build()
        return found

    def term(self, element: Any, name: str, form: str | None = None, plural: bool = False) -> Any:
        """``element.get_single_term`` / ``get_plural_term``: a style element's terms come from the style's
        locales whatever the element (citeproc.model.CitationStylesElement.get_term)."""
        return self.once("term", (name, form, plural), lambda: (
            element.get_plural_term(name=name, form=form) if plural
            else element.get_single_term(name=name, form=form)))

    # options ---------------------------------------------------------------------------------------------------
    def inherited(self, name: str) -> Any:
        """An option of cs:bibliography, inherited from the style (FormattingInstructions.get_option)."""
        return self.bibliography.get_option(name)

    # dispatch --------------------------------------------------------------------------------------------------
    def element(self, element: Any) -> _Node | None:
        kind = _local(element)
        builder = getattr(self, "c_" + kind.replace("-", "_"), None)
        if builder is None:
            return _Call(_unsupported(f"element {kind}"))
        try:
            node = builder(element)
        except Unsupported as reason:
            return _Call(_unsupported(str(reason)))
        return node if node is None or isinstance(node, _Node) else _Call(node)

    def render(self, element: Any) -> Render | None:
        """:meth:`element` as a ``render(item, sort_options)`` function (for cs:substitute)."""
        return _closure(self.element(element), f"{self.shape.type} {_local(element)}")

    def children(self, element: Any, delimiter: str) -> list[_Node]:
        """Each child that can print something for this shape (comments skipped); a cs:choose child is its branch,
        rendered with ``delimiter``."""
        out = []
        for child in element.iterchildren():
            if not isinstance(child.tag, str):
                continue
            node = self.choose(child, delimiter) if _local(child) == "choose" else self.element(child)
            if node is not None:
                out.append(node)
        return out

    def render_children(self, element: Any, delimiter: str) -> _Node | None:
        """``Parent.render_children``: children joined with the delimiter handed down (cs:choose is transparent)."""
        children = self.children(element, delimiter)
        if not children:
            return None
        return _Sequence(children, join_step(delimiter, self.piq))

    def macro(self, name: str) -> _Node | None:
        if name not in self.macros:
            depends = self.once("macro depends", "", partial(_macro_depends, self.root)).get(name)
            shared = None
            if depends is not None:  # shared by the shapes that agree on what the macro looks at
                uses_type, variables, numbers = depends
                shape = self.shape
                shared = ("macro", name, shape.type if uses_type else None, shape.present & variables,
                          shape.numeric & numbers)
                if shared in self.memo:
                    self.macros[name] = self.memo[shared]
                    return self.macros[name]  # type: ignore[no-any-return]
            self.macros[name] = _Call(_unsupported(f"recursive macro {name}"))
            self.macros[name] = self.render_children(self.root.get_macro(name), "")
            if shared is not None:
                self.memo[shared] = self.macros[name]
        return self.macros[name]  # type: ignore[no-any-return]

    # cs:layout ---------------------------------------------------------------------------------------------------
    def layout(self, element: Any) -> Callable[[Item], Any]:
        body = _closure(self.render_children(element, ""), f"{self.shape.type} layout")
        affixes = _Affixes(element, self.piq)
        formatter = _formatter(element)

        def render(item: Item) -> Any:
            if body is None:
                return None
            text = affixes.wrap(body(item, None))
            if text is None:
                return None
            return formatter(text) if formatter else text
        return render

    # cs:text -----------------------------------------------------------------------------------------------------
    def c_text(self, element: Any) -> _Node | None:
        markup = self.text_markup(element)
        step = None if markup is _as_is else markup
        if "variable" in element.attrib:
            return self.variable(element, step)
        if "macro" in element.attrib:
            if element.get("text-case") or element.get("strip-periods", "false").lower() == "true":
                raise Unsupported("text-case or strip-periods on a macro")
            macro = self.macro(element.get("macro"))
            if macro is None:
                return None
            return _Text(step, macro=macro)
        if "term" in element.attrib:
            form = element.get("form", "long")
            plural = element.get("plural", "false").lower() == "true"
            name = element.get("term")
            form_arg = form if form != "long" else None
            term = self.term(element, name, form_arg, plural)
            constant = Rich(str(term))
        elif "value" in element.attrib:
            constant = Rich(element.get("value"))
        else:
            raise Unsupported("cs:text without content")
        if step is None:
            return _Constant(constant or None)
        if element.get("text-case") != "title":  # the markup does not depend on the item's language
            with contextlib.suppress(Exception):  # else it fails at render time, for the one reference, as before
                return _Constant(step(constant, "en"))
        return _Text(step, constant=constant)

    def variable(self, element: Any, markup: Callable[[Any, str], Any] | None) -> _Node | None:
        variable = element.get("variable")
        if variable == "citation-number":
            raise Unsupported(f"variable {variable}")
        if variable == "locator":  # no locators in a bibliography: citeproc-py's VariableError
            return None
        if variable.replace("-", "_") in NAMES or variable.replace("-", "_") in DATES:
            raise Unsupported(f"text of a name or date variable {variable}")
        present = self.shape.present
        name = variable
        if element.get("form") == "short" and (variable + "-short").replace("-", "_") in present:
            name = variable + "-short"
        python = name.replace("-", "_")
        if name.startswith("page"):
            if "page" not in present:
                return None
            number = self.number_process(element, text=True)
            return _Text(markup, variable=variable, tag=element.tag, key="page", number=number, name=name)
        if python not in present:
            return None
        return _Text(markup, variable=variable, tag=element.tag, key=python)

    def text_markup(self, element: Any) -> Callable[[Any, str], Any]:
        """``Text.markup``: strip periods, case, format, quote, affixes."""
        return self.once("text markup", element, partial(self._text_markup, element))  # type: ignore[no-any-return]

    def _text_markup(self, element: Any) -> Callable[[Any, str], Any]:
        strip = self.stripper(element)
        case = self.case(element, element.get("variable"))
        formatter = _formatter(element)
        quote = self.quoter(element)
        affixes = _Affixes(element, self.piq)
        if strip is None and case is _same and formatter is None and quote is None:  # the common cs:text
            if not affixes.prefix and not affixes.suffix:
                return _as_is
            wrap = affixes.wrap

            def wrapped(text: Any, language: str) -> Any:
                return wrap(text) if text else None
            return wrapped

        def markup(text: Any, language: str) -> Any:
            if not text:
                return None
            if strip is not None:
                text = strip(text)
            text = case(text, language)
            if formatter is not None:
                text = formatter(text)
            if quote is not None:
                text = quote(text)
            return affixes.wrap(text)
        return markup

    def quoter(self, element: Any) -> Callable[[Any], Any] | None:
        if element.get("quotes", "false").lower() != "true":
            return None
        open_quote = Rich(str(self.term(element, "open-quote")))
        close_quote = Rich(str(self.term(element, "close-quote")))

        def quote(text: Any) -> Any:
            return cat(cat(open_quote, text), close_quote)
        return quote

    @staticmethod
    def stripper(element: Any) -> Callable[[Any], Any] | None:
        """citeproc_fixes._patched_strip_periods (one-segment strings)."""
        if element.get("strip-periods", "false").lower() != "true":
            return None

        def strip(text: Any) -> Any:
            if isinstance(text, str):
                return type(text)(strip_periods(text))
            raise Unsupported("strip-periods on a number")
        return strip

    @staticmethod
    def case(element: Any, variable: str | None) -> Callable[[Any, Any], Any]:
        """``TextCased.case`` with citeproc_fixes._patched_case (title case, then quotes in titles)."""
        text_case = element.get("text-case")
        quoting = variable in _QUOTING_VARIABLES
        quoted = element.get("quotes", "false").lower() == "true"
        if text_case is None and not quoting:
            return _same

        def original(text: Any, language: Any) -> Any:
            if text_case is None:
                return text
            if language != "en" and text_case == "title":
                return text
            if text_case == "lowercase":
                return type(text)(text.lower()) if isinstance(text, str) else _fail("lowercase")
            if text_case == "uppercase":
                return type(text)(text.upper()) if isinstance(text, str) else _fail("uppercase")
            if text_case == "capitalize-first":
                if not isinstance(text, Rich) or not text:
                    raise Unsupported("capitalize-first on a plain string")
                return Rich(text[0].upper() + text[1:])
            if text_case == "capitalize-all":
                if not isinstance(text, Rich):
                    raise Unsupported("capitalize-all on a plain string")
                return " ".join(word[0].upper() + word[1:] for word in text.split())
            if text_case == "sentence":
                if not isinstance(text, Rich):
                    raise Unsupported("sentence case on a plain string")
                words = []
                upper = text.isupper()
                for i, word in enumerate(text.split()):
                    if not upper and not word.isupper():
                        word = word.lower()
                    if i == 0:
                        word = word[0].upper() + word[1:]
                    words.append(word)
                return " ".join(words)
            raise Unsupported(f"text-case {text_case}")

        def case(text: Any, language: Any) -> Any:
            if text_case != "title" or language != "en":
                text = original(text, language)
            elif isinstance(text, str):
                text = type(text)(_title_case(str(text)))
            else:
                raise Unsupported("title case on a number")
            if quoting:
                if not isinstance(text, str):
                    raise Unsupported("quotes on a number")
                text = Rich(_quoted_text(str(text), quoted))
            return text
        return case

    # numbers -----------------------------------------------------------------------------------------------------
    def number_process(self, element: Any, text: bool) -> Callable[[Any, str], Any]:
        """``FormatNumber._process`` with citeproc_fixes' patches (page ranges, "749-753; discussion 754")."""
        return self.once(f"number {text}", element,  # type: ignore[no-any-return]
                         partial(self._number_process, element, text))

    def _number_process(self, element: Any, text: bool) -> Callable[[Any, str], Any]:
        piq = self.piq
        page_delimiter = self.term(element, "page-range-delimiter")
        page_range = Rich(str(page_delimiter)) if page_delimiter else "\u2013"
        range_format = self.page_range_format
        if range_format not in (None, "minimal", "minimal-two", "expanded"):
            raise Unsupported(f"page-range-format {range_format}")
        format_number = (lambda number: str(number)) if text else self.number_format(element)

        def last_of(first: str, last: str) -> str:
            if range_format is None:
                return last
            return _last_page(first, last, range_format)

        def number_or_range(part: str, variable: str, range_delimiter: str) -> Any:
            pieces = part.replace("\u2013", "-").split("-")
            if len(pieces) != 2:
                return format_number(part.strip())
            first, last = pieces[0].strip(), pieces[1].strip()
            first = format_number(first)
            if variable == "page-first":
                return first
            last = format_number(last_of(first, last) if variable == "page" else last)
            return join([first, last], range_delimiter, piq)

        def plain(value: Any, variable: str) -> Any:
            range_delimiter = page_range if variable.startswith("page") else "\u2013"
            source = str(value)
            if "," not in source and "&" not in source:  # one part: the joins below return it as it is
                return number_or_range(source, variable, range_delimiter)
            return join([join([number_or_range(part, variable, range_delimiter) for part in comma.split("&")],
                              " & ", piq)
                         for comma in source.split(",")], ", ", piq)

        # the common page, two ASCII numbers ("247-250"), when nothing can meet the delimiter at a seam: what
        # number_or_range and join give, written out (first + delimiter + last page, Rich if the delimiter is)
        digits = "0123456789"
        rich_range = type(page_range) is Rich
        quick = text and bool(page_range) and type(page_range) in (str, Rich) \
            and page_range[0] not in digits + ".," and page_range[-1] not in digits + "."

        def process(value: Any, variable: str) -> Any:
            source = str(value)
            if quick and variable == "page" and source.isascii():
                first, dash, last = source.partition("-")
                if dash and first.isdecimal() and last.isdecimal():
                    last = last_of(first, last)
                    if last and last[0] in digits:
                        return Rich(first + page_range + last) if rich_range else first + page_range + last
            if variable == "page" and ";" in source:
                head, rest = source.split(";", 1)
                return Rich(str(plain(head, variable)) + ";" + rest)
            return plain(value, variable)
        return process

    def number_format(self, element: Any) -> Callable[[Any], Any]:
        """``Number.format_number``."""
        form = element.get("form", "numeric")

        def format_number(number: Any) -> Any:
            try:
                value = int(number)
            except ValueError:
                return number
            if form == "numeric":
                return str(value)
            if form == "ordinal" or (form == "long-ordinal" and value > 10):
                return to_ordinal(value, element)
            raise Unsupported(f"number form {form}")
        return format_number

    def c_number(self, element: Any) -> Render | None:
        variable = element.get("variable")
        if variable == "locator":
            raise Unsupported("locator")
        process = self.number_process(element, text=False)
        markup = self.markup(element)
        key = "page" if variable == "page-first" else variable
        if key not in self.shape.present:  # CustomDict lookup with the variable's own name
            return None

        def render(item: Item, sort_options: Any) -> Any:
            return markup(process(item.ref[key], variable))
        return render

    # cs:label ----------------------------------------------------------------------------------------------------
    def label_terms(self, element: Any, variable: str) -> tuple[Any, Any]:
        form = element.get("form", "long")
        form_arg = form if form != "long" else None
        return (Rich(str(self.term(element, variable, form_arg))),
                Rich(str(self.term(element, variable, form_arg, plural=True))))

    def markup(self, element: Any) -> Callable[[Any], Any]:
        """A number's or label's text as the element formats it (None when it is empty): strip-periods,
        text-case, font formatting, affixes."""
        return self.once("markup", element, partial(self._markup, element))  # type: ignore[no-any-return]

    def _markup(self, element: Any) -> Callable[[Any], Any]:
        strip = self.stripper(element)
        case = self.case(element, None)
        formatter = _formatter(element)
        wrap = _Affixes(element, self.piq).wrapper

        def markup(text: Any) -> Any:
            if not text:
                return None
            if strip is not None:
                text = strip(text)
            if case is not _same:
                text = case(text, None)
            if formatter is not None:
                text = formatter(text)
            return wrap(text) if wrap is not None else text
        return markup

    def label_choice(self, element: Any) -> Callable[[bool], bool]:
        option = element.get("plural", "contextual")
        return lambda plural: (option == "contextual" and plural) or option == "always"

    def c_label(self, element: Any) -> Render:
        return self.once("label", element, partial(self._label, element))  # type: ignore[no-any-return]

    def _label(self, element: Any) -> Render:
        variable = element.get("variable") or ""
        if variable == "locator" or variable.startswith("number-of") or not variable:
            raise Unsupported(f"label of {variable or 'nothing'}")
        single, multiple = self.label_terms(element, variable)
        markup = self.markup(element)
        choice = self.label_choice(element)
        key = variable.replace("-", "_")

        def render(item: Item, sort_options: Any) -> Any:
            value = item.ref.get(key)
            plural = value is not None and is_plural(str(value))
            return markup(multiple if choice(plural) else single)
        return render

    # cs:group, cs:choose -------------------------------------------------------------------------------------------
    def c_group(self, element: Any) -> _Node | None:
        delimiter = element.get("delimiter", "")
        children: list[tuple[_Node, bool]] = []
        called = False  # a child calls a variable (printed or not for this shape)
        for child in element.iterchildren():
            if not isinstance(child.tag, str):
                continue
            if _local(child) == "choose":  # it calls the variables of the branch this shape takes (as citeproc-js)
                branch = self.branch(child)
                calls = branch is not None and bool(branch.calls_variable())
            else:
                calls = bool(child.calls_variable())
            called = called or calls
            node = self.choose(child, delimiter) if _local(child) == "choose" else self.element(child)
            if node is not None:
                children.append((node, calls))
        if not children or (called and not any(calls for _, calls in children)):
            return None  # nothing, or nothing but terms where a variable was called: never printed
        formatter = _formatter(element)
        affixes = _Affixes(element, self.piq)
        track = called and not all(calls for _, calls in children)
        return _Group(children, track, join_step(delimiter, self.piq), formatter, affixes.wrapper)

    def c_choose(self, element: Any) -> _Node | None:
        """A cs:choose rendered on its own (a child of cs:substitute): no delimiter handed down."""
        return self.choose(element, "")

    def branch(self, element: Any) -> Any:
        """The cs:if / cs:else-if / cs:else of a cs:choose this shape of item takes (None: none)."""
        for child in element.iterchildren():
            if not isinstance(child.tag, str):
                continue
            if _local(child) == "else" or self.condition(child):
                return child
        return None

    def choose(self, element: Any, delimiter: str) -> _Node | None:
        """The branch this shape of item takes (conditions depend on type, variables and numbers only)."""
        branch = self.branch(element)
        return self.render_children(branch, delimiter) if branch is not None else None

    def condition(self, element: Any) -> bool:
        """``If.render``'s test for this shape (``match`` over all the tests' results, as citeproc-py)."""
        shape = self.shape
        results: list[bool] = []
        if "type" in element.attrib:
            results += [t.lower() == shape.type for t in element.get("type").split()]
        if "variable" in element.attrib:
            results += [v != "locator" and v.replace("-", "_") in shape.present
                        for v in element.get("variable").split()]
        if "is-numeric" in element.attrib:
            results += [v.replace("-", "_") in shape.numeric for v in element.get("is-numeric").split()]
        if "is-uncertain-date" in element.attrib:  # dates with circa are not compiled
            results += [False] * len(element.get("is-uncertain-date").split())
        if "locator" in element.attrib:
            results += [False] * len(element.get("locator").split())
        if "position" in element.attrib:
            results.append(False)  # in the bibliography
        match = element.get("match")
        if match == "any":
            return any(results)
        if match == "none":
            return not any(results)
        return all(results)

    # cs:date -------------------------------------------------------------------------------------------------------
    def c_date(self, element: Any) -> Render | None:
        form = element.get("form")
        variable = element.get("variable")
        key = variable.replace("-", "_")
        if key not in self.shape.present:
            return None
        show = ["year", "month", "day"]
        piq = self.piq
        if form is not None:
            localized = element.get_date(form)
            if element.get("date-parts") is not None:
                show = element.get("date-parts").split("-")
            source = localized
            context = element
            if any(_local(c) == "date-part" for c in element.iterchildren() if isinstance(c.tag, str)):
                raise Unsupported("localized date with its own date parts")
        else:
            source = element
            context = None
        delimiter = element.get("delimiter", "")  # the style's date joins and wraps (style_context)
        wrap = _Affixes(element, piq).wrapper
        joined = joiner(delimiter, piq)
        parts = [self.date_part(part, context) for part in source.iterchildren()
                 if isinstance(part.tag, str) and part.get("name") in show]

        def render(item: Item, sort_options: Any) -> Any:
            date = item.ref[key]
            output = []
            for part in parts:
                text = part(date)
                if text is not None:
                    output.append(text)
            if not output:
                return None
            return wrap(joined(output)) if wrap is not None else joined(output)
        return render

    def date_part(self, element: Any, context: Any) -> Callable[[_Date], Any]:
        return self.once("date part", (element, context),  # type: ignore[no-any-return]
                         partial(self._date_part, element, context))

    def _date_part(self, element: Any, context: Any) -> Callable[[_Date], Any]:
        name = element.get("name")
        attrib = dict(element.attrib)
        term_source = context if context is not None else element
        form_default = {"day": "numeric", "month": "long", "year": "long"}.get(name)
        form = attrib.get("form", form_default)
        strip = self.stripper(element)
        case = self.case(element, None)
        formatter = _formatter(element)
        wrap = _Affixes(element, self.piq).wrapper
        if name == "day" and (strip is not None or element.get("text-case")):
            raise Unsupported("strip-periods or text-case on a day")
        if name == "day":
            if form == "ordinal":
                def value(date: _Date) -> Any:
                    if date.day is None:
                        return None
                    if term_source.get_locale_option("limit-day-ordinals-to-day-1").lower() == "true" \
                            and date.day > 1:
                        return date.day
                    return to_ordinal(date.day, term_source)
            elif form in ("numeric", "numeric-leading-zeros"):
                leading = form == "numeric-leading-zeros"

                def value(date: _Date) -> Any:
                    if date.day is None:
                        return None
                    return f"{date.day:02}" if leading else date.day
            else:
                raise Unsupported(f"day form {form}")
        elif name == "month":
            if form in ("long", "short"):
                terms = {m: Rich(str(term_source.get_single_term(name=f"month-{m:02}",
                                                                  form="short" if form == "short" else None)))
                         for m in range(1, 13)}

                def value(date: _Date) -> Any:
                    if date.month is None:
                        return None
                    return terms[date.month]
            elif form in ("numeric", "numeric-leading-zeros"):
                leading = form == "numeric-leading-zeros"

                def value(date: _Date) -> Any:
                    if date.month is None:
                        return None
                    return f"{date.month:02}" if leading else f"{date.month}"
            else:
                raise Unsupported(f"month form {form}")
        elif name == "year":
            if form == "long":
                def value(date: _Date) -> Any:
                    return str(abs(date.year))  # years 1000-9999 only: no AD/BC terms
            elif form == "short":
                def value(date: _Date) -> Any:
                    return str(date.year)[-2:]
            else:
                raise Unsupported(f"year form {form}")
        else:
            raise Unsupported(f"date part {name}")

        def render(date: _Date) -> Any:
            text = value(date)
            if not text:
                return None
            if strip is not None:
                text = strip(text)
            if case is not _same:
                text = case(text, None)
            if formatter is not None:
                text = formatter(text)
            elif isinstance(text, int):
                text = str(text)
            return wrap(text) if wrap is not None else text
        return render

    # cs:names ------------------------------------------------------------------------------------------------------
    def c_names(self, element: Any, names_context: Any = None) -> Render | None:
        context_element = names_context if names_context is not None else element
        roles = element.get("variable").split()
        if set(roles) == {"editor", "translator"} and {"editor", "translator"} <= self.shape.present:
            raise Unsupported("editor and translator")
        roles = [role for role in roles if role in self.shape.present]
        name_element = context_element.find(f"{_NS}name")
        if name_element is None:
            raise Unsupported("cs:names without cs:name")
        name = self.name(name_element)
        label_element = context_element.find(f"{_NS}label")
        label = None
        label_first = False
        if label_element is not None:
            label = self.names_label(label_element)
            label_first = label_element is context_element.getchildren()[0]
        substitute_element = element.find(f"{_NS}substitute")
        substitute = None
        if not roles:
            if substitute_element is None:
                return None
            substitute = self.substitute(substitute_element, element)
            if substitute is None:
                return None
        delimiter = element.get("delimiter", self.inherited("names-delimiter"))
        formatter = _formatter(element)
        affixes = _Affixes(element, self.piq)
        piq = self.piq
        role_keys = [(role, role) for role in roles]
        names_tag = element.tag

        def render(item: Item, sort_options: Any) -> Any:
            output = []
            repressed = item.repressed.get(names_tag)
            blocked = repressed_roles(repressed) if repressed else ()  # printed by a substitution already
            for role, key in role_keys:
                if key in item.ref and role not in blocked:
                    text = name(item.ref[key], sort_options)
                    if label is not None:
                        tag = label(role, len(item.ref[key]) > 1)
                        if tag is not None:
                            if text is None:
                                raise Unsupported("label without names")
                            text = cat(tag, text) if label_first else cat(text, tag)
                    output.append(text)
            if output:
                if any(t is None for t in output):
                    raise Unsupported("empty names")
                text = join(output, delimiter, piq)
            elif substitute is None:  # every name of it was printed by a substitution
                return None
            else:
                text = substitute(item, sort_options)
            if not text:
                return None
            if formatter is not None:
                text = formatter(text)
            return affixes.wrap(text)
        return render

    def names_label(self, element: Any) -> Callable[[str, bool], Any]:
        return self.once("names label", element, partial(self._names_label, element))  # type: ignore[no-any-return]

    def _names_label(self, element: Any) -> Callable[[str, bool], Any]:
        markup = self.markup(element)
        choice = self.label_choice(element)
        terms: dict[str, tuple[Any, Any]] = {}

        def label(role: str, plural: bool) -> Any:
            if role not in terms:
                terms[role] = self.label_terms(element, role)
            single, multiple = terms[role]
            return markup(multiple if choice(plural) else single)
        return label

    def substitute(self, element: Any, names: Any) -> Render | None:
        children = []
        for child in element.iterchildren():
            if not isinstance(child.tag, str):
                continue
            if _local(child) == "names" and child.find(f"{_NS}name") is None:
                render = self._guard(partial(self.c_names, child, names_context=names))
            else:
                render = self.render(child)
            extra = []
            if child.get("macro"):
                from .citeproc_fixes import _macro_variables  # the repressed titles of a substituted macro

                extra = [(tag, variable) for tag, variable in
                         self.once("macro variables", child, partial(_macro_variables, child, set()))
                         if variable in ("title", "title-short")]
            if render is not None:
                children.append((render, child.tag, child.get("variable"), extra))
        if not children:
            return None

        def substitute(item: Item, sort_options: Any) -> Any:
            text = None
            for render, tag, variable, extra in children:
                text = render(item, sort_options)
                if text:
                    item.repressed.setdefault(tag, []).append(variable)
                    for other_tag, other in extra:
                        item.repressed.setdefault(other_tag, []).append(other)
                    break
            return text
        return substitute

    def _guard(self, build: Callable[[], Render | None]) -> Render | None:
        try:
            return build()
        except Unsupported as reason:
            return _unsupported(str(reason))

    def name(self, element: Any) -> Callable[[list[dict[str, str]], Any], Any]:
        """``Name.render`` (process + markup) with citeproc_fixes' name patches."""
        return self.once("name", element, partial(self._name, element))  # type: ignore[no-any-return]

    def _name(self, element: Any) -> Callable[[list[dict[str, str]], Any], Any]:
        bibliography = self.bibliography

        def option(name: str) -> Any:
            if name in ("form", "delimiter"):
                return element.get(name, bibliography.get_option("name-" + name))
            return element.get(name, bibliography.get_option(name))

        static = {name: option(name) for name in (
            "and", "delimiter", "delimiter-precedes-et-al", "delimiter-precedes-last", "et-al-min",
            "et-al-use-first", "et-al-use-last", "initialize-with", "name-as-sort-order", "sort-separator",
            "form", "demote-non-dropping-particle")}
        hyphen = str(element.get("initialize-with-hyphen",
                                 bibliography.get_option("initialize-with-hyphen"))).lower() == "true"
        initialize_false = str(element.get("initialize", "true")).lower() == "false"
        and_text = Rich(str(self.term(element, "and")))
        et_al_element = element.getnext()
        while et_al_element is not None and not isinstance(et_al_element.tag, str):
            et_al_element = et_al_element.getnext()
        if et_al_element is not None and _local(et_al_element) == "et-al":
            term = Rich(str(self.term(et_al_element, et_al_element.get("term", "et-al"))))
            et_al_format = _formatter(et_al_element)
            et_al_affixes = _Affixes(et_al_element, self.piq)
            et_al: Any = et_al_affixes.wrap(et_al_format(term) if et_al_format else term) if term else None
        elif et_al_element is not None and element.xpath("./following-sibling::cs:et-al",
                                                         namespaces={"cs": _NS[1:-1]}):
            raise Unsupported("cs:et-al not right after cs:name")
        else:
            et_al = Rich(str(self.term(element, "et-al")))
        parts_formatters = []
        for part in element.findall(f"{_NS}name-part"):
            parts_formatters.append((part.get("name"), self.case(part, None), _formatter(part),
                                     _Affixes(part, self.piq)))
        formatter = _formatter(element)
        affixes = _Affixes(element, self.piq)
        piq = self.piq
        own_delimiter = element.get("delimiter", ", ")  # Delimited.join(output, ", ") prefers the attribute

        def options(sort_options: Any) -> dict[str, Any]:
            found = dict(static)
            if sort_options:
                found.update(sort_options)
            for key in ("et-al-min", "et-al-use-first"):
                found[key] = int(found[key])
            found["et-al-use-last"] = str(found["et-al-use-last"]).lower() == "true"
            return found

        normal = options(None)

        def format_parts(given: Any, family: Any) -> tuple[Any, Any]:
            for part_name, case, part_format, part_affixes in parts_formatters:
                if part_name == "given":
                    if given is None:
                        raise Unsupported("name-part of a missing given name")
                    text = case(given, None)
                    given = part_affixes.wrap(part_format(text) if part_format else text)
                elif part_name == "family":
                    if family is None:
                        raise Unsupported("name-part of a missing family name")
                    text = case(family, None)
                    family = part_affixes.wrap(part_format(text) if part_format else text)
            return given, family

        people: dict[tuple[Any, ...], Any] = {}  # (first in sort order?, *name parts) -> the person's text

        def render(names: list[dict[str, str]], sort_options: Any) -> Any:
            o = options(sort_options) if sort_options else normal
            initialize_with = o["initialize-with"]
            form = o["form"]
            et_al_min, use_first, use_last = o["et-al-min"], o["et-al-use-first"], o["et-al-use-last"]
            delimiter = o["delimiter"]
            if form == "count":
                raise Unsupported("name form count")
            truncate = len(names) > 1 and et_al_min and len(names) >= et_al_min
            last = use_last and use_first <= et_al_min - 2
            if truncate:
                names = [*names[:use_first], names[-1]] if last else names[:use_first]
            output = []
            sort_order = o["name-as-sort-order"]
            demote = o["demote-non-dropping-particle"]
            separator = o["sort-separator"]
            memo = people if not sort_options else None  # one person's text, for the style's own options
            for i, person in enumerate(names):
                if memo is not None:
                    memo_key = (sort_order == "first" and i == 0, *person.items())
                    known = memo.get(memo_key)
                    if known is not None:
                        output.append(known)
                        continue
                given: Any
                family: Any
                if "literal" in person:
                    given, family, dropping, non_dropping, suffix = None, person["literal"], None, None, None
                else:
                    given, family = person.get("given"), person.get("family")
                    dropping, non_dropping = person.get("dropping-particle"), person.get("non-dropping-particle")
                    suffix = person.get("suffix")
                    if suffix and initialize_with is not None:
                        suffix = _normalize_initials(str(suffix), initialize_with)
                if given is not None and initialize_with is not None:
                    given = (_normalize_initials(given, initialize_with) if initialize_false
                             else _initialize_given(given, initialize_with, hyphen))
                if form == "long":
                    if sort_order == "all" or (sort_order == "first" and i == 0):
                        if demote in ("never", "sort-only"):
                            family = " ".join([n for n in (non_dropping, family) if n])
                            given = " ".join([n for n in (given, dropping) if n])
                        else:
                            given = " ".join([n for n in (given, dropping, non_dropping) if n])
                        given, family = format_parts(given, family)
                        text = separator.join([n for n in (family, given, suffix) if n])
                    else:
                        family = " ".join([n for n in (dropping, non_dropping, family) if n])
                        given, family = format_parts(given, family)
                        text = " ".join([n for n in (given, family, suffix) if n])
                elif form == "short":
                    family = " ".join([n for n in (non_dropping, family) if n])
                    given, family = format_parts(given, family)
                    text = family
                else:
                    raise Unsupported(f"name form {form}")
                if memo is not None:
                    if len(memo) >= _PEOPLE_MEMO:
                        memo.clear()
                    memo[memo_key] = text
                output.append(text)
            if truncate and et_al:
                if last:
                    output[-1] = "\u2026 " + output[-1]
                    text = join(output, delimiter, piq)
                elif o["delimiter-precedes-et-al"] == "always" or (
                        o["delimiter-precedes-et-al"] == "contextual" and len(output) >= 2):
                    output.append(et_al)
                    text = join(output, delimiter, piq)
                else:
                    text = cat(cat(join(output, delimiter, piq), " "), et_al)
            elif o["and"] is not None and len(output) > 1:
                and_term = and_text if o["and"] == "text" else "&"
                text = join(output[:-1], own_delimiter, piq)
                precedes = o["delimiter-precedes-last"]
                if precedes == "always" or (precedes == "contextual" and len(output) > 2):
                    text = join([text, ""], own_delimiter, piq)
                else:
                    text = cat(text, " ")
                text = cat(text, cat(f"{and_term} ", output[-1]))
            else:
                text = join(output, delimiter, piq)
            if not text:
                return None
            if formatter is not None:
                text = formatter(text)
            return affixes.wrap(text)
        return render


_PEOPLE_MEMO = 20000  # names remembered per cs:name of a compiled shape (cleared when full)


@lru_cache(maxsize=65536)
def _initialize_given(given: str, mark: str, hyphen: bool) -> str:
    return initialize_given(given, mark, hyphen)


@lru_cache(maxsize=65536)
def _normalize_initials(name: str, mark: str) -> str:
    return normalize_initials(name, mark)


@lru_cache(maxsize=65536)
def _last_page(first: str, last: str, range_format: str) -> str:
    return last_page(first, last, range_format)


@lru_cache(maxsize=65536)
def _title_case(text: str) -> str:
    return title_case(text)


@lru_cache(maxsize=65536)
def _quoted_text(text: str, quoted: bool) -> str:
    return quoted_text(text, quoted)


def _same(text: Any, language: Any) -> Any:
    """A case step that changes nothing (no text-case, not a quoting variable)."""
    return text


def _as_is(text: Any, language: str) -> Any:
    """A cs:text markup that changes nothing but an empty value into None."""
    return text if text else None


def _looked_up(elements: Iterable[Any]) -> frozenset[str]:
    """The names the compiler may look up in a shape's variables for these elements: each variable as written and
    in Python form, and its short form (page-first looks up page)."""
    names: set[str] = set()
    for element in elements:
        if isinstance(element.tag, str):
            for v in (element.get("variable") or "").split():
                names.update((v, v.replace("-", "_"), (v + "-short").replace("-", "_")))
                if v.startswith("page"):
                    names.add("page")
    return frozenset(names)


def _numeric_tested(elements: Iterable[Any]) -> frozenset[str]:
    """The variables (in Python form) these elements' conditions test for being numeric."""
    return frozenset(v.replace("-", "_") for element in elements if isinstance(element.tag, str)
                     for v in (element.get("is-numeric") or "").split())


def _macro_depends(root: Any) -> dict[str, tuple[bool, frozenset[str], frozenset[str]] | None]:
    """For each macro of the style, what its compiled form depends on, with the macros it calls: whether a
    condition tests the type, the variables it looks up and those tested for being numeric; None for a macro that
    calls, or calls a macro that calls, itself (its form then depends on where the compiling started). Each macro's
    elements are read once."""
    own: dict[str, tuple[bool, frozenset[str], frozenset[str], frozenset[str]]] = {}
    for macro in root.iterchildren(f"{_NS}macro"):
        elements = [element for element in macro.iter() if isinstance(element.tag, str)]
        own[macro.get("name")] = (
            any("type" in element.attrib for element in elements), _looked_up(elements), _numeric_tested(elements),
            frozenset(called for element in elements if (called := element.get("macro")) is not None))

    def reached(name: str) -> set[str]:  # the macros ``name`` calls, directly or not
        found: set[str] = set()
        stack = [name]
        while stack:
            for called in own[stack.pop()][3]:
                if called in own and called not in found:
                    found.add(called)
                    stack.append(called)
        return found

    closure = {name: reached(name) for name in own}
    cyclic = {name for name, found in closure.items() if name in found}
    depends: dict[str, tuple[bool, frozenset[str], frozenset[str]] | None] = {}
    for name, found in closure.items():
        group = found | {name}
        if group & cyclic:
            depends[name] = None
            continue
        depends[name] = (any(own[m][0] for m in group), frozenset().union(*(own[m][1] for m in group)),
                         frozenset().union(*(own[m][2] for m in group)))
    return depends


def _fail(what: str) -> Any:
    raise Unsupported(what)


def _unsupported(reason: str) -> Render:
    def render(item: Item, sort_options: Any, *delimiter: Any) -> Any:
        raise Unsupported(reason)
    return render


class CompiledStyle:
    """One compiled style: :meth:`render` gives what citeproc-py's bibliography gives for one CSL-JSON item
    (the entry as ``str(entry)``, None when nothing renders) or raises :class:`Unsupported`; :meth:`sort_keys`
    the keys of the style's cs:sort as citeproc-py computes them (``citeproc.model.Key.sort_keys``).
    The style is compiled once per :class:`Shape` of item (a few dozen shapes cover a library)."""

    _MAX_SHAPES = 4096

    def __init__(self, root: Any, piq: bool, formatter: Any) -> None:
        root.formatter = formatter  # what citeproc-py's bibliography sets: terms are preformatted with it
        self._root = root
        self._piq = piq
        self._default_language = (root.get("default-locale") or "en")[:2]
        self._numeric = _numeric_tested(root.iter())
        # every name the compiler may look up in a shape's variables (the style's variables as written, in Python
        # form and short, page for page-first); an item's other variables change nothing, so they are left out of
        # its shape (on the real corpus, about half as many shapes to compile)
        self._referenced = _looked_up(root.iter())
        bibliography = root.find(f"{_NS}bibliography")
        sort = bibliography.find(f"{_NS}sort")
        self._sort = list(sort.findall(f"{_NS}key")) if sort is not None else []
        self.descending = [key.get("sort", "ascending").lower() == "descending" for key in self._sort]
        self._shapes: dict[Shape, tuple[Callable[[Item], Any], list[Callable[[Item], Any]]]] = {}
        self._lookups: dict[str, dict[Any, Any]] = {}  # the style tree's xpath answers, kept from shape to shape
        self._memo: dict[Any, Any] = {}  # what the compiler makes from the style alone (_Compiler.once)

    @property
    def language(self) -> str:
        """The style's default language: an :class:`Item` read for one style serves another with the same."""
        return self._default_language

    def item(self, data: dict[str, Any]) -> Item:
        return Item(data, self._default_language)

    def _compiled(self, item: Item) -> tuple[Callable[[Item], Any], list[Callable[[Item], Any]]]:
        ref = item.ref
        numbers = item.numbers
        numeric = []
        for k in self._numeric:
            if k in ref:
                number = numbers.get(k)
                if number is None:
                    number = numbers[k] = is_numeric(str(ref[k]))
                if number:
                    numeric.append(k)
        shape = Shape(item.type, item.present & self._referenced, frozenset(numeric))
        found = self._shapes.get(shape)
        if found is None:
            if len(self._shapes) >= self._MAX_SHAPES:  # the compiled macros go with them (the rest is per style)
                self._shapes.clear()
                for key in [k for k in self._memo if type(k) is tuple and k[0] == "macro"]:
                    del self._memo[key]
            try:
                with memoized_xpath(self._lookups):
                    compiler = _Compiler(self._root, self._piq, shape, self._memo)
                    layout = compiler.layout(compiler.bibliography.find(f"{_NS}layout"))
                    keys = [_sort_key(compiler, key) for key in self._sort]
            except Exception as error:  # kept as failed: the shape's next items do not compile it again
                reason = f"{shape.type} shape not compiled ({type(error).__name__}: {error})"
                layout = _unsupported_key(reason)  # (a layout, like a key, takes the item alone)
                keys = [_unsupported_key(reason) for _ in self._sort]
            found = self._shapes[shape] = (layout, keys)
        return found

    def render(self, data: dict[str, Any] | Item) -> str | None:
        item = data if isinstance(data, Item) else Item(data, self._default_language)
        layout, _ = self._compiled(item)
        item.repressed = {}
        text = layout(item)
        return None if text is None else str(text)

    def sort_keys(self, data: dict[str, Any] | Item) -> list[Any]:
        item = data if isinstance(data, Item) else Item(data, self._default_language)
        _, keys = self._compiled(item)
        return [key(item) for key in keys]


def _sort_key(compiler: _Compiler, key: Any) -> Callable[[Item], Any]:
    if "variable" in key.attrib:
        variable = key.get("variable").replace("-", "_")
        if variable in NAMES or variable == "citation_number":
            return _unsupported_key(f"sort by {variable}")
        if variable in DATES:
            def date_key(item: Item) -> Any:
                date = item.ref.get(variable)
                if date is None:
                    return None
                return f"{date.year + 10000:05}{date.month or 0:02}{date.day or 0:02}"
            return date_key
        return lambda item: item.ref.get(variable)  # numbers too: citeproc-py's _format_number falls back to it
    if "macro" in key.attrib:
        sort_options = {"name-as-sort-order": "all"}
        for option in ("names-min", "names-use-first", "names-use-last"):
            if option in key.attrib:
                sort_options[option.replace("names", "et-al")] = key.get(option)
        macro = _closure(compiler.macro(key.get("macro")), f"{compiler.shape.type} sort {key.get('macro')}")
        if macro is None:
            return lambda item: None

        def macro_key(item: Item) -> Any:
            item.repressed = {}
            text = macro(item, sort_options)
            if text is not None and "\u03a3" in text:  # final sigma: str.lower of one segment or many may differ
                raise Unsupported("capital sigma in a sort key")
            return text
        return macro_key
    return _unsupported_key("sort key without variable or macro")


def _unsupported_key(reason: str) -> Callable[[Item], Any]:
    def key(item: Item) -> Any:
        raise Unsupported(reason)
    return key


def sort_order(keys: list[list[Any]], descending: list[bool]) -> list[int]:
    """Positions in the order of citeproc-py's ``Sort.sort`` (``multi_key_sort``: None last, keys lower-cased,
    compared as integers when both are), for the keys of each item; stable."""
    from functools import cmp_to_key

    def compare(left: tuple[int, list[Any]], right: tuple[int, list[Any]]) -> int:
        for i, desc in enumerate(descending):
            left_key, right_key = left[1][i], right[1][i]
            if left_key is not None and right_key is not None:
                try:
                    left_key = str(left_key.lower())
                    right_key = str(right_key.lower())
                except AttributeError:
                    pass
                with contextlib.suppress(ValueError):
                    left_key, right_key = int(str(left_key)), int(str(right_key))
                result = (left_key > right_key) - (left_key < right_key)
                if result:
                    return -1 * result if desc else result
            elif left_key is not None:
                return -1
            elif right_key is not None:
                return 1
        return 0

    ordered = sorted(enumerate(keys), key=cmp_to_key(compare))
    return [position for position, _ in ordered]


def compile_style(root: Any, piq: bool, formatter: Any) -> CompiledStyle:
    return CompiledStyle(root, piq, formatter)
