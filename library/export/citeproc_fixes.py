"""A thin layer over citeproc-py where it departs from the CSL specification as citeproc-js (Zotero, Mendeley)
implements it. Installed once, by :func:`install`, when ``library.export.citeproc`` is imported; each fix replaces
one citeproc-py method by a tested function here — never a rewrite of finished output.

* Page ranges (``page-range-format`` minimal / minimal-two): citeproc-py compares the digits of the first and last
  page without aligning them, so Vancouver printed 1–17 as "1-7" and MLA 9–20 as "9–0". Here a last page is only
  shortened when both numbers have the same number of digits (Citing Medicine: 768–782 -> "768-82", 1–17 -> "1-17");
  in "749-753; discussion 754" the range is what comes before the semicolon.
* Title case (APA, MLA titles and journal names): citeproc-js's rules — every part of a hyphenated word
  ("Meta-Analysis"), the word after "(" or "?"; its list of stop words ("during", "between", "versus", "et", "de");
  single letters left alone; words holding a capital never changed; a stop word that ends the title capitalized.
* Labels: "pp."/"nos." when a value holds more than one number as citeproc-js counts them (:func:`is_plural`).
* Substitution: a title macro that stands in for missing authors is not printed a second time.
* A period after a colon, question or exclamation mark is left out ("Publication: 2010", as citeproc-js).
* Punctuation in quotes (locales with ``punctuation-in-quote``, en-US): a period or comma that follows a closing
  quote goes inside it where the pieces are joined (MLA “Title.” not “Title”.), unknown to citeproc-py
  (:func:`punctuation_in_quote`, :func:`move_into_quote`).
* Quotes: quotation marks in a title (straight or curly, double or single) are paired and printed as the
  style's outer/inner quotes, flipped inside a title the style quotes (“‘Living on the Edge’: …”), as
  citeproc-js's flip-flop does (library.export.quotes), after the title's case as in citeproc-js.
* Names: with ``initialize="false"`` (MLA) given names are not initialized, but initials already there are
  written with the inherited ``initialize-with`` as citeproc-js does ("W.-K." -> "W. K.", "K" -> "K."); a name
  suffix is normalized the same way in every style with ``initialize-with`` (AMA "Jr." -> "Jr", APA "Jr.")
  (:func:`normalize_initials`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from citeproc import model as _citeproc_model

__all__ = ["initialize_given", "install", "last_page", "move_into_quote", "normalize_initials", "punctuation_in_quote",
           "title_case"]

# citeproc-js's skip words (CSL.SKIP_WORDS, citeproc-js 1.4), matched as its regular expression does
_SKIP_WORDS = (
    "about|above|across|afore|after|against|al|along|alongside|amid|amidst|among|amongst|anenst|apropos|apud|"
    "around|as|aside|astride|at|athwart|atop|barring|before|behind|below|beneath|beside|besides|between|beyond|"
    "but|by|circa|despite|down|during|et|except|for|forenenst|from|given|in|inside|into|lest|like|modulo|near|"
    "next|notwithstanding|of|off|on|onto|out|over|per|plus|pro|qua|sans|since|than|through| thru|throughout|"
    "thruout|till|to|toward|towards|under|underneath|until|unto|up|upon|versus|vs.|v.|vs|v|via|vis-à-vis|with|"
    "within|without|according to|ahead of|apart from|as for|as of|as per|as regards|aside from|back to|"
    "because of|close to|due to|except for|far from|inside of|instead of|near to|next to|on to|out from|out of|"
    "outside of|prior to|pursuant to|rather than|regardless of|such as|that of|up to|where as|or|yet|so|for|and|"
    "nor|a|an|the|de|d'|von|van|c|ca")
_SKIP = re.compile(r"(?:(?:[?!:]*\s+|-|^)(?:" + _SKIP_WORDS + r")(?=[!?:]*\s+|-|$))")
_TAGS = re.compile("(\u2018|\u2019|\u201c|\u201d| \"| '|\"|'|[-\u2013\u2014/.,;?!:]|\\[|\\]|\\(|\\))")
_SPACES = re.compile("([\u00a0 \u2000-\u200b\u205f\u3000]+)")
_QUOTE_TAG = re.compile("(^(?:\u2018|\u2019|\u201c|\u201d|\"|')|(?: \"| ')$)")
_OPENERS = {" \"": (" '", "\""), " '": (" \"", "'"), "\u2018": ("\u2018", "\u2019"), "\u201c": ("\u201c", "\u201d")}
_GREEK = re.compile("^[\u0370-\u03ff]$")


@lru_cache(maxsize=65536)
def _stop_word(lower: str) -> bool:
    """Whether title case leaves the (lower-cased) word as it is: one search of a long alternation per word, and
    a library's titles share most of their words."""
    return _SKIP.search(lower) is not None


