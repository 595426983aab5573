"""BibTeX for LaTeX users: classic ``bibtex`` + ``pdflatex`` must compile it with any standard style.

Differences from ``references.bib`` itself: text is turned into LaTeX (accents, dashes, math symbols), words with
capitals in titles are braced so that styles which lower-case titles keep "HSG" and "Fallopian", BibLaTeX-only
entry types become their BibTeX equivalents (``@online`` -> ``@misc`` with ``url`` and an "Accessed" note), and
reflib's own evidence fields are left out unless asked for (``keep_custom``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from ..fields import CUSTOM_FIELDS, VERBATIM_FIELDS, decode_value, join_keywords, record_to_fields
from ..latex import encode_latex
from ..model import Author, Record
from ..names import format_bibtex_names
from .parts import STANDARD_EXTRA, iso_date, kind_of, month_number, page_range, standard_extra

__all__ = ["KIND_TYPES", "bibtex_entry", "bibtex_key", "protect_title", "render_entry", "to_bibtex", "verbatim"]

_BIBTEX_TYPES = {"article", "book", "booklet", "conference", "inbook", "incollection", "inproceedings", "manual",
                 "mastersthesis", "misc", "phdthesis", "proceedings", "techreport", "unpublished"}
# a kind of work (library.export.parts.kind_of) -> its BibTeX type; any other kind is written as @misc
KIND_TYPES = {"article": "article", "book": "book", "chapter": "incollection", "conference": "inproceedings",
               "proceedings": "proceedings", "report": "techreport", "thesis": "phdthesis", "manual": "manual",
               "unpublished": "unpublished"}
_MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_KEY_BAD = re.compile(r"[\s,{}()\"#%'=\\~]")


def bibtex_key(key: str) -> str:
    """A citation key BibTeX and biber can read (spaces, commas, braces, quotes... become ``_``)."""
    return _KEY_BAD.sub("_", key) or "record"


def protect_title(text: str) -> str:
    """Unicode title -> LaTeX with every word that has a capital (other than the title's first letter) braced.

    Styles that lower-case titles (plain, plainnat, biblatex-apa) then keep acronyms, gene names and proper
    nouns as the source wrote them.
    """
    runs: list[tuple[bool, list[str]]] = []  # consecutive words share one brace group: "{Infertile Women}"
    for index, word in enumerate(text.split()):
        rest = word[1:] if index == 0 else word  # the title's first letter is kept by every style
        protect = rest != rest.lower()
        if runs and runs[-1][0] == protect:
            runs[-1][1].append(word)
        else:
            runs.append((protect, [word]))
    parts = []
    for protect, words in runs:
        encoded = latex(" ".join(words))
        parts.append("{" + encoded + "}" if protect else encoded)
    return " ".join(parts)


def verbatim(text: str) -> str:
    """Identifiers and URLs go in as written (styles typeset them with ``\\url``/``\\doi``); braces are dropped
    because they cannot be balanced reliably and never belong in an identifier."""
    return " ".join(text.replace("{", "").replace("}", "").split())


_LATEX_SPECIALS = re.compile(r"[&%#_$\\{}~^\x00-\x1f\x7f]|--")


# characters encode_latex leaves as UTF-8 that pdflatex's default utf8 input cannot typeset ("Unicode character
# ₂ (U+2082) not set up for use with LaTeX"): frequent in medical titles (CO₂, HCO₃⁻, 3′-UTR). Each spelling reads
# back through decode_latex as the character it replaces; a character with no such spelling (≧ would come back
# as ≥, ∆ as Δ, an omicron as o, a zero-width joiner as nothing) stays UTF-8, for biber or a Unicode engine
_PDFLATEX_FALLBACK = str.maketrans({
    **{chr(0x2070 + d): f"\\textsuperscript{{{d}}}" for d in (0, 4, 5, 6, 7, 8, 9)},
    "¹": r"\textsuperscript{1}", "²": r"\textsuperscript{2}", "³": r"\textsuperscript{3}",
    **{chr(0x2080 + d): f"\\textsubscript{{{d}}}" for d in range(10)},
    "⁺": r"\textsuperscript{+}", "⁻": r"\textsuperscript{$-$}", "₊": r"\textsubscript{+}",
    "₋": r"\textsubscript{$-$}", "⁼": r"\textsuperscript{=}", "₌": r"\textsubscript{=}",
    "⁽": r"\textsuperscript{(}", "⁾": r"\textsuperscript{)}", "₍": r"\textsubscript{(}", "₎": r"\textsubscript{)}",
    "′": "$'$", "″": "$''$", "‴": "$'''$",
    # white space reads back as one space anyway
    **dict.fromkeys("\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u200a\u205f", " "),
    "\u202f": r"\,",
})


def _encode(text: str) -> str:
    encoded = encode_latex(text)
    return encoded if encoded.isascii() else encoded.translate(_PDFLATEX_FALLBACK)


@lru_cache(maxsize=65_536)
def _latex_cached(text: str) -> str:
    return _encode(text)


def latex(text: str) -> str:
    """:func:`encode_latex`, faster (plain ASCII with nothing to escape is returned as is; short texts — names,
    journals, which repeat across a library — are encoded once), plus symbols pdflatex would otherwise reject."""
    if text.isascii() and not _LATEX_SPECIALS.search(text):
        return text
    return _latex_cached(text) if len(text) < 160 else _encode(text)


def text_field(text: str) -> str:
    if not text:
        return ""
    odd_space = ("  " in text or "\n" in text or "\t" in text or "\r" in text or text[0].isspace()
                 or text[-1].isspace())
    return latex(" ".join(text.split()) if odd_space else text)


def render_entry(entry_type: str, key: str, fields: Iterable[tuple[str, str]]) -> str:
    """One entry: ``@type{key,`` then ``  name = {value}`` lines (``month`` macros unbraced)."""
    lines = []
    for name, value in fields:
        if not value:
            continue
        is_macro = name == "month" and value in _MONTH_MACROS
        lines.append(f"  {name:<12} = {value if is_macro else '{' + value + '}'}")
    return f"@{entry_type}{{{key},\n" + ",\n".join(lines) + "\n}\n"


def names(people: list[Author]) -> str:
    return format_bibtex_names(people, latex)


def custom_fields(record: Record, emitted: set[str]) -> list[tuple[str, str]]:
    """reflib's own fields and any unknown fields, for exports that keep them (``keep_custom``)."""
    out = []
    for name, stored in record_to_fields(record).items():
        if name in emitted or name in STANDARD_EXTRA:
            continue
        if name not in CUSTOM_FIELDS and name not in record.extra:
            continue
        value = decode_value(name, stored)
        out.append((name, verbatim(value) if name in VERBATIM_FIELDS else text_field(value)))
    return out


def _type_for(record: Record) -> str:
    entry_type = record.entry_type.lower()
    if entry_type in _BIBTEX_TYPES:
        return entry_type
    if entry_type == "thesis" and "master" in standard_extra(record, "type").lower():
        return "mastersthesis"
    return KIND_TYPES.get(kind_of(record), "misc")


def _month(record: Record) -> str:
    number = month_number(record.month)
    if number:
        return _MONTH_MACROS[number - 1]
    return text_field(record.month)


def _note(record: Record) -> str:
    note = record.note.strip()
    if not record.urldate:
        return text_field(note) if note else ""  # as written (its final full stop was dropped)
    date = iso_date(record.urldate)
    stamp = "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(date)) if date else record.urldate
    return text_field(". ".join([*([note.rstrip(".")] if note else []), f"Accessed {stamp}"]))


def bibtex_fields(record: Record, entry_type: str) -> list[tuple[str, str]]:
    """The standard fields of one entry, LaTeX-encoded, in a conventional order."""
    pages = record.pages
    first, last = page_range(pages)
    if first:
        pages = f"{first}\u2013{last}" if last else first  # an en dash: "--"
    container_is_journal = entry_type == "article"
    extra = {name: standard_extra(record, name) for name in
             ("address", "edition", "series", "organization", "institution", "school", "howpublished", "chapter",
              "type")}
    if entry_type in ("phdthesis", "mastersthesis") and not extra["school"]:
        extra["school"] = extra["institution"] or record.publisher
    if entry_type == "techreport" and not extra["institution"]:
        extra["institution"] = record.publisher or extra["organization"]
    fields: list[tuple[str, str]] = [
        ("author", names(record.authors)),
        ("editor", names(record.editors)),
        ("title", protect_title(record.title)),
        ("journal", text_field(record.journal) if container_is_journal else ""),
        # not a classic BibTeX field (styles skip it), but what JabRef, Zotero and biblatex read: the abbreviation
        # survives a round trip
        ("shortjournal", text_field(record.journal_abbrev) if container_is_journal else ""),
        ("booktitle", protect_title(record.booktitle) if not container_is_journal else ""),
        ("edition", text_field(extra["edition"])),
        ("series", text_field(extra["series"])),
        ("chapter", text_field(extra["chapter"])),
        ("type", text_field(extra["type"]) if entry_type not in ("phdthesis", "mastersthesis") else ""),
        ("school", text_field(extra["school"]) if entry_type in ("phdthesis", "mastersthesis") else ""),
        ("institution", text_field(extra["institution"]) if entry_type == "techreport" else ""),
        ("organization", text_field(extra["organization"])),
        ("publisher", text_field(record.publisher) if entry_type not in ("techreport", "phdthesis",
                                                                           "mastersthesis") else ""),
        ("address", text_field(extra["address"])),
        ("howpublished", text_field(extra["howpublished"])),
        ("year", str(record.year) if record.year is not None else text_field(record.extra.get("year", ""))),
        ("month", _month(record) if record.month else ""),
        ("volume", text_field(record.volume)),
        ("number", text_field(record.issue)),
        ("pages", text_field(pages)),
        ("note", _note(record)),
        ("doi", verbatim(record.doi)),
        ("url", verbatim(record.url)),
        ("urldate", verbatim(record.urldate)),
        ("issn", verbatim(record.issn)),
        ("isbn", verbatim(record.isbn)),
        ("pmid", verbatim(record.pmid)),
        ("pmcid", verbatim(record.pmcid)),
        ("language", text_field(record.language)),
        ("keywords", text_field(join_keywords(record.keywords))),
        ("abstract", text_field(record.abstract)),
    ]
    return fields


def bibtex_entry(record: Record, keep_custom: bool = False) -> str:
    entry_type = _type_for(record)
    fields = bibtex_fields(record, entry_type)
    if keep_custom:
        emitted = {name for name, value in fields if value} | {"shortjournal"}
        fields.append(("shortjournal", text_field(record.journal_abbrev)))
        fields.extend(custom_fields(record, emitted))
    return render_entry(entry_type, bibtex_key(record.key), fields)


def to_bibtex(records: Sequence[Record], keep_custom: bool = False) -> str:
    """Records -> a .bib text for classic BibTeX; entries in the order given, separated by blank lines."""
    return "\n".join(bibtex_entry(record, keep_custom) for record in records)
