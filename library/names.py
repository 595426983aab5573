"""BibTeX name lists <-> :class:`Author`.

BibTeX names come in three shapes ("First von Last", "von Last, First", "von Last, Jr, First"); a name wrapped
whole in braces is a collective author ("{World Health Organization}") and must never be split into initials.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .latex import decode_latex, encode_latex
from .model import Author

__all__ = ["format_bibtex_names", "name_suffix", "parse_bibtex_names", "split_top_level"]

_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_SUFFIX = re.compile(r"(jr|sr|ii|iii|iv|2nd|3rd|4th)(\.?)", re.IGNORECASE)


def name_suffix(text: str) -> str:
    """A generational name suffix as references print it ('JR' -> 'Jr', 'iii' -> 'III', '3RD' -> '3rd', a
    period kept: 'Jr.'); '' when ``text`` is not one."""
    match = _SUFFIX.fullmatch(text.strip())
    if match is None:
        return ""
    word = match.group(1)  # a Roman numeral is upper case: never initials, never title case
    word = word.upper() if word[0] in "iI" else word.lower() if word[0].isdecimal() else word.capitalize()
    return word + match.group(2)


def _depth_mask(text: str) -> list[int]:
    depth, out = 0, []
    for char in text:
        if char == "{":
            depth += 1
        out.append(depth)
        if char == "}" and depth > 0:
            depth -= 1
    return out


def split_top_level(text: str, separator: re.Pattern[str]) -> list[str]:
    """Split on a separator pattern only where it is outside braces."""
    if "{" not in text:
        return list(separator.split(text))
    depths = _depth_mask(text)
    parts, last = [], 0
    for match in separator.finditer(text):
        if depths[match.start()] == 0 and depths[match.end() - 1] == 0:
            parts.append(text[last : match.start()])
            last = match.end()
    parts.append(text[last:])
    return parts


_COMMA = re.compile(r",")
_SPACE = re.compile(r"[\s~]+")


def _is_lower_word(word: str) -> bool:
    """BibTeX's von test: the first letter at brace depth 0 is lower case."""
    depth = 0
    for char in word:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char.isalpha() and depth == 0:
            return char.islower()
    return False


def _parse_one(name: str) -> Author:
    name = name.strip().strip(",").strip()
    if name.startswith("{") and name.endswith("}") and _depth_mask(name)[:-1].count(0) == 0:
        return Author(literal=decode_latex(name[1:-1]))
    if name.lower() == "others":
        return Author(literal="others")
    parts = [p.strip() for p in split_top_level(name, _COMMA)]
    if len(parts) >= 3:  # von Last, Jr, First
        jr, given = decode_latex(parts[1]), decode_latex(", ".join(parts[2:]))
        if not name_suffix(jr) and name_suffix(given):  # "Thompson, F. R., III": RIS's order (Last, First, Jr)
            jr, given = given, jr
        return Author(family=decode_latex(parts[0]), given=given, suffix=name_suffix(jr) or jr)
    if len(parts) == 2:
        return Author(family=decode_latex(parts[0]), given=decode_latex(parts[1]))
    words = [w for w in split_top_level(name, _SPACE) if w]
    if len(words) == 1:
        return Author(family=decode_latex(words[0]))
    # First von Last: "von" starts at the first lower-case word before the last word
    last_index = len(words) - 1
    von_start = next((i for i in range(last_index) if _is_lower_word(words[i])), last_index)
    given = " ".join(words[:von_start])
    family = " ".join(words[von_start:])
    return Author(family=decode_latex(family), given=decode_latex(given))


def parse_bibtex_names(raw: str) -> list[Author]:
    """Parse an ``author``/``editor`` value (LaTeX, outer delimiters removed) into Authors."""
    raw = raw.strip()
    if not raw:
        return []
    if "{" not in raw and "\\" not in raw and "~" not in raw and "--" not in raw and "$" not in raw:
        return [_parse_plain(part) for part in _AND.split(raw) if part.strip()]
    return [_parse_one(part) for part in split_top_level(raw, _AND) if part.strip()]


def _parse_plain(name: str) -> Author:
    """Fast path for names without braces or LaTeX (most names in real files)."""
    name = " ".join(name.split()).strip(",").strip()
    if name.count(",") == 1:
        family, given = name.split(",")
        return Author(family=family.strip(), given=given.strip())
    return _parse_one(name)


def format_bibtex_names(authors: list[Author], encode: Callable[[str], str] = encode_latex) -> str:
    """Authors -> an ``and``-joined BibTeX name list; collectives are braced so BibTeX keeps them whole.

    ``encode`` turns each name part into field text (LaTeX for exports, the store's escaping for the library).
    """
    out = []
    for author in authors:
        if author.literal == "others":
            out.append("others")
        elif author.literal:
            out.append("{" + encode(author.literal) + "}")
        elif author.suffix:  # "von Last, Jr, First" ("{}": no first name, so that the Jr part stays one)
            out.append(f"{encode(author.family)}, {encode(author.suffix)}, {encode(author.given) or '{}'}")
        elif author.given:
            out.append(f"{encode(author.family)}, {encode(author.given)}")
        else:
            out.append(encode(author.family))
    return " and ".join(out)

