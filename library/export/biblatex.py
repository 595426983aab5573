"""BibLaTeX (biber) export: ISO ``date``, ``journaltitle``, ``eprint``/``eprinttype = {pubmed}``, ``@online``.

Only fields of biblatex's default data model are written, so ``biber --tool --validate-datamodel`` stays clean;
PMID goes to ``eprint`` (biblatex links it to PubMed), an article number to ``eid``, web pages keep ``url`` and
``urldate``. reflib's own fields (which the data model does not know) are written only with ``keep_custom``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Record
from .bibtex import bibtex_key, custom_fields, names, protect_title, render_entry, text_field, verbatim
from .parts import article_number, iso_date, kind_of, month_number, page_range, standard_extra

__all__ = ["biblatex_date", "biblatex_entry", "to_biblatex"]

_KIND_TYPES = {"article": "article", "book": "book", "chapter": "incollection", "conference": "inproceedings",
               "proceedings": "proceedings", "web": "online", "report": "report", "thesis": "thesis",
               "manual": "manual", "unpublished": "unpublished", "dataset": "dataset", "software": "software",
               "misc": "misc"}
_KEEP_TYPES = {"inbook", "bookinbook", "suppbook", "mvbook", "booklet", "collection", "mvcollection",
               "mvproceedings", "periodical", "patent", "reference", "set", "xdata"}
# PubMed/ISO 639 language codes -> babel/polyglossia names that biblatex understands as langid
_LANGIDS = {"eng": "english", "en": "english", "fre": "french", "fra": "french", "fr": "french",
            "ger": "german", "deu": "german", "de": "german", "spa": "spanish", "es": "spanish",
            "ita": "italian", "it": "italian", "dut": "dutch", "nld": "dutch", "nl": "dutch",
            "por": "portuguese", "pt": "portuguese", "pol": "polish", "pl": "polish", "swe": "swedish",
            "dan": "danish", "nor": "norsk", "fin": "finnish", "tur": "turkish", "gre": "greek", "rus": "russian",
            "cze": "czech", "ces": "czech", "hun": "magyar", "jpn": "japanese", "chi": "chinese"}
_LANG_NAMES = set(_LANGIDS.values()) | {"american", "british", "ngerman"}


def biblatex_date(record: Record) -> str:
    """``YYYY``, ``YYYY-MM`` (or '' when the year is unknown)."""
    if record.year is None:
        return ""
    month = month_number(record.month) if record.month else None
    return f"{record.year:04d}-{month:02d}" if month else f"{record.year:04d}"


def _iso(text: str) -> str:
    parts = iso_date(text)
    return "-".join(f"{p:02d}" if i else f"{p:04d}" for i, p in enumerate(parts))


def _langid(language: str) -> str:
    lowered = language.strip().lower()
    if lowered in _LANG_NAMES:
        return lowered
    return _LANGIDS.get(lowered, "")


def _type_for(record: Record) -> tuple[str, str]:
    """(biblatex entry type, value of its ``type`` field)."""
    entry_type = record.entry_type.lower()
    if entry_type in _KEEP_TYPES:
        return entry_type, ""
    kind = kind_of(record)
    given_type = standard_extra(record, "type")
    if entry_type == "techreport":
        return "report", given_type or "techreport"
    if entry_type == "phdthesis":
        return "thesis", given_type or "phdthesis"
    if entry_type == "mastersthesis":
        return "thesis", given_type or "mathesis"
    if kind == "thesis":
        return "thesis", given_type or "phdthesis"
    if kind == "report":
        return "report", given_type or "techreport"
    return _KIND_TYPES.get(kind, "misc"), given_type


def _aliases(record: Record) -> str:
    """The record's other keys (``ids``), as biblatex reads them: comma-separated entry keys."""
    keys = [bibtex_key(k.strip()) for k in standard_extra(record, "ids").split(",") if k.strip()]
    return verbatim(", ".join(k for k in keys if k != bibtex_key(record.key)))


