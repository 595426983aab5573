"""Lossless BibTeX text layer: split a file into chunks, parse chunks into blocks, render edited entries.

The store cuts a file into *chunks* at every line that starts with ``@`` (see :mod:`library.index`) and parses
each chunk on its own (raw values kept: no middleware), which makes parsing cacheable per chunk. bibtexparser
defines what the blocks are (:func:`parse_blocks`); :func:`parse_chunk` gives the same blocks several times faster
through an exact re-implementation of its splitter, falling back to bibtexparser for anything unusual.

Nothing here decodes LaTeX or knows the record model: blocks carry raw field values with their delimiters.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import bibtexparser
from bibtexparser import model as bpmodel

__all__ = [
    "MONTH_MACROS",
    "Block",
    "expand_value",
    "parse_blocks",
    "parse_chunk",
    "parse_chunk_fast",
    "render_entry",
    "with_fields_appended",
]

logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

MONTH_MACROS = {m[:3].lower(): m for m in (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December")}


@dataclass(slots=True)
class Block:
    """One BibTeX block inside a chunk; offsets are relative to the chunk text, ``line`` is 0-based in it."""

    kind: str  # entry | string | preamble | comment | malformed
    start: int
    end: int
    line: int
    key: str = ""
    entry_type: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)  # (name as written, raw value with delimiters)
    error: str = ""
    # what library.fields.plain_values says of the entry's values (macros expanded) once a record was read from
    # it (None: not known); a save uses it (see Library.set_fields)
    plain: bool | None = field(default=None, compare=False, repr=False)


def _block_from(parsed: bpmodel.Block, start: int, end: int, line: int) -> Block | None:
    if isinstance(parsed, bpmodel.Entry):
        return Block(
            "entry", start, end, line, key=parsed.key, entry_type=parsed.entry_type,
            fields=[(f.key, f.value) for f in parsed.fields],
        )
    if isinstance(parsed, bpmodel.String):
        return Block("string", start, end, line, key=parsed.key, fields=[(parsed.key, parsed.value)])
    if isinstance(parsed, bpmodel.Preamble):
        return Block("preamble", start, end, line)
    if isinstance(parsed, bpmodel.ExplicitComment):
        return Block("comment", start, end, line)
    if isinstance(parsed, bpmodel.ParsingFailedBlock):
        message = str(getattr(parsed, "error", "") or "syntax error")
        return Block("malformed", start, end, line, error=message.strip().splitlines()[0] if message else "")
    return None  # implicit comments are kept as the text between blocks


def parse_blocks(text: str) -> list[Block]:
    """Parse one chunk of BibTeX text into blocks with offsets relative to ``text``."""
    library = bibtexparser.parse_string(text, parse_stack=[])
    blocks: list[Block] = []
    position = 0
    line_offsets: list[int] | None = None
    for parsed in library.blocks:
        raw = parsed.raw
        if not raw or isinstance(parsed, bpmodel.ImplicitComment):
            continue
        found = text.find(raw, position)
        if found < 0:  # should not happen; keep the rest of the chunk verbatim as malformed
            if line_offsets is None:
                line_offsets = [0] + [m.end() for m in re.finditer("\n", text)]
            line = parsed.start_line or 0
            found = line_offsets[min(line, len(line_offsets) - 1)]
            blocks.append(Block("malformed", found, len(text), line, error="unparseable text"))
            break
        block = _block_from(parsed, found, found + len(raw), text.count("\n", 0, found))
        if block is not None:
            blocks.append(block)
        position = found + len(raw)
    return blocks


# --- a fast, exact re-implementation of bibtexparser's splitter for the common case -----------------------------
# bibtexparser walks its "marks" (``{ } " , =`` not preceded by a backslash, and block starts ``@type{``) one by
# one in Python. The functions below follow exactly the same state machine, but jump to the next character that
# matters in the current state with a plain character-class search (inside braces only braces matter, inside
# quotes only quotes, ...), and read a whole simple field with one regular expression. Whatever this port does
# not cover - ``(``-delimited blocks, syntax errors, duplicate keys - raises _Unsure, and the caller falls back
# to bibtexparser itself, so the blocks are always exactly what :func:`parse_blocks` gives. It follows the
# splitter of bibtexparser 2.1; tests/test_bibfile_split.py checks it against the installed version (corpus
# chunks, mutated chunks and generated entries).

_BLOCK_START = re.compile(r"@\w*[ \t]*(?=[{(])")  # bibtexparser's block-start mark
_ALL = re.compile(r'[{}",=@]').search
_VALUE = re.compile(r'[{}",@]').search  # in a value outside braces and quotes ('=' is ignored there)
_BRACES = re.compile(r"[{}@]").search  # inside braces, and in free-text blocks
_QUOTES = re.compile(r'["@]').search  # inside a quoted value
# A whole field, name = value then ',' or '}', read with one expression where the state machine would walk it
# mark by mark. A character after a backslash is never a mark, so a run of backslashes and the character after it
# are text (``\\+[^@\\]``). In the value (outside braces and quotes) '{', '"', ',' and '}' count, '=' and '#' are
# text; inside braces only braces count (four levels here); inside quotes only '"' counts, except in '{"}'. '@'
# (a possible block start) and whatever else the expression does not match go the long way (_entry_fields).
# Possessive runs: no backtracking. The value is what strip() leaves, as on the long way.
_TEXT_AFTER_BACKSLASH = r"\\++[^@\\]"
_BRACED = r"\{(?:[^{}@\\]++|" + _TEXT_AFTER_BACKSLASH + r")*+\}"
for _level in range(3):  # braces nested four deep ("{A {\\emph{B}}}" is three)
    _BRACED = r"\{(?:[^{}@\\]++|" + _TEXT_AFTER_BACKSLASH + "|" + _BRACED + r")*+\}"
# (in quotes a '"' right after a '{' - escaped or not - and before a '}' is text: a '{' is never the last thing
# read before the closing quote)
_QUOTED = r'"(?:[^"@\\{]++|\\++[^@\\{]|\\*+\{(?!")|\\*+\{"(?=\}))*+"'
_SIMPLE = re.compile(
    r'([^{}",=@]*)(?<!\\)=((?:[^{}",@\\]++|' + _TEXT_AFTER_BACKSLASH + "|" + _BRACED + "|" + _QUOTED + r")*+)([,}])"
).match


class _Unsure(Exception):
    """The splitter would abort here (a syntax error), or this port does not cover the case."""


def _mark(search: Callable[[str, int], re.Match[str] | None], text: str, pos: int) -> tuple[str, int]:
    """(character, offset) of the next mark that ``search`` looks for, at or after ``pos``."""
    while True:
        found = search(text, pos)
        if found is None:
            raise _Unsure  # end of text inside a block
        at = found.start()
        char = text[at]
        if char == "@":
            if _BLOCK_START.match(text, at):
                segment = text[text.rfind("\n", 0, at) + 1 : at]
                if not segment or segment.isspace():
                    raise _Unsure  # a block start at a line start aborts the current block
                return "@", at  # elsewhere it is content
        elif at == 0 or text[at - 1] != "\\":
            return char, at
        pos = at + 1


def _closing_brace(text: str, pos: int) -> int:
    """Offset of the '}' closing a block opened before ``pos`` (free text: only braces count)."""
    depth = 0
    while True:
        char, at = _mark(_BRACES, text, pos)
        pos = at + 1
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return at
            depth -= 1


def _value_end(text: str, pos: int) -> int:
    """Offset of the ',' or '}' that ends the field value starting at ``pos``."""
    while True:
        char, at = _mark(_VALUE, text, pos)
        pos = at + 1
        if char == "," or char == "}":
            return at
        if char == "{":
            depth = 1
            while depth:
                char, at = _mark(_BRACES, text, pos)
                pos = at + 1
                if char == "{":
                    depth += 1
                elif char == "}":
                    depth -= 1
        elif char == '"':
            while True:
                char, at = _mark(_QUOTES, text, pos)
                pos = at + 1
                if char == '"' and not (0 < at < len(text) - 2 and text[at - 1] == "{" and text[at + 1] == "}"):
                    break  # ({"} is a literal quote inside a quoted value)


def _entry_fields(text: str, pos: int) -> tuple[list[tuple[str, str]], int]:
    """Fields of an entry whose key ends just before ``pos``, and the offset after its closing '}'."""
    fields: dict[str, str] = {}
    count = 0  # fields read: more than in ``fields`` when a name came twice
    while True:
        simple = _SIMPLE(text, pos)
        if simple is not None:
            name, value, closer = simple.groups()
            fields[name.strip()] = value.strip()
            count += 1
            pos = simple.end()
            if closer == ",":
                continue
            pos -= 1  # (the '}' that closes the entry: its mark is found right there)
            char, equals = "}", pos
        else:
            char, equals = _mark(_ALL, text, pos)
        if char == "}":
            if text[pos:equals].strip():
                raise _Unsure  # a dangling name without '='
            if len(fields) != count:
                raise _Unsure  # duplicate field: bibtexparser reports a failed block
            return list(fields.items()), equals + 1
        if char != "=":
            raise _Unsure
        end = _value_end(text, equals + 1)
        fields[text[pos:equals].strip()] = text[equals + 1 : end].strip()
        count += 1
        pos = end + 1 if text[end] == "," else end


def _split(text: str) -> list[Block]:
    blocks: list[Block] = []
    entry_keys: set[str] = set()
    string_keys: set[str] = set()
    pos = line = counted = 0
    while True:
        start_mark = _BLOCK_START.search(text, pos)
        if start_mark is None:
            return blocks
        start, after = start_mark.span()
        if text[after] != "{":
            raise _Unsure  # (-delimited blocks have marks of their own
        line += text.count("\n", counted, start)
        counted = start
        kind = start_mark.group().lower()
        if kind.startswith(("@comment", "@preamble")):
            end = _closing_brace(text, after + 1) + 1
            blocks.append(Block("comment" if kind.startswith("@comment") else "preamble", start, end, line))
        elif kind.startswith("@string"):
            char, equals = _mark(_ALL, text, after + 1)
            if char != "=":
                raise _Unsure
            key = text[after + 1 : equals].strip()
            close = _closing_brace(text, equals + 1)
            if key in string_keys:
                raise _Unsure
            string_keys.add(key)
            end = close + 1
            blocks.append(Block("string", start, end, line, key=key, fields=[(key, text[equals + 1 : close].strip())]))
        else:
            char, comma = _mark(_ALL, text, after + 1)
            if char != "," and char != "}":
                raise _Unsure
            key = text[after + 1 : comma].strip()
            fields: list[tuple[str, str]] = []
            if char == "}":
                end = comma + 1
            else:
                fields, end = _entry_fields(text, comma + 1)
            if key in entry_keys:
                raise _Unsure
            entry_keys.add(key)
            blocks.append(Block("entry", start, end, line, key=key, entry_type=kind[1:].strip(), fields=fields))
        pos = end


def parse_chunk(text: str) -> list[Block]:
    """Exactly :func:`parse_blocks`, an order of magnitude faster on well-formed text."""
    try:
        return _split(text)
    except _Unsure:
        return parse_blocks(text)


def parse_chunk_fast(text: str) -> list[Block] | None:
    """The fast splitter alone: exactly :func:`parse_blocks`' blocks, or None where :func:`parse_chunk` would ask
    bibtexparser (syntax errors, ``(``-delimited blocks, duplicate keys or fields)."""
    try:
        return _split(text)
    except _Unsure:
        return None


_CONCAT_MARKS = re.compile(r'(?<!\\)[{}"#]')  # escaped braces and signs are text


def _split_concat(raw: str) -> list[str]:
    """Split ``a # "b" # {c}`` at the ``#`` signs that are outside braces and quotes."""
    parts, depth, quoted, last = [], 0, False, 0
    for match in _CONCAT_MARKS.finditer(raw):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            parts.append(raw[last : match.start()].strip())
            last = match.end()
    parts.append(raw[last:].strip())
    return parts


def expand_value(raw: str, macros: dict[str, str]) -> str:
    """A raw value (``{..}``, ``".."``, number, macro, or ``#`` concatenation) -> its text, macros expanded."""
    raw = raw.strip()
    if "#" not in raw:
        return _piece(raw, macros)
    return "".join(_piece(p, macros) for p in _split_concat(raw))


def _piece(raw: str, macros: dict[str, str]) -> str:
    if len(raw) >= 2 and ((raw[0] == "{" and raw[-1] == "}") or (raw[0] == '"' and raw[-1] == '"')):
        return raw[1:-1]
    lowered = raw.lower()
    if lowered in macros:
        return macros[lowered]
    if lowered in MONTH_MACROS:
        return MONTH_MACROS[lowered]
    return raw


_PREFIXES: dict[str, str] = {}  # field name -> "  name         = " (a few dozen names in practice)


def _prefix(name: str) -> str:
    prefix = _PREFIXES.get(name)
    if prefix is None:
        prefix = f"  {name:<12} = "
        if len(_PREFIXES) < 4096:
            _PREFIXES[name] = prefix
    return prefix


def render_entry(entry_type: str, key: str, fields: list[tuple[str, str]]) -> str:
    """The documented layout for new and edited entries (values given raw, with delimiters)."""
    body = ",\n".join([_prefix(name) + value for name, value in fields])
    return f"@{entry_type}{{{key},\n{body}\n}}" if fields else f"@{entry_type}{{{key}\n}}"


_APPENDABLE = re.compile(r"[a-z][a-z0-9_]*")  # field names and raw values appended without a parse (see below)
_APPENDABLE_VALUE = re.compile(r"\{[a-z0-9 ._:+-]*\}")


def with_fields_appended(text: str, block: Block, entry_type: str, added: list[tuple[str, str]]
                         ) -> tuple[str, Block] | None:
    """``render_entry(entry_type, block.key, block.fields + added)`` when ``text`` (the chunk holding ``block``)
    has the entry exactly as that function writes it without ``added``: the new fields are put before its closing
    line, and the block the new text parses into is known without parsing it (the same fields plus ``added``; a
    field of a plain name and a braced value of letters, digits, spaces and ``._:+-`` added after the last one
    changes nothing else the splitter sees, unless the last value ends in a backslash, which would escape the
    comma after it). None when the entry is not in that layout (or has no field, or its last value ends in a
    backslash), or an added name or value is not that simple: the caller renders the entry."""
    fields = block.fields
    if not fields or fields[-1][1].endswith("\\"):
        return None
    if not all(_APPENDABLE.fullmatch(name) and _APPENDABLE_VALUE.fullmatch(value) for name, value in added):
        return None
    old = render_entry(entry_type, block.key, fields)
    if len(old) != block.end - block.start or not text.startswith(old, block.start):
        return None
    new = old[:-2] + "".join([",\n" + _prefix(name) + value for name, value in added]) + "\n}"
    return new, Block("entry", block.start, block.start + len(new), block.line, key=block.key,
                      entry_type=block.entry_type, fields=[*fields, *added])
