"""How a :class:`Record` is stored in ``references.bib``: one BibTeX field per attribute, lowercase names.

Standard fields keep their BibTeX/BibLaTeX names so any BibTeX tool reads the file. reflib's own fields
(documented here, and only here):

============== ===============================================================================================
field          meaning
============== ===============================================================================================
shortjournal   NLM/ISO journal abbreviation (BibLaTeX name)
mesh           MeSH headings, ``; ``-separated (``*`` marks a major topic)
pubtype        PubMed publication types, ``; ``-separated
pmid, pmcid    PubMed and PubMed Central identifiers
topics         editor-assigned topics, ``; ``-separated hierarchical strings (``Diagnostics > HSG > Contrast``)
topics_auto    topics assigned by classification rules; recomputed, never edited by hand
topics_suggested  low-confidence topics of the rules, for an editor to accept (-> ``topics``) or reject
topics_rejected   topics an editor rejected: classification never assigns or suggests them (nor subtopics) again
design         editor's study design (overrides ``design_auto``)
design_auto    study design derived from publication types / MeSH / text
level          editor's evidence level, ``SCHEME QUESTION LEVEL`` e.g. ``OCEBM2011 therapy 2`` (overrides auto)
level_auto     derived evidence level
level_reason   editor's reason for a ``level`` above what the study design allows (OCEBM 2011 upgrading)
reasons_auto   why each automatic value is what it is, ``KIND TARGET: evidence``, ``; ``-separated:
               ``topic PATH: MeSH 'Hysterosalpingography'``, ``suggested PATH: ...``, ``design rct: ...``,
               ``level OCEBM2011 therapy 2: ...``, ``species animal: ...``. Written by ``reflib classify``
grade          GRADE certainty per claim, free text (``claim: certainty; ...``)
stance         supportive | neutral | critical | hostile
relevance      1 (not relevant) .. 5 (core)
tldr           synopsis: one-sentence bottom line
findings       synopsis: key findings
implications   synopsis: clinical implications
notes          editor's free notes (BibTeX's own ``note`` stays bibliographic)
unverified     which fields still need checking against a source; ``none`` when everything was checked
retracted      ``yes`` when the study is retracted
protect        fields that enrichment must never overwrite, ``, ``-separated; ``*`` protects the whole record
provenance     values that lost in a merge, ``field: value (source)``, ``; ``-separated
relations      related records of the library, ``KIND KEY``, ``; ``-separated: ``erratum-of smith2019oil``
               ("this record is the erratum of smith2019oil"); kinds ``erratum-of``, ``retraction-of``,
               ``concern-about``, ``comment-on``, ``reply-to``, ``protocol-of``, ``abstract-of``, ``version-of`` (a
               conference paper and the journal version of the same work). Written by
               ``reflib dedupe --apply``; never merged, shown on both studies' pages
cited_in       encyclopedia entries citing the study, ``slug#number``, ``; ``-separated (number = position)
discussed_in   encyclopedia entries discussing the study, slugs, ``; ``-separated
added          ISO date the record entered the library
modified       ISO date of the last edit through reflib
============== ===============================================================================================

New and edited entries are written in one layout: ``@type{key,`` then one field per line, two-space indent,
the name padded to 12 columns, `` = {value}``, fields separated by ``,\\n``, the closing brace on its own line.
Values are stored as UTF-8 with LaTeX specials escaped (``\\&``, ``\\%``, ``\\_`` ...); LaTeX-only exports
convert Unicode on the way out (see the export module).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .latex import decode_latex
from .model import Author, EntryLink, Record, Relation, Synopsis
from .names import format_bibtex_names, parse_bibtex_names

__all__ = [
    "CONTROL",
    "CUSTOM_FIELDS",
    "FIELD_ORDER",
    "VERBATIM_FIELDS",
    "decode_value",
    "encode_value",
    "parse_relations",
    "record_from_fields",
    "record_to_fields",
    "split_list",
    "strip_controls",
]

# order of fields in newly written entries
FIELD_ORDER = (
    "author", "editor", "title", "booktitle", "journal", "shortjournal", "publisher", "year", "month", "volume",
    "number", "pages", "doi", "pmid", "pmcid", "issn", "isbn", "url", "urldate", "language", "note", "abstract",
    "keywords", "mesh", "pubtype",
    "topics", "topics_auto", "topics_suggested", "topics_rejected", "design", "design_auto", "level", "level_auto",
    "level_reason", "reasons_auto", "grade", "stance", "relevance",
    "tldr", "findings", "implications", "notes", "cited_in", "discussed_in", "unverified", "retracted", "protect",
    "provenance", "relations", "added", "modified",
)
CUSTOM_FIELDS = frozenset(FIELD_ORDER[FIELD_ORDER.index("mesh"):]) | {"shortjournal", "pmid", "pmcid"}
# values that are identifiers or addresses: no LaTeX decoding, no escaping of "_" or "%"
VERBATIM_FIELDS = frozenset({"doi", "url", "urldate", "pmid", "pmcid", "isbn", "issn", "pages", "file", "eprint",
                             "cited_in", "discussed_in", "relations", "added", "modified"})

_SIMPLE = {  # bib field -> Record attribute holding a str
    "title": "title", "booktitle": "booktitle", "journal": "journal", "shortjournal": "journal_abbrev",
    "publisher": "publisher", "month": "month", "volume": "volume", "number": "issue", "pages": "pages",
    "doi": "doi", "pmid": "pmid", "pmcid": "pmcid", "issn": "issn", "isbn": "isbn", "url": "url",
    "urldate": "urldate", "language": "language", "note": "note", "abstract": "abstract", "design": "design",
    "design_auto": "design_auto", "level": "level", "level_auto": "level_auto", "level_reason": "level_reason",
    "grade": "grade",
    "stance": "stance", "notes": "notes", "unverified": "unverified", "provenance": "provenance",
    "added": "added", "modified": "modified",
}
_LISTS = {"keywords": "keywords", "mesh": "mesh", "pubtype": "pubtypes", "topics": "topics",
          "topics_auto": "topics_auto", "topics_suggested": "topics_suggested", "topics_rejected": "topics_rejected",
          "reasons_auto": "reasons_auto"}
_SYNOPSIS = {"tldr": "tldr", "findings": "findings", "implications": "implications"}
_KNOWN = set(_SIMPLE) | set(_LISTS) | set(_SYNOPSIS) | {
    "author", "editor", "year", "relevance", "retracted", "protect", "cited_in", "discussed_in",
    "relations"}

_WS = re.compile(r"\s+")


# control characters other than tab and newline (C0, DEL, C1): never stored, never printed
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# verbatim values spell the three characters that would unbalance or escape a brace as commands
_VERBATIM_SPECIALS = re.compile(r"\\(?:(textbackslash|textbraceleft|textbraceright)|([_%&#]))")
_VERBATIM_NAMES = {"textbackslash": "\\", "textbraceleft": "{", "textbraceright": "}"}
_VERBATIM_ENCODE = str.maketrans({"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}"})


def strip_controls(text: str) -> str:
    """``text`` without control characters other than tab and newline (ESC sequences, NUL, bell ...)."""
    return CONTROL.sub("", text) if not text.isprintable() else text


def _verbatim_special(match: re.Match[str]) -> str:
    return _VERBATIM_NAMES[match.group(1)] if match.group(1) else match.group(2)


def decode_value(name: str, value: str) -> str:
    """A field's text (outer delimiters removed, macros expanded) -> Unicode."""
    if name in VERBATIM_FIELDS:
        text = value.replace("{", "").replace("}", "")
        if "\\" in text:
            text = _VERBATIM_SPECIALS.sub(_verbatim_special, text)
        return strip_controls(_WS.sub(" ", text).strip())
    return strip_controls(decode_latex(value))