@lru_cache(maxsize=65536)
def _capitalise(word: str) -> str:
    stripped = word.lstrip()
    if not stripped:
        return word
    lead = word[: len(word) - len(stripped)]
    if _GREEK.match(stripped[0]) and len(stripped) == 1:
        return word
    return lead + stripped[0].upper() + stripped[1:]


def _split_tags(text: str) -> tuple[list[str], list[str]]:
    """(strings, tags) with len(strings) == len(tags) + 1; an apostrophe inside a word stays with the word (one
    that opens the title is a quotation mark: "'the bad things'" is "'The Bad Things'")."""
    pieces = _TAGS.split(text)
    strings, tags = pieces[0::2], pieces[1::2]
    for i in range(len(tags) - 1, -1, -1):
        if tags[i] == "'" and strings[i + 1] and (strings[i] or i > 0):
            strings[i + 1] = "'" + strings[i + 1]
            tags[i] = ""
    return strings, tags


_WORDS: dict[str, tuple[bool, bool, str]] = {}


def _word(word: str) -> tuple[bool, bool, str]:
    """What title case needs of a (non-empty) word, remembered: (longer than one character and no stop word,
    written in lower case, :func:`_capitalise` of it)."""
    found = _WORDS.get(word)
    if found is None:
        lower = word.lower()
        found = (len(word) > 1 and not _stop_word(lower), word == lower, _capitalise(word) if word == lower else word)
        if len(_WORDS) >= 65536:
            _WORDS.clear()
        _WORDS[word] = found
    return found


_TAG_FACTS: dict[str, tuple[bool, str | None]] = {}


def _tag(tag: str) -> tuple[bool, str | None]:
    """(whether the tag ends in "!", "?" or ":", the quote mark it is or None), by the regular expressions, once
    per tag (tags are the few strings of _TAGS)."""
    found = _TAG_FACTS.get(tag)
    if found is None:
        match = _QUOTE_TAG.search(tag) if tag else None
        found = (re.search(r"[!?:]$", tag) is not None, match.group(1) if match else None)
        if len(_TAG_FACTS) < 4096:
            _TAG_FACTS[tag] = found
    return found


class _TitleCase:
    def __init__(self) -> None:
        self.first = True
        self.after_punct = False
        self.last: tuple[int, int] | None = None

    def words(self, text: str, index: int, following_tag: object) -> str:
        if not text.strip():
            return text
        parts = _SPACES.split(text)
        words = parts[0::2]
        for j, word in enumerate(words):
            if not word:
                continue
            long_word, is_lower, capitalised = _word(word)
            capitalize = long_word or (j == len(words) - 1 and following_tag == "-") or self.first or self.after_punct
            if capitalize and is_lower:
                words[j] = capitalised
            self.after_punct = False
            self.first = False
            self.last = (index, j)
        parts[0::2] = words
        return "".join(parts)


def title_case(text: str) -> str:
    """CSL title case as citeproc-js applies it (see the module docstring)."""
    if not text:
        return text
    strings, tags = _split_tags(text)
    original = list(strings)
    state = _TitleCase()
    quotes: list[dict[str, Any]] = []

    def restore(position: int) -> None:
        strings[position + 1] = original[position + 1][:1] + strings[position + 1][1:]

    if strings[0].strip():
        strings[0] = state.words(strings[0], 0, tags[0] if tags else None)
    for i, tag in enumerate(tags):
        ends_punct, mark = _tag(tag)
        if i == 0 and tag == "'" and not strings[0]:  # a straight quote opening the title, as citeproc-js reads it
            mark = " '"
        if ends_punct:
            state.after_punct = True
        # citeproc-js passes its split object where the next tag is meant: the "-" rule only works for the first part
        strings[i + 1] = state.words(strings[i + 1], i + 1, None)
        if mark is not None:
            position: int | None = None
            if mark in ("\u201c", "\u2018", " \"", " '"):
                opener, closer = _OPENERS[mark]
                if not quotes or mark == quotes[-1]["opener"]:
                    quotes.append({"opener": opener, "closer": closer, "pos": i})
                else:
                    position = quotes.pop()["pos"]
                    quotes.append({"opener": opener, "closer": closer, "pos": None})
            elif quotes and mark == quotes[-1]["closer"]:
                quotes.pop()
            else:
                position = i
            if position is not None:
                restore(position)
                state.last = None
        if state.first and strings[i + 1].strip():
            state.first = False
        if state.after_punct and strings[i + 1].strip():
            state.after_punct = False
    for quote in quotes:
        if quote["pos"] is not None:
            restore(quote["pos"])
    if state.last is not None:
        index, j = state.last
        parts = _SPACES.split(strings[index])
        words = parts[0::2]
        word = words[j]
        if len(word) > 1 and _stop_word(word.lower()):
            words[j] = _capitalise(word)
            parts[0::2] = words
            strings[index] = "".join(parts)
    out = [strings[0]]
    for tag, string in zip(tags, strings[1:], strict=True):
        out += [tag, string]
    return "".join(out)


