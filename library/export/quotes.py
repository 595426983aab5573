"""Quotation marks inside a title, read the way citeproc-js reads them (its "flip-flop" of quotes).

A title may quote with straight double or single quotes ("'Open' questions", "the \"Pleurx\" catheter") or with
curly ones. citeproc-js pairs them: a quote opens after a space, "(" or the start, closes where the last open one
is closed; a single quote between letters or before a letter is an apostrophe ("women's", "'90s"); a quote that
pairs with nothing is printed as it is (an unpaired single quote as an apostrophe). Paired quotes are printed as
the style's outer quotes (“ ”) at the first level and inner quotes (‘ ’) inside them, alternating; the first quote
form seen in a title (double or single) is the outer one, and curly ‘…’ typed in a title stays inner. Inside text
the style itself quotes (MLA's article titles), every level is flipped: ‘…’ outside, “…” inside.

:func:`quoted_text` is a pure function on one string; the export gives titles to citeproc-py already quoted this
way, and the quoting of a style-quoted title flips them (library.export.citeproc_fixes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["quoted_text"]

_OUTER, _INNER = ("\u201c", "\u201d"), ("\u2018", "\u2019")
_OPENERS = {' "': ('"', "double"), " '": ("'", "single"), '("': ('"', "double"), "('": ("'", "single"),
            "\u201c": ("\u201d", "curly-double"), "\u2018": ("\u2019", "curly-single")}
_CLOSERS = ('"', "'", "\u201d", "\u2019")
_TAG = re.compile("(" + "|".join(re.escape(t) for t in (*_OPENERS, *_CLOSERS)).replace("\\ ", " ") + ")")
_LETTER = "[&a-zA-Z\u00c0-\u017f\u0370-\u03ff\u0400-\u052f]"
_APOSTROPHE = re.compile(f"({_LETTER})\u2019({_LETTER})")


@dataclass
class _Open:
    closer: str
    form: str
    pos: int


def _parse(text: str) -> tuple[list[str], list[str], list[bool]]:
    """(strings, tags, forced spaces) as citeproc-js's doppeler splits " " + text (len(strings) = len(tags) + 1)."""
    pieces = _TAG.split(" " + _APOSTROPHE.sub("\\1'\\2", text))
    strings, tags = pieces[0::2], pieces[1::2]
    forced: list[bool] = []
    for i in range(len(tags) - 1):
        if tags[i] in _OPENERS:
            if strings[i + 1] == "" and tags[i + 1] in ('"', "'"):
                tags[i + 1] = " " + tags[i + 1]
                forced.append(True)
            else:
                forced.append(False)
    return strings, tags, forced


def _apostrophe(tag: str, following: str) -> str | None:
    if tag == "'" and following and not re.match(r"[,.?:; ]", following):
        return "\u2019"
    if tag == " '" and following[:1] == " ":
        return " \u2019"
    return None


def _pair(strings: list[str], tags: list[str], forced: list[bool]) -> list[_Open]:
    """Match openers and closers in place; tags that pair with nothing become text. Returns what stays open."""
    stack: list[_Open] = []
    for i, tag in enumerate(tags):
        apostrophe = _apostrophe(tag, strings[i + 1])
        if apostrophe is not None:
            strings[i + 1] = apostrophe + strings[i + 1]
            tags[i] = ""
            continue
        failed = False
        while True:
            if tag in _OPENERS:
                closer, form = _OPENERS[tag]
                stack.append(_Open(closer, form, i))
                failed = False
                break
            if stack and tag == stack[-1].closer:
                stack.pop()
                failed = False
                break
            fix = stack[-1].pos if stack else i
            failed = True
            if tag == "'":
                strings[i + 1] = "\u2019" + strings[i + 1]
                tags[i] = ""
            else:
                bad = tags[fix]
                if 0 < fix <= len(forced) and forced[fix - 1]:
                    bad = bad[1:]
                strings[fix + 1] = bad + strings[fix + 1]
                tags[fix] = ""
            if stack and tag != "'":
                stack.pop()
                continue
            break
        if failed:
            strings[i + 1] = tags[i] + strings[i + 1]
            tags[i] = ""
    return stack


def quoted_text(text: str, quoted: bool = False) -> str:
    """``text`` with its quotation marks as citeproc-js prints them (see the module docstring); ``quoted``: the
    style puts the text itself in quotes. Text without quotation marks is returned unchanged."""
    if not text or not any(c in text for c in "\"'\u201c\u201d\u2018\u2019"):
        return text
    strings, tags, forced = _parse(text)
    for open_tag in reversed(_pair(strings, tags, forced)):
        tag = tags[open_tag.pos]
        strings[open_tag.pos + 1] = (" \u2019" if tag in (" '", "'") else tag) + strings[open_tag.pos + 1]
        tags[open_tag.pos] = ""
    # drop neutralized tags, keeping the forced-space flags of the tags that remain aligned as citeproc-js does
    out_strings, out_tags = [strings[0]], []
    for tag, string in zip(tags, strings[1:], strict=True):
        if tag:
            out_tags.append(tag)
            out_strings.append(string)
        else:
            out_strings[-1] += string
    outer_form = next((tag[1] for tag in out_tags if tag in (' "', " '", '("', "('")), '"')
    levels: list[bool] = []  # per open quote: is it printed as outer (True) or inner quotes
    pieces = [out_strings[0]]
    for i, tag in enumerate(out_tags):
        if tag in _OPENERS:
            if tag in (' "', " '", '("', "('") and not (i > 0 and i - 1 < len(forced) and forced[i - 1]):
                pieces[-1] += tag[0]
            if levels:
                outer = not levels[-1]
            elif quoted:
                outer = False
            elif tag in ("\u201c", "\u2018"):
                outer = tag == "\u201c"
            else:
                outer = tag[1] == outer_form
            levels.append(outer)
            pieces.append((_OUTER if outer else _INNER)[0])
        else:
            outer = levels.pop() if levels else True
            pieces.append((_OUTER if outer else _INNER)[1])
        pieces.append(out_strings[i + 1])
    result = "".join(pieces)
    return result[1:] if result.startswith(" ") else result