_STORE_ESCAPES = str.maketrans({"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
                                "#": r"\#", "$": r"\$", "_": r"\_", "~": r"\textasciitilde{}",
                                "^": r"\textasciicircum{}"})


def encode_value(name: str, text: str) -> str:
    """Unicode -> the text between the braces of a stored field (UTF-8 kept, LaTeX specials escaped).

    Every value reads back as :func:`decode_value` gives it (white space runs become one space, control
    characters go): line breaks are written as spaces, so no line of a value can start with ``@`` (which BibTeX
    readers take for a new entry); a backslash or brace in a verbatim field (a URL) is spelled as a command, so a
    trailing backslash can never escape the closing brace."""
    text = strip_controls(text)
    if "\n" in text or "\r" in text or "\t" in text:
        text = _WS.sub(" ", text)
    if name in VERBATIM_FIELDS:
        return text.translate(_VERBATIM_ENCODE)
    text = text.translate(_STORE_ESCAPES)
    while "--" in text:  # a literal double hyphen would read back as an en dash; -{}- keeps it literal
        text = text.replace("--", "-{}-")
    return text


def join_keywords(keywords: list[str]) -> str:
    """One text for a list of keywords that :func:`split_list` reads back as the same list: ", " between them,
    or "; " when a keyword holds a comma ("Pregnancy, Ectopic" is one MeSH-style keyword, not two)."""
    return ("; " if any("," in k for k in keywords) else ", ").join(keywords)