_PREFIXED = re.compile(r"^([A-Za-z]+)(\d+)$")
_RANGE_PAGE = re.compile(r"^(?:[0-9]*[a-zA-Z]+0*)?[0-9]+[a-z]*$")  # a page citeproc-js reads as a range's end


def last_page(first: str, last: str, range_format: str | None) -> str:
    """The last page as printed: minimal ("768-82") and minimal-two ("1496-504" -> "1496-504", "321-28") drop the
    leading digits the two numbers share, only when both have the same length; otherwise the full last page.
    A letter prefix both pages share is written once ("e8-e10" -> "e8-10", "S109-S112" -> "S109-12").
    A shortened last page is expanded first ("1305-11" -> 1311), so "expanded" (AMA, APA) prints "1305-1311".
    Pages ending in a capital letter ("259A-260A", abstracts in a supplement) and a last page below the first
    (a source's "2297-2108") are no range to citeproc-js: printed in full, never shortened to another number."""
    if range_format not in ("minimal", "minimal-two", "expanded") or first == last:
        return last
    if not (_RANGE_PAGE.match(first) and _RANGE_PAGE.match(last)):
        return last
    if first.isdecimal() and last.isdecimal() and len(last) < len(first):  # "1305-11": expanded first, as citeproc-js
        expanded = first[: len(first) - len(last)] + last
        last = expanded if int(first) < int(expanded) else last
    if first.isdecimal() and last.isdecimal() and int(last) <= int(first):  # "2297-2108": no range, printed in full
        return last
    if range_format == "expanded":
        return last
    prefix_first, prefix_last = _PREFIXED.match(first), _PREFIXED.match(last)
    if prefix_first and prefix_last and prefix_first.group(1) and prefix_first.group(1) == prefix_last.group(1):
        return last_page(prefix_first.group(2), prefix_last.group(2), range_format)  # "e8-e10" -> "e8-10"
    if len(first) != len(last):
        return last
    common = 0
    for a, b in zip(first, last, strict=True):
        if a != b:
            break
        common += 1
    if range_format == "minimal-two":
        common = min(common, max(len(last) - 2, 0))
    return last[common:]


_QUOTING_VARIABLES = frozenset(("title", "container-title", "collection-title", "title-short", "event-title"))


def _patched_case(original: Callable[..., Any]) -> Callable[..., Any]:
    def case(self: Any, text: Any, language: Any = None) -> Any:
        from citeproc.string import MixedString, NoCase, String

        if self.get("text-case") != "title" or language != "en":
            text = original(self, text, language)
        elif isinstance(text, MixedString):
            text = MixedString([s if isinstance(s, NoCase) else String(title_case(str(s))) for s in text])
        elif isinstance(text, str):
            text = type(text)(title_case(str(text)))
        if self.get("variable") in _QUOTING_VARIABLES:  # after the case, as citeproc-js: quotes are tags to it
            from .quotes import quoted_text

            quoted = self.get("quotes", "false").lower() == "true"
            if isinstance(text, MixedString):
                text = MixedString([type(s)(quoted_text(str(s), quoted)) if isinstance(s, str) else s
                                    for s in text])
            elif isinstance(text, str):
                text = (type(text) if isinstance(text, String) else String)(quoted_text(text, quoted))
        return text
    return case


def _patched_last_page(original: Callable[..., Any]) -> Callable[..., Any]:
    def format_last_page(self: Any, first: str, last: str) -> str:
        range_format = self.get_root().get_option("page-range-format")
        if range_format in ("minimal", "minimal-two", "expanded"):
            return last_page(first, last, range_format)
        return str(original(self, first, last))
    return format_last_page


def _patched_process(original: Callable[..., Any]) -> Callable[..., Any]:
    def _process(self: Any, value: Any, variable: str) -> Any:
        text = str(value)
        if variable == "page" and ";" in text:  # "749-753; discussion 753--754": the range before the ";"
            from citeproc.string import String

            head, rest = text.split(";", 1)
            return String(str(original(self, head, variable)) + ";" + rest)
        return original(self, value, variable)
    return _process


_ROMAN = re.compile(r"^[ivxlcdm]+$", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:,|;\s|&|(?<!\\)[-\u2013]|\band\b)\s*")


_BRACKETED = re.compile(r"\s*(?:\[[^\]]*\]|\([^)]*\))")