def biblatex_fields(record: Record, entry_type: str, type_field: str) -> list[tuple[str, str]]:
    number = article_number(record)
    first, last = page_range(record.pages)
    pages = "" if number else (f"{first}\u2013{last}" if last else first)  # an en dash: "--"
    container = "journaltitle" if entry_type == "article" else "booktitle"
    container_text = record.journal if entry_type == "article" else record.booktitle
    if entry_type == "online" and not container_text and record.journal:
        container_text = record.journal  # a web page "in" a site: biblatex calls it organization below
    eprint = verbatim(record.pmid)
    eprinttype = "pubmed" if eprint else ""
    if not eprint and standard_extra(record, "eprint"):
        eprint = verbatim(standard_extra(record, "eprint"))
        eprinttype = verbatim(standard_extra(record, "eprinttype") or standard_extra(record, "archiveprefix"))
    institution = standard_extra(record, "institution") or standard_extra(record, "school")
    publisher = record.publisher
    if entry_type in ("report", "thesis") and not institution:
        institution, publisher = publisher, ""
    organization = standard_extra(record, "organization")
    if entry_type == "online" and container_text:
        organization = organization or container_text
        container_text = ""
    date = biblatex_date(record)
    year_text = "" if date else record.extra.get("year", "")
    return [
        ("ids", _aliases(record)),  # biblatex's own field: \cite{oldkey} resolves after a merge or a renamed key
        ("author", names(record.authors)),
        ("editor", names(record.editors)),
        ("title", protect_title(record.title)),
        ("subtitle", protect_title(standard_extra(record, "subtitle"))),
        ("titleaddon", text_field(standard_extra(record, "titleaddon"))),
        (container, protect_title(container_text) if container == "booktitle" else text_field(container_text)),
        ("shortjournal", text_field(record.journal_abbrev) if entry_type == "article" else ""),
        ("eventtitle", text_field(standard_extra(record, "eventtitle"))),
        ("edition", text_field(standard_extra(record, "edition"))),
        ("series", text_field(standard_extra(record, "series"))),
        ("chapter", text_field(standard_extra(record, "chapter"))),
        ("type", text_field(type_field)),
        ("institution", text_field(institution) if entry_type in ("report", "thesis") else ""),
        ("organization", text_field(organization)),
        ("publisher", text_field(publisher)),
        ("location", text_field(standard_extra(record, "location"))),
        ("date", date),
        ("year", text_field(year_text)),
        ("volume", text_field(record.volume)),
        ("number", text_field(record.issue)),
        ("eid", text_field(number)),
        ("pages", text_field(pages)),
        ("version", text_field(standard_extra(record, "version"))),
        ("note", text_field(record.note)),
        ("issn", verbatim(record.issn)),
        ("isbn", verbatim(record.isbn)),
        ("doi", verbatim(record.doi)),
        ("eprint", eprint),
        ("eprinttype", eprinttype),
        ("url", verbatim(record.url)),
        ("urldate", _iso(record.urldate) if record.urldate else ""),
        ("langid", _langid(record.language)),
        ("keywords", text_field(", ".join(record.keywords))),
        ("abstract", text_field(record.abstract)),
    ]


def biblatex_entry(record: Record, keep_custom: bool = False) -> str:
    entry_type, type_field = _type_for(record)
    fields = biblatex_fields(record, entry_type, type_field)
    if keep_custom:
        emitted = {name for name, value in fields if value} | {"journal", "shortjournal", "year", "month",
                                                                 "pmid", "address", "school"}
        if record.pmcid:
            fields.append(("pmcid", verbatim(record.pmcid)))
            emitted.add("pmcid")
        fields.extend(custom_fields(record, emitted))
    return render_entry(entry_type, bibtex_key(record.key), fields)


def to_biblatex(records: Sequence[Record], keep_custom: bool = False) -> str:
    """Records -> a .bib text for biblatex + biber; entries in the order given."""
    return "\n".join(biblatex_entry(record, keep_custom) for record in records)