def split_list(text: str, separator: str | None = None) -> list[str]:
    """Split a list field; ``;`` wins over ``,`` so keywords like "Hysterosalpingography, oil" survive."""
    if not text.strip():
        return []
    sep = separator or (";" if ";" in text else ",")
    return [part.strip() for part in text.split(sep) if part.strip()]


def _parse_links(cited: str, discussed: str) -> list[EntryLink]:
    links = []
    for item in split_list(cited, ";"):
        slug, _, number = item.partition("#")
        value = _parse_int(number)  # numbers start at 1: '#0' is no number, as 'slug' alone and '#abc' are
        links.append(EntryLink(slug.strip(), "cited", value if value else None))
    links.extend(EntryLink(slug, "discussed") for slug in split_list(discussed, ";"))
    return links


def parse_relations(text: str) -> list[Relation]:
    """``erratum-of smith2019; reply-to jones2020`` -> relations (an item without a key keeps its text as kind)."""
    return [Relation.parse(item) for item in split_list(text, ";")]


def _parse_int(text: str) -> int | None:
    """isdecimal, not isdigit: isdigit is also true of '²' and other digits int() refuses."""
    text = text.strip()
    return int(text) if text.isdecimal() else None


def record_from_fields(key: str, entry_type: str, fields: dict[str, str], plain: bool | None = None) -> Record:
    """Build a Record from a BibTeX entry whose values are LaTeX text (delimiters removed, macros expanded).

    ``fields`` keys are lower-case. Values that do not fit the model (a non-numeric year, say) stay in ``extra``
    under their own name so that nothing is lost. ``plain``: what :func:`plain_values` says of the fields, when
    the caller knows it (plain values are their own text: nothing is decoded).
    """
    record = Record(key=key, entry_type=entry_type.lower())
    if plain is None:
        plain = plain_values(tuple(fields), list(fields.values()))
    if plain:
        return _record_from_plain(record, fields)
    extra: dict[str, str] = {}
    cited = discussed = ""
    for name, raw in fields.items():
        if name == "author":
            record.authors = parse_bibtex_names(raw)
        elif name == "editor":
            record.editors = parse_bibtex_names(raw)
        elif name in _SIMPLE:
            setattr(record, _SIMPLE[name], decode_value(name, raw))
        elif name in _LISTS:
            separator = ";" if name == "reasons_auto" else None  # a single reason may hold commas
            setattr(record, _LISTS[name], split_list(decode_value(name, raw), separator))
        elif name in _SYNOPSIS:
            setattr(record.synopsis, _SYNOPSIS[name], decode_value(name, raw))
        elif name == "year":
            text = decode_value(name, raw)
            year = _parse_int(text)
            if year is None:
                extra["year"] = text
            record.year = year
        elif name == "relevance":
            text = decode_value(name, raw)
            record.relevance = _parse_int(text)
            if record.relevance is None and text:
                extra["relevance"] = text
        elif name == "retracted":
            record.retracted = decode_value(name, raw).lower() in {"yes", "true", "1"}
        elif name == "protect":
            record.protect = split_list(decode_value(name, raw), ",")
        elif name == "cited_in":
            cited = decode_value(name, raw)
        elif name == "discussed_in":
            discussed = decode_value(name, raw)
        elif name == "relations":
            record.relations = parse_relations(decode_value(name, raw))
        else:
            extra[name] = decode_value(name, raw)
    if cited or discussed:
        record.links = _parse_links(cited, discussed)
    record.extra = extra
    return record