def is_plural(value: str) -> bool:
    """A label's plural as citeproc-js reads a number variable: more than one part separated by a comma, "&",
    "and" or a hyphen ("52-54, 64", "2-B", "S109-12", "14, Sp. Iss. SI") when the first part holds a digit;
    "5 Suppl 2", "13/14", "Suppl-12" and "2.0" are one number; roman numerals count ("xv, 1055").
    What a source adds in brackets is no page of its own: "A125 [015-02]" (an abstract's number) is one page, as
    MLA has it ("p.") and citeproc-js prints it. Sub-pages stay a range: "819.e1-819.e6" is plural (MLA "pp.";
    citeproc-js 2.4.63 reads a number holding a period as no number and prints "p." — documented, not followed).
    A part after "; " counts: "1788; discussion 1791" is two pages (MLA "pp.", as citeproc-js).
    """
    parts = [part for part in _SEPARATORS.split(_BRACKETED.sub("", value).strip()) if part]
    return len(parts) > 1 and (any(c.isdecimal() for c in parts[0]) or bool(_ROMAN.match(parts[0])))


def _patched_is_plural(original: Callable[..., Any]) -> Callable[..., Any]:
    def _is_plural(self: Any, item: Any) -> bool:
        variable = self.get("variable") or ""
        if variable == "locator" or variable.startswith("number-of"):
            return bool(original(self, item))
        try:
            value = item.reference[variable.replace("-", "_")]
        except Exception:  # citeproc-py's VariableError: the item lacks the variable
            return False
        return is_plural(str(value))
    return _is_plural


def _macro_variables(element: Any, seen: set[str]) -> list[tuple[str, str]]:
    """(tag, variable) of every element a text/macro reference can render, through nested macros."""
    found: list[tuple[str, str]] = []
    name = element.get("macro")
    if name is None or name in seen:
        return found
    seen.add(name)
    for node in element.get_macro(name).iter():
        if not isinstance(node.tag, str):
            continue
        if node.get("variable"):
            found.extend((node.tag, variable) for variable in node.get("variable").split())
        if node.get("macro"):
            found.extend(_macro_variables(node, seen))
    return found


def repressed_roles(entries: list[Any] | None) -> frozenset[str]:
    """The name variables a substitution printed (``repressed`` of the names tag: each entry a ``variable``
    attribute, e.g. "editor" or "editor translator"): CSL 1.0.2 treats them as empty for the rest of the entry,
    so an edited book's editor, printed in the author's place, is not printed again as "(Ed.)"."""
    return frozenset(v for entry in entries or () if entry for v in str(entry).split())


def _patched_names_process(original: Callable[..., Any]) -> Callable[..., Any]:
    def process(self: Any, item: Any, names_context: Any = None, context: Any = None, **kwargs: Any) -> Any:
        layout = (context if context is not None else self).get_layout()
        blocked = repressed_roles(layout.repressed.get(self.tag))
        variable = self.get("variable")
        if not blocked or not variable or blocked.isdisjoint(variable.split()):
            return original(self, item, names_context, context, **kwargs)
        kept = [role for role in variable.split() if role not in blocked]
        if not kept:
            return None
        self.set("variable", " ".join(kept))  # (rendering holds the export lock: one render at a time)
        try:
            return original(self, item, names_context, context, **kwargs)
        finally:
            self.set("variable", variable)
    return process


_TAKEN: list[Any] = [None]  # the branch the cs:choose rendered last (set after its children: the outermost wins)


def _patched_choose_render(original: Callable[..., Any]) -> Callable[..., Any]:
    from citeproc.model import ConditionFailed

    def render(self: Any, item: Any, context: Any = None, delimiter: str = "", **kwargs: Any) -> Any:
        for child in self.getchildren():
            try:
                text = child.render(item, context=context, delimiter=delimiter, **kwargs)
            except ConditionFailed:
                continue
            except Exception:
                _TAKEN[0] = child
                raise
            _TAKEN[0] = child
            return text
        _TAKEN[0] = None
        return None
    return render


def _patched_group_process(original: Callable[..., Any]) -> Callable[..., Any]:
    """citeproc-py's cs:group, where a cs:choose child calls the variables of the branch it took, not of every
    branch (as citeproc-js counts them): APA's thesis "(Publication)" group printed its bare term, its term chosen
    because a genre was there, beside an empty publication number."""
    from citeproc.model import Choose, VariableError

    def process(self: Any, item: Any, context: Any = None, **kwargs: Any) -> Any:
        output = []
        variable_called = variable_rendered = False
        delimiter = self.get("delimiter", "")
        for child in self.iterchildren():
            is_choose = isinstance(child, Choose)
            calls = False if is_choose else child.calls_variable()
            try:
                if is_choose:
                    _TAKEN[0] = None
                    try:
                        text = child.render(item, context=context, delimiter=delimiter, **kwargs)
                    finally:
                        branch = _TAKEN[0]
                        calls = branch is not None and branch.calls_variable()
                else:
                    text = child.render(item, context=context, **kwargs)
                if text is not None:
                    output.append(text)
                    variable_rendered = variable_rendered or calls
            except VariableError:
                pass
            variable_called = variable_called or calls
        if output and (not variable_called or variable_rendered):
            return self.join(output)
        raise VariableError
    return process


