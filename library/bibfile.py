"""Lossless BibTeX text layer: split a file into chunks, parse chunks into blocks, render edited entries.

The store cuts a file into *chunks* at every line that starts with ``@`` (see :mod:`library.index`) and parses
each chunk on its own with bibtexparser (raw values kept: no middleware), which makes parsing cacheable per chunk.

Nothing here decodes LaTeX or knows the record model: blocks carry raw field values with their delimiters.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import bibtexparser
from bibtexparser import model as bpmodel

__all__ = [
    "MONTH_MACROS",
    "Block",
    "expand_value",
    "parse_blocks",
    "render_entry",
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


_CONCAT_MARKS = re.compile(r'[{}"#]')


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


def render_entry(entry_type: str, key: str, fields: list[tuple[str, str]]) -> str:
    """The documented layout for new and edited entries (values given raw, with delimiters)."""
    body = ",\n".join(f"  {name:<12} = {value}" for name, value in fields)
    return f"@{entry_type}{{{key},\n{body}\n}}" if fields else f"@{entry_type}{{{key}\n}}"