def _record_from_plain(record: Record, fields: dict[str, str]) -> Record:
    """:func:`record_from_fields` of plain values (:func:`plain_values`): each decodes to itself."""
    extra: dict[str, str] = {}
    cited = discussed = ""
    for name, text in fields.items():
        attr = _SIMPLE.get(name)
        if attr is not None:
            setattr(record, attr, text)
        elif name == "author":
            record.authors = _plain_names_list(text)
        elif name in _LISTS:
            setattr(record, _LISTS[name], split_list(text, ";" if name == "reasons_auto" else None))
        elif name in _SYNOPSIS:
            setattr(record.synopsis, _SYNOPSIS[name], text)
        elif name == "year":
            year = _parse_int(text)
            if year is None:
                extra["year"] = text
            record.year = year
        elif name == "editor":
            record.editors = _plain_names_list(text)
        elif name == "relevance":
            record.relevance = _parse_int(text)
            if record.relevance is None and text:
                extra["relevance"] = text
        elif name == "retracted":
            record.retracted = text.lower() in {"yes", "true", "1"}
        elif name == "protect":
            record.protect = split_list(text, ",")
        elif name == "cited_in":
            cited = text
        elif name == "discussed_in":
            discussed = text
        elif name == "relations":
            record.relations = parse_relations(text)
        else:
            extra[name] = text
    if cited or discussed:
        record.links = _parse_links(cited, discussed)
    record.extra = extra
    return record


def _plain_names_list(text: str) -> list[Author]:
    """:func:`parse_bibtex_names` of a plain value (:func:`plain_values`: no braces, LaTeX or ``--``), name by
    name through a cache: the same people sign many studies of a library, and an Author is immutable."""
    return [_plain_name(part) for part in _AND_SPLIT.split(text.strip()) if part.strip()]


@lru_cache(maxsize=1 << 16)
def _plain_name(part: str) -> Author:
    """The one person a part of a plain name list names (as parse_bibtex_names reads it)."""
    return parse_bibtex_names(part)[0]


def _store_name(text: str) -> str:
    return encode_value("author", text)


def _names(authors: list[Author]) -> str:
    return format_bibtex_names(authors, _store_name)


def record_to_fields(record: Record) -> dict[str, str]:
    """Record -> {field: stored text (what goes between the braces)}, non-empty fields only.

    Order: :data:`FIELD_ORDER`, then ``extra`` in its own order.
    """
    values: dict[str, str] = {}
    for name in FIELD_ORDER:
        text = ""
        if name == "author":
            text = _names(record.authors)
        elif name == "editor":
            text = _names(record.editors)
        elif name in _SIMPLE:
            text = getattr(record, _SIMPLE[name])
        elif name in _LISTS:
            text = "; ".join(getattr(record, _LISTS[name]))
        elif name in _SYNOPSIS:
            text = getattr(record.synopsis, _SYNOPSIS[name])
        elif name == "year":
            text = str(record.year) if record.year is not None else record.extra.get("year", "")
        elif name == "relevance":
            text = str(record.relevance) if record.relevance is not None else record.extra.get("relevance", "")
        elif name == "retracted":
            text = "yes" if record.retracted else ""
        elif name == "protect":
            text = ", ".join(record.protect)
        elif name == "cited_in":
            text = "; ".join(f"{lk.slug}#{lk.number}" if lk.number else lk.slug for lk in record.cited_in())
        elif name == "discussed_in":
            text = "; ".join(lk.slug for lk in record.discussed_in())
        elif name == "relations":
            text = "; ".join(rel.text() for rel in record.relations)
        if text:
            stored = text if name in ("author", "editor") else encode_value(name, text)
            if stored.strip():  # a value of white space or control characters only is no value
                values[name] = stored
    for name, text in record.extra.items():
        if name not in values and name not in _KNOWN and text and (stored := encode_value(name, text)).strip():
            values[name] = stored
    return values