def _patched_repress(original: Callable[..., Any]) -> Callable[..., Any]:
    def add_to_repressed_list(self: Any, child: Any, context: Any) -> None:
        original(self, child, context)
        if child.get("macro"):  # a substituted macro: what it rendered is not printed again (CSL 1.0.2)
            layout = context.get_layout()
            for tag, variable in _macro_variables(child, set()):
                if variable in ("title", "title-short"):
                    layout.repressed.setdefault(tag, []).append(variable)
    return add_to_repressed_list



def _shared(name: str, empty: Any) -> Any:
    """The state the installed methods read (memo tables, the flags of the context managers below): kept beside
    those methods, on citeproc-py's model module, so that every copy of this module shares it. A second copy
    (importlib.reload, Streamlit's module watcher, a test importing modules afresh) then neither wraps citeproc-py's
    methods again — each extra layer made every call deeper, until rendering hit RecursionError — nor keeps flags
    that the methods installed by the first copy never read."""
    state: dict[str, Any] = _citeproc_model.__dict__.setdefault("_reflib_citeproc_fixes", {})
    return state.setdefault(name, empty)


# xpath results of the (unchanging) style and locale trees, memoized while rendering: citeproc-py evaluates the
# same ~45 expressions for every reference (macros, terms, inherited name options), a third of its time
_XPATH: dict[tuple[Any, str], Any] = _shared("xpath", {})
_XPATH_ON: list[bool] = _shared("xpath_on", [])


def _patched_xpath(original: Callable[..., Any]) -> Callable[..., Any]:
    def xpath_search(self: Any, expression: str) -> Any:
        if not _XPATH_ON:
            return original(self, expression)
        key = (self, expression)
        found = _XPATH.get(key)
        if found is None:
            found = _XPATH[key] = original(self, expression)
        return found
    return xpath_search


_ROOTS: dict[Any, Any] = _shared("roots", {})


