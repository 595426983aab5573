"""Text folded for matching: lower case without accents, so that "muller" finds "Müller", "sao paulo" finds "São
Paulo" and "CO2" finds "CO₂" — the same fold for the searched text (Arrow kernels, once per frame) and for what the
user types (Python), so that both sides always agree (tested character by character over the Basic Multilingual
Plane).

The fold: compatibility decomposition (NFKD: "ﬁ" -> "fi", "₂" -> "2", "é" -> "e" + a combining accent), combining
marks dropped, lower case, and the Latin letters that have no decomposition written as their usual ASCII spelling
("ß" -> "ss", "æ" -> "ae", "ø" -> "o", "ł" -> "l" ...). Rows that are pure ASCII only need the lower case, so the
Arrow path folds only the other rows.
"""

from __future__ import annotations

import unicodedata

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["LETTERS", "fold", "fold_array", "fold_words"]

# letters NFKD leaves whole, after lower-casing: their usual spelling in ASCII; and the final sigma, which Python
# and JavaScript write at a word's end when lower-casing and Arrow does not ("ΟΔΟΣ": "οδος" / "οδοσ")
LETTERS = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
           "ħ": "h", "ŧ": "t", "ŀ": "l", "ĸ": "k", "ſ": "s", "ς": "σ"}
_TABLE = str.maketrans(LETTERS)
_MARKS = r"\p{Mn}+"  # RE2: the nonspacing (combining) marks
_SPECIAL = "[" + "".join(LETTERS) + "]"


def fold(text: str) -> str:
    """``text`` folded for matching (see the module docstring)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return stripped.lower().translate(_TABLE)


def fold_words(text: str) -> str:
    """:func:`fold`, with runs of white space as one space (a typed query, a topic's name)."""
    return " ".join(fold(text).split())


def fold_array(values: pa.Array) -> pa.Array:
    """:func:`fold` of every string of ``values`` (no nulls; a plain array, not chunked), in Arrow kernels."""
    lowered = pc.utf8_lower(values)
    other = pc.invert(pc.string_is_ascii(values))
    if not pc.any(other).as_py():
        return lowered
    part = pc.utf8_normalize(pc.filter(values, other), "NFKD")
    part = pc.utf8_lower(pc.replace_substring_regex(part, _MARKS, ""))
    special = pc.match_substring_regex(part, _SPECIAL)
    if pc.any(special).as_py():
        rows = pc.filter(part, special)
        for letter, spelled in LETTERS.items():
            rows = pc.replace_substring(rows, letter, spelled)
        part = pc.replace_with_mask(part, special, rows)
    return pc.replace_with_mask(lowered, other, part)