# --- values a save writes back as they are ---------------------------------------------------------------------
_AND_SPLIT = re.compile(r"\s+and\s+", re.IGNORECASE)  # as library.names splits a name list


_NOT_PLAIN_BYTES = bytes(range(0x20)) + b"\x7f\\{}"  # control characters, backslash and braces
_NOT_PLAIN_LATEX_BYTES = _NOT_PLAIN_BYTES + b"~$&%#_^"  # and what encode_value escapes
# the same for text of the first 256 code points (Latin-1): what is not printable there (C0 and C1 controls,
# DEL, the no-break space, the soft hyphen), backslash and braces
_NOT_PLAIN_LATIN1 = bytes(c for c in range(256) if not chr(c).isprintable()) + b"\\{}"
_NOT_PLAIN_LATEX_LATIN1 = _NOT_PLAIN_LATIN1 + b"~$&%#_^"


def _plain(value: str, verbatim: bool) -> bool:
    """Nothing in ``value`` that decoding or encoding changes: no control character or white space other than
    single inner spaces, no brace or backslash, and in a LaTeX field none of the specials :func:`encode_value`
    escapes nor "--" (an en dash when decoded). A long abstract is read three times (ASCII text: one byte
    deletion pass for every character at once, then the two pairs), not once per character tested."""
    if value[0] == " " or value[-1] == " ":
        return False
    if value.isascii():
        data = value.encode("ascii")
        if len(data.translate(None, _NOT_PLAIN_BYTES if verbatim else _NOT_PLAIN_LATEX_BYTES)) != len(data):
            return False
    elif (latin1 := _latin1(value)) is not None:  # (one deletion pass too: isprintable is slower)
        if len(latin1.translate(None, _NOT_PLAIN_LATIN1 if verbatim else _NOT_PLAIN_LATEX_LATIN1)) != len(latin1):
            return False
    elif (not value.isprintable() or "\\" in value or "{" in value or "}" in value
          or (not verbatim and ("~" in value or "$" in value or "&" in value or "%" in value or "#" in value
                               or "_" in value or "^" in value))):
        return False  # (isprintable: no control character, and no white space but the ASCII space)
    return "  " not in value and (verbatim or "--" not in value)


def _latin1(value: str) -> bytes | None:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return None


def plain_values(names: tuple[str, ...], values: list[str]) -> bool:
    """True when every value of an entry (``names`` in lower case, no two the same) is non-empty, without a
    space at either end, and plain for its kind (:func:`_plain`: nothing to decode or encode): such a value is
    its own text (:func:`decode_value`) and written back as it is (the first half of :func:`fields_as_written`).
    The values of each kind are checked together, joined by spaces: a joined text is plain exactly when each
    value is, is not empty and has no space at either end (else two spaces meet, or the text starts or ends
    with one)."""
    latex, verbatim, _ = _shape(names)
    if latex:
        text = " ".join([values[i] for i in latex])
        if not text or not _plain(text, False):
            return False
    if verbatim:
        text = " ".join([values[i] for i in verbatim])
        if not text or not _plain(text, True):
            return False
    return True


def _plain_names(value: str) -> bool:
    """A plain name list read and written back as it is: every name "Family, Given" (one comma, both parts
    non-empty), joined by " and "."""
    parts = _AND_SPLIT.split(value)
    if " and ".join(parts) != value:
        return False
    for part in parts:
        family, comma, given = part.partition(",")
        if not comma or not family or family[-1] == " " or "," in given or len(given) < 2 or given[0] != " ":
            return False
    return True