def _patched_root(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_root(self: Any) -> Any:
        if not _XPATH_ON:
            return original(self)
        root = _ROOTS.get(self)
        if root is None:
            root = _ROOTS[self] = original(self)
        return root
    return get_root


_FORMATTERS: dict[Any, Any] = _shared("formatters", {})


def _patched_formatter(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_formatter(self: Any) -> Any:
        """The bibliography's output formatter: one per render, looked up ~90 times per reference."""
        if not _XPATH_ON:
            return original(self)
        found = _FORMATTERS.get(self)
        if found is None:
            found = _FORMATTERS[self] = original(self)
        return found
    return get_formatter


_CALLS: dict[Any, bool] = _shared("calls", {})


def _patched_calls_variable(original: Callable[..., Any]) -> Callable[..., Any]:
    def calls_variable(self: Any) -> bool:
        """Whether a group's child can print a variable: a property of the style tree, walked recursively by
        citeproc-py for every group of every reference (a fifth of APA's time); memoized while rendering."""
        if not _XPATH_ON:
            return bool(original(self))
        found = _CALLS.get(self)
        if found is None:
            found = _CALLS[self] = bool(original(self))
        return found
    return calls_variable


_REFERENCE = "\0reference"


def _reference(self: Any) -> Any:
    """A citation item's reference, looked up once (citeproc-py goes through three dictionaries every time)."""
    found = dict.get(self, _REFERENCE)
    if found is None:
        found = self.bibliography.source[self.key]
        dict.__setitem__(self, _REFERENCE, found)
    return found


class memoized_xpath:
    """Within the block the style trees are only read, so xpath results can be reused; cleared on exit.

    ``keep``: a dict that carries the xpath results and ``calls_variable`` answers from one block to the next (the
    compiled styles read the same unchanging tree for every shape of item they compile): read in on entry, the
    block's findings written back on exit."""

    def __init__(self, keep: dict[str, dict[Any, Any]] | None = None) -> None:
        self.keep = keep

    def __enter__(self) -> None:
        if self.keep is not None and not _XPATH_ON:
            _XPATH.update(self.keep.setdefault("xpath", {}))
            _CALLS.update(self.keep.setdefault("calls", {}))
        _XPATH_ON.append(True)

    def __exit__(self, *exc: object) -> None:
        _XPATH_ON.pop()
        if not _XPATH_ON:
            if self.keep is not None:
                self.keep["xpath"].update(_XPATH)
                self.keep["calls"].update(_CALLS)
            _XPATH.clear()
            _ROOTS.clear()
            _CALLS.clear()
            _FORMATTERS.clear()


_ENDS_SENTENCE = frozenset("?!:.")


def _patched_seam(original: Callable[..., Any]) -> Callable[..., Any]:
    def normalize_seam(left: Any, other: Any) -> Any:
        text, following = str(left), str(other)
        # "Publication:." -> "Publication:"; across the end of italics only after ".?!" ("<i>Why?</i>" but
        # "<i>Publication:</i>."), as citeproc-js
        if text and following[:1] == "." and (text[-1] in _ENDS_SENTENCE
                                              or (following[1:2] != "." and _STOP.search(text))):
            from citeproc.string import _strip_first_char

            return _strip_first_char(other)
        return original(left, other)
    return normalize_seam


_ROMANESQUE = re.compile("^[&a-zA-Z\u0e01-\u0e5b\u00c0-\u017f\u0370-\u03ff\u0400-\u052f\u0590-\u05d4"
                         "\u05d6-\u05ff\u1f00-\u1fff\u0600-\u06ff\u200c\u200d\u200e\u0218-\u021b\u202a-\u202e]")
_NAME_SEPARATORS = re.compile(r"([-\s]+)")
_TRAILING_SPACE = re.compile("[\t\n\v\f\r \ufeff\u00a0]+$")


def normalize_initials(name: str, terminator: str) -> str:
    """Initials in a name part written with ``terminator`` (the style's ``initialize-with``) and everything else
    left alone, as citeproc-js does for ``initialize="false"`` names and for name suffixes: "W.-K." -> "W. K.",
    "K" -> "K.", "Ben W.J." -> "Ben W. J.", "Jr." -> "Jr" (terminator ""), "Jean-Pierre" unchanged."""
    if not name or name in ("Lord", "Lady") or not _ROMANESQUE.match(name):
        return name
    name = re.sub(r"\s+", " ", re.sub(r"\s*-\s*", "-", name))
    name = re.sub("-([a-z])", "\u2013\\1", name)  # a hyphen before a lower-case letter is not a separator
    name = re.sub(r"\.(?=[^ ])", ". ", name)  # "W.K." -> "W. K."
    pieces = _NAME_SEPARATORS.split(name)
    if len(pieces) == 1:
        last = re.search(r"[^.]+$", pieces[0])
        if last and len(last.group()) == 1 and last.group() != last.group().lower():
            pieces[0] += "."
    abbreviation = []
    for i, piece in enumerate(pieces):
        if len(piece) > 1 and piece.endswith("."):
            pieces[i] = piece[:-1]
            abbreviation.append(True)
        else:
            abbreviation.append(len(piece) == 1 and piece.upper() == piece)
    for i in range(0, len(pieces), 2):
        if not abbreviation[i]:
            continue
        if i < len(pieces) - 2:
            separator = pieces[i + 1] if abbreviation[i + 2] else pieces[i + 1] + " "
            pieces[i + 1] = terminator.rstrip("\ufeff") + separator if len(pieces[i + 2]) > 1 else terminator
        if i == len(pieces) - 1:
            pieces[i] += terminator
    out = re.sub(r"\s*-\s*", "-", _TRAILING_SPACE.sub("", "".join(pieces)))
    return re.sub("\u2013([a-z])", "-\\1", re.sub(r"[\t\n\v\f\r ]+", " ", out))


# the name element being rendered and its initialize-with: a suffix is normalized with it (see _patched_parts)
_NAME_MARK: list[str] = _shared("name_mark", [])


def _patched_name_process(original: Callable[..., Any]) -> Callable[..., Any]:
    def process(self: Any, item: Any, variable: Any, context: Any = None, sort_options: Any = None,
                **kwargs: Any) -> Any:
        mark = self.get_option("initialize-with", context, sort_options)
        if mark is None:
            return original(self, item, variable, context, sort_options, **kwargs)
        _NAME_MARK.append(mark)
        try:
            return original(self, item, variable, context, sort_options, **kwargs)
        finally:
            _NAME_MARK.pop()
    return process


def _patched_parts(original: Callable[..., Any]) -> Callable[..., Any]:
    def parts(self: Any) -> Any:
        given, family, dropping, non_dropping, suffix = original(self)
        if suffix and _NAME_MARK:
            suffix = normalize_initials(str(suffix), _NAME_MARK[-1])
        return given, family, dropping, non_dropping, suffix
    return parts


def initialize_given(given: str, mark: str, hyphen: bool = True) -> str:
    """citeproc-py's initials ("Ben W. J." -> "B. W. J.", "Jean-Pierre" -> "J.-P."; lower-case words such as
    particles kept; "Min-jun" -> "M." as citeproc-js: the lower-case part after a hyphen is not a name of its
    own), without the stray mark it wrote after a last word it did not initialize: "ASCUS-LSIL Triage
    Study (ALTS)" -> "A.-L. T. S. (ALTS)", not "… (ALTS) ." (citeproc-js)."""
    if hyphen:  # "Min-jun", "Seo-yeon K.": a hyphen before a lower-case letter joins one word -> "M.", "S. K."
        given = re.sub(r"\s*-\s*(?=[a-z])", "\u2013", given)
    out = []
    for part in given.split("-") if hyphen else [given.replace("-", " ")]:
        text, group = "", []
        for word in part.replace(".", " ").split():
            if word[0].isupper():
                group.append(word[0])
            else:  # a lower-case word ("de Q. M. F."): kept; a mark only after initials before it
                text += (mark.join(group) + mark + " " if group else "") + word + " "
                group = []
        if group or not text:
            text += mark.join(group) + mark
        out.append(" ".join(text.split()))
    return "-".join(out).replace("\u2013", "-")


def _patched_initialize(original: Callable[..., Any]) -> Callable[..., Any]:
    def initialize(self: Any, given: str, mark: str, context: Any) -> Any:
        if str(self.get("initialize", "true")).lower() == "false":  # CSL 1.0.1, unknown to citeproc-py
            return normalize_initials(given, mark)
        return initialize_given(given, mark, bool(self.get_option("initialize-with-hyphen", context)))
    return initialize


_PIQ: list[bool] = _shared("piq", [])  # while rendering: does the style's locale put punctuation inside quotes?
_STOP = re.compile("(?<!\\.)[.?!][\ue000-\ue01f]*$")  # a sentence's end, maybe inside formatting
_INTO_QUOTE = re.compile("([\u201d\u2019]+)([\ue000-\ue01f]*)$")  # closing quotes, then formatting marks


class punctuation_in_quote:
    """Within the block, a period or comma joined after a closing quote moves inside it when ``on``."""

    def __init__(self, on: bool) -> None:
        self.on = on

    def __enter__(self) -> None:
        _PIQ.append(self.on)

    def __exit__(self, *exc: object) -> None:
        _PIQ.pop()


def move_into_quote(left: str, right: str) -> tuple[int, str] | None:
    """Where a period or comma starting ``right`` goes inside the closing quotes ending ``left``: (position in
    ``left``, mark to insert there); "?", "!" or "." before the quotes takes the place of a period ("“Why?”" +
    "." -> "“Why?”", mark ""). None when nothing moves."""
    if right[:1] not in (".", ",") or right[1:2] == ".":
        return None
    match = _INTO_QUOTE.search(left)
    if match is None:
        return None
    head = left[: match.start()]
    mark = right[0]
    if mark == "." and head[-1:] in ("?", "!", ".") and head[-2:-1] != ".":
        mark = ""
    return match.start(), mark


def _shift(left: Any, right: Any) -> tuple[Any, Any]:
    """:func:`move_into_quote` on citeproc-py strings, keeping their types and the segments of a MixedString; a
    period after a sentence's end (".", "?", "!", also before the end of italics) left out."""
    if not _PIQ or not left or not right:
        return left, right
    from citeproc.string import MixedString, _strip_first_char

    segments = list(left) if isinstance(left, MixedString) else [left]
    if not all(isinstance(segment, str) for segment in segments):
        return left, right
    text, following = "".join(segments), str(right)[:2]
    moved = move_into_quote(text, following) if _PIQ[-1] else None
    if moved is None:
        if following[:1] == "." and following[1:2] != "." and _STOP.search(text):
            return left, _strip_first_char(right)  # "Why?" + ". " -> "Why? "
        return left, right
    position, mark = moved
    start = 0
    for i, segment in enumerate(segments):
        if start <= position < start + len(segment):
            offset = position - start
            segments[i] = type(segment)(segment[:offset] + mark + segment[offset:])
            break
        start += len(segment)
    left = MixedString(segments) if isinstance(left, MixedString) else segments[0]
    return left, _strip_first_char(right)


def _patched_wrap(original: Callable[..., Any]) -> Callable[..., Any]:
    def wrap(self: Any, string: Any) -> Any:
        if string is None or not _PIQ:
            return original(self, string)
        suffix = self.get("suffix", "")
        if suffix[:1] not in (".", ","):
            return original(self, string)
        from citeproc.model import normalize_seam  # the name citeproc-py's own wrap uses

        prefix = self.get("prefix", "")
        text = prefix + normalize_seam(prefix, string)
        text, suffix = _shift(text, normalize_seam(text, suffix))
        return text + normalize_seam(text, suffix) if suffix else text
    return wrap


def _patched_join(original: Callable[..., Any]) -> Callable[..., Any]:
    def join(items: Any, delimiter: Any = "") -> Any:
        if not _PIQ or str(delimiter)[:1] not in (".", ","):
            return original(items, delimiter)
        from citeproc.string import String, normalize_seam

        iterator = iter(items)
        try:
            output = next(iterator)
        except StopIteration:
            return String("")
        for item in iterator:
            output, part = _shift(output, normalize_seam(output, delimiter))
            output = output + part
            output = output + normalize_seam(output, item)
        return output
    return join


_PERIOD = re.compile(r"\.([^a-z]|$)")


def strip_periods(text: str) -> str:
    """``strip-periods`` as citeproc-js applies it: a period before a lower-case letter stays ("(var.pagings)"),
    the others go ("N. Engl. J. Med." -> "N Engl J Med")."""
    return _PERIOD.sub("\\1", text)


def _patched_strip_periods(original: Callable[..., Any]) -> Callable[..., Any]:
    def strip(self: Any, string: Any) -> Any:
        if self.get("strip-periods", "false").lower() != "true":
            return original(self, string)
        from citeproc.string import MixedString

        if isinstance(string, MixedString):
            return MixedString([type(s)(strip_periods(s)) if isinstance(s, str) else s for s in string])
        return type(string)(strip_periods(string)) if isinstance(string, str) else original(self, string)
    return strip


_NUMBER_PART = re.compile(r"^[A-Za-z]*\d+[A-Za-z]*$")
_NUMBER_SEPARATORS = re.compile(r"\s*(?:&|,|[-\u2013]+|\band\b)\s*|/")  # "290/1991" too (not "12 / 5")


def is_numeric(value: str) -> bool:
    """CSL's ``is-numeric`` as citeproc-js tests a number variable: numbers with letter affixes, also several
    joined by "-", ",", "&", "and" or a bare "/" ("77-78", "2 & 3", "12A", "290/1991"); citeproc-py took only a
    single number."""
    parts = _NUMBER_SEPARATORS.split(value.strip())
    return bool(parts) and all(_NUMBER_PART.match(part) for part in parts)


def _patched_is_numeric(original: Callable[..., Any]) -> Callable[..., Any]:
    def _is_numeric(self: Any, item: Any) -> list[bool]:
        out = []
        for variable in self.get("is-numeric").split():
            key = variable.replace("-", "_")
            out.append(key in item.reference and is_numeric(str(item.reference[key])))
        return out
    return _is_numeric


_INSTALLED: list[bool] = _shared("installed", [])


def install() -> None:
    """Replace the citeproc-py methods named in the module docstring (once per process)."""
    if _INSTALLED:
        return
    from citeproc import model, source, string

    string.normalize_seam = _patched_seam(string.normalize_seam)
    model.join = string.join = _patched_join(string.join)
    model.Affixed.wrap = _patched_wrap(model.Affixed.wrap)

    model.TextCased.case = _patched_case(model.TextCased.case)
    model.FormatNumber._format_last_page = _patched_last_page(model.FormatNumber._format_last_page)
    model.CitationStylesElement.xpath_search = _patched_xpath(model.CitationStylesElement.xpath_search)
    model.CitationStylesElement.get_root = _patched_root(model.CitationStylesElement.get_root)
    model.Parent.calls_variable = _patched_calls_variable(model.Parent.calls_variable)
    model.CitationStylesElement.get_formatter = _patched_formatter(model.CitationStylesElement.get_formatter)
    model.Text.calls_variable = _patched_calls_variable(model.Text.calls_variable)
    source.CitationItem.reference = property(_reference)
    model.FormatNumber._process = _patched_process(model.FormatNumber._process)
    model.Label._is_plural = _patched_is_plural(model.Label._is_plural)
    model.StrippedPeriods.strip_periods = _patched_strip_periods(model.StrippedPeriods.strip_periods)
    model.If._is_numeric = _patched_is_numeric(model.If._is_numeric)
    model.Substitute.add_to_repressed_list = _patched_repress(model.Substitute.add_to_repressed_list)
    model.Names.process = _patched_names_process(model.Names.process)
    model.Choose.render = _patched_choose_render(model.Choose.render)
    model.Group.process = _patched_group_process(model.Group.process)
    model.Name.process = _patched_name_process(model.Name.process)
    model.Name.initialize = _patched_initialize(model.Name.initialize)
    source.Name.parts = _patched_parts(source.Name.parts)
    _INSTALLED.append(True)