@lru_cache(maxsize=1024)
def _kind(name: str) -> tuple[bool, bool]:
    """(verbatim, one value decoded and encoded as it is) of a field."""
    return name in VERBATIM_FIELDS, name in _SIMPLE or name in _SYNOPSIS or name not in _KNOWN


def stored_as_written(name: str, value: str) -> bool:
    """True when a stored field ``name = {value}`` (``name`` lower-case, the entry's only field of that name) is
    kept as written when the record read from its entry is saved again (:func:`record_from_fields`, then
    :func:`record_to_fields`, then the store's rule: a value is rewritten only when it decodes differently).
    Conservative: False for anything not known to be kept (the caller then renders the record in full).

    A plain value (nothing to decode or encode) of a field of the model is kept when it is already in the form
    the model writes (lists joined by "; ", names as "Family, Given", a number without leading zeros); a value
    of a text field (or one outside the model) is kept when it decodes as its encoded decoding does."""
    if not value:
        return False
    verbatim, single = _kind(name)
    if _plain(value, verbatim):
        return single or _plain_kept(name, value)
    return _written_alone_kept(name, value, single)


@lru_cache(maxsize=4096)
def lower_names(names: tuple[str, ...]) -> tuple[str, ...] | None:
    """An entry's field names in lower case; None when two are the same name (a save keeps the first)."""
    lower = tuple(name.lower() for name in names)
    return lower if len(set(lower)) == len(lower) else None


@lru_cache(maxsize=4096)
def _shape(names: tuple[str, ...]) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """The places of an entry's LaTeX values, verbatim values and values that are not one text."""
    kinds = [_kind(name) for name in names]
    return (tuple(i for i, (verbatim, _) in enumerate(kinds) if not verbatim),
            tuple(i for i, (verbatim, _) in enumerate(kinds) if verbatim),
            tuple(i for i, (_, single) in enumerate(kinds) if not single))


def fields_as_written(names: tuple[str, ...], values: list[str], plain: bool | None = None) -> bool:
    """:func:`stored_as_written` for every field of an entry (``names`` in lower case, no two the same): the
    values of each kind (LaTeX, verbatim) are checked for plainness together (:func:`plain_values`; ``plain``
    is its answer when the caller knows it), and what that depends on is worked out once per list of names
    (entries of a library share a few), not once per value."""
    if plain is None:
        plain = plain_values(names, values)
    if not plain:
        return all(map(stored_as_written, names, values))
    return all(_plain_kept(names[i], values[i]) for i in _shape(names)[2])  # every value plain


def structured_kept(names: tuple[str, ...], values: dict[int, str]) -> bool:
    """:func:`fields_as_written` of plain values (:func:`plain_values`), from the values of the fields that are
    not one text (name lists, lists, numbers: :func:`structured_places`) alone, by place."""
    return all(_plain_kept(names[i], values[i]) for i in _shape(names)[2])


def structured_places(names: tuple[str, ...]) -> tuple[int, ...]:
    """The places of an entry's fields whose value is not one text (name lists, lists, numbers ...)."""
    return _shape(names)[2]


def _plain_kept(name: str, value: str) -> bool:
    """:func:`stored_as_written` of a plain value of a field that is not one text."""
    if (name in ("author", "editor") and _plain_names(value)) or (
            name in _LISTS and "; ".join(split_list(value, ";" if name == "reasons_auto" else None)) == value):
        return True
    if name in ("author", "editor") or name in _LISTS:
        return _written_alone_kept(name, value, False)
    if name in ("year", "relevance"):  # a number, or kept as text in ``extra`` when it is none
        return not value.isdecimal() or (value.isascii() and str(int(value)) == value)
    if name == "retracted":
        return value == "yes"
    if name == "protect":
        return ", ".join(split_list(value, ",")) == value
    try:
        if name == "cited_in":
            return "; ".join(f"{lk.slug}#{lk.number}" if lk.number else lk.slug
                             for lk in _parse_links(value, "")) == value
        if name == "discussed_in":
            return "; ".join(lk.slug for lk in _parse_links("", value)) == value
        if name == "relations":
            return "; ".join(rel.text() for rel in parse_relations(value)) == value
    except ValueError:
        return False
    return False


def _written_alone_kept(name: str, value: str, single: bool) -> bool:
    """The rare value with LaTeX (or a name list or list in another form): kept when what record_to_fields
    writes for it decodes as it does (the store's rule); False for other fields."""
    if single:
        text = decode_value(name, value)
        stored = encode_value(name, text) if text else ""
    elif name in _LISTS:
        parts = split_list(decode_value(name, value), ";" if name == "reasons_auto" else None)
        stored = encode_value(name, "; ".join(parts)) if parts else ""
    elif name in ("author", "editor"):
        stored = _names(parse_bibtex_names(value))
    else:
        return False
    return bool(stored.strip()) and (stored == value or decode_value(name, stored) == decode_value(name, value))


def synopsis_fields(synopsis: Synopsis) -> dict[str, str]:
    return {name: getattr(synopsis, attr) for name, attr in _SYNOPSIS.items() if getattr(synopsis, attr)}


# --- what the API accepts: keys, entry types and field names that BibTeX readers read back as written ----------
_KEY_RE = re.compile(r"[^\s,{}()\"=#%\\]+")
_TYPE_RE = re.compile(r"[a-z][a-z0-9_]*")
_FIELD_RE = re.compile(r"[a-z][a-z0-9_:.+-]*")
_NOT_ENTRY_TYPES = frozenset({"string", "comment", "preamble"})
_EXTRA_SHADOWED = (_KNOWN | set(FIELD_ORDER)) - {"year", "relevance"}  # extra under these names would be lost


def key_problem(key: str) -> str:
    """Why ``key`` cannot be a citation key (empty when it can)."""
    if not key:
        return "the citation key is empty"
    if not _KEY_RE.fullmatch(key) or CONTROL.search(key) or not key.isprintable():
        return (f"citation key {key!r} holds a character BibTeX cannot read in a key (white space, control "
                "characters or one of , { } ( ) \" = # % \\)")
    return ""


def record_problems(record: Record, *, check_key: bool = True) -> list[str]:
    """What keeps ``record`` from being written so that it reads back (key, entry type, extra field names)."""
    found = []
    if check_key and (problem := key_problem(record.key)):
        found.append(problem)
    entry_type = record.entry_type
    if not _TYPE_RE.fullmatch(entry_type or "") or entry_type.lower() in _NOT_ENTRY_TYPES:
        found.append(f"entry type {entry_type!r} is not a BibTeX entry type (lower-case letters, digits and '_', "
                     "starting with a letter; not string, comment or preamble)")
    for name in record.extra:
        if not _FIELD_RE.fullmatch(name):
            found.append(f"field name {name!r} is not a lower-case BibTeX field name (a-z, 0-9, _ : . + -)")
        elif name in _EXTRA_SHADOWED:
            found.append(f"field name {name!r} is a field of the record model; set the record's attribute instead")
    return found


@lru_cache(maxsize=4096)
def storable_entry(entry_type: str, names: tuple[str, ...]) -> bool:
    """True when the record read from a stored entry of this type with fields of these names has none of
    :func:`record_problems`' problems of the type and field names (as a stored key, the key is not checked)."""
    kind = entry_type.lower()
    if not _TYPE_RE.fullmatch(kind) or kind in _NOT_ENTRY_TYPES:
        return False
    for name in names:
        lname = name.lower()
        if lname not in _KNOWN and not _FIELD_RE.fullmatch(lname):
            return False
    return True


def storable_extra(extra: dict[str, str]) -> dict[str, str]:
    """Extra fields under names the store accepts: what a source file names oddly (``funding_text\\xa01``) is
    renamed (lower-case, other characters as ``_``), never dropped."""
    out: dict[str, str] = {}
    for name, value in extra.items():
        fixed = re.sub(r"[^a-z0-9_:.+-]", "_", name.lower())
        if not fixed or not fixed[0].isalpha() or not fixed.isascii():
            fixed = "x_" + fixed
        if fixed in _EXTRA_SHADOWED:
            fixed = "x_" + fixed
        while fixed in out:
            fixed += "_"
        out[fixed] = value
    return out
