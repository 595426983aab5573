"""CSL-JSON (the input format of citeproc processors: pandoc ``--citeproc``, citeproc-js, citeproc-py).

Output is valid against the CSL 1.0.2 data schema (vendored in ``data/csl-data.json``, checked by
:func:`validate_csl_json`). An article number goes to ``number`` (CSL 1.0.2: APA prints "Article CD003718"),
PMID/PMCID to ``PMID``/``PMCID``, a web page's access date to ``accessed``. reflib's evidence fields go under
``custom`` (the schema's place for them) only when asked for.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

from ..fields import join_keywords
from ..model import Author, Record
from .parts import (
    article_number_of,
    bcp47,
    holds_direction_controls,
    iso_date,
    kind_of,
    month_number,
    page_range,
    publisher_of,
    standard_extra,
    without_direction_controls,
)

__all__ = ["csl_item", "csl_type", "to_csl_json", "validate_csl_json"]

_TYPES = {"article": "article-journal", "book": "book", "chapter": "chapter", "conference": "paper-conference",
          "proceedings": "book", "web": "webpage", "report": "report", "thesis": "thesis", "manual": "report",
          "unpublished": "manuscript", "dataset": "dataset", "software": "software", "misc": "document"}
_PARTICLES = ("van der", "van den", "van de", "von der", "van", "von", "de la", "de", "del", "della", "di", "da",
              "dos", "du", "le", "la", "ter", "ten", "zu")
_PARTICLE_STARTS = tuple(p + " " for p in _PARTICLES)
_FIRST_WORDS = frozenset(p.split()[0] for p in _PARTICLES)  # a family name starting with none has no particle


def csl_type(record: Record) -> str:
    kind = kind_of(record)
    if kind == "article" and not record.journal:
        return "article"  # a preprint or stand-alone article: no container to print
    return _TYPES.get(kind, "document")


def csl_name(author: Author) -> dict[str, str]:
    """Author -> CSL name; a lower-case particle ('van Rijswijk') becomes ``non-dropping-particle`` so styles
    sort and display it by their own rules."""
    if author.literal:
        return {"literal": author.literal}
    name: dict[str, str] = {}
    family = author.family
    if family.partition(" ")[0] in _FIRST_WORDS:
        for particle, start in zip(_PARTICLES, _PARTICLE_STARTS, strict=True):
            if family.startswith(start) and len(family) > len(start):
                name["non-dropping-particle"] = particle
                family = family[len(start):]
                break
    name["family"] = family
    if author.given:
        name["given"] = author.given
    if author.suffix:
        name["suffix"] = author.suffix
    return name


def _date(parts: tuple[int, ...]) -> dict[str, Any]:
    return {"date-parts": [list(parts)]}


# what a thesis is when its record does not say (BibTeX's type field): every style prints the genre
_THESIS_GENRE = {"phdthesis": "Doctoral dissertation", "mastersthesis": "Master's thesis"}
# biblatex's type keys, which biblatex prints as words ("type = {phdthesis}" is "PhD thesis", not a word to print)
_TYPE_KEYS = {**_THESIS_GENRE, "mathesis": "Master's thesis", "candthesis": "Candidate thesis",
              "techreport": "Technical report", "resreport": "Research report"}


def _genre(record: Record) -> str:
    given = standard_extra(record, "type")
    return _TYPE_KEYS.get(given.strip().lower(), given) or _THESIS_GENRE.get(record.entry_type.lower(), "")


def csl_item(record: Record, keep_custom: bool = False) -> dict[str, Any]:
    """One record -> one CSL-JSON item (only non-empty variables)."""
    kind = kind_of(record)
    item: dict[str, Any] = {"id": record.key, "type": csl_type(record)}
    # BibTeX's "and others" means "the list goes on", never a person: CSL styles apply their own et-al rules
    authors = [a for a in record.authors if not a.is_others]
    editors = [a for a in record.editors if not a.is_others]
    if authors:
        item["author"] = [csl_name(a) for a in authors]
    if editors:
        item["editor"] = [csl_name(a) for a in editors]
    item["title"] = record.title
    if kind in ("chapter", "conference"):
        item["container-title"] = record.booktitle
    else:
        item["container-title"] = record.journal or (record.booktitle if kind != "book" else "")
    item["container-title-short"] = record.journal_abbrev
    item["collection-title"] = standard_extra(record, "series")
    item["edition"] = standard_extra(record, "edition")
    item["publisher"] = publisher_of(record)
    item["publisher-place"] = standard_extra(record, "address")
    item["genre"] = _genre(record)
    if record.year is not None:
        month = month_number(record.month) if record.month else None
        item["issued"] = _date((record.year, month) if month else (record.year,))
    elif record.extra.get("year"):
        item["issued"] = {"literal": record.extra["year"]}
    if record.urldate:
        parts = iso_date(record.urldate)
        item["accessed"] = _date(parts) if parts else {"literal": record.urldate}
    item["volume"] = record.volume
    if kind == "report":  # BibTeX's number of a report is its report number ("(Report No. X)"), not an issue
        item["number"] = record.issue
    else:
        item["issue"] = record.issue
    first, last = page_range(record.pages)
    number = article_number_of(first, last)
    if number and kind != "report":
        item["number"] = number
    else:
        item["page"] = f"{first}-{last}" if last else first
    for variable, value in (("DOI", record.doi), ("PMID", record.pmid), ("PMCID", record.pmcid),
                            ("ISSN", record.issn), ("ISBN", record.isbn), ("URL", record.url)):
        item[variable] = value.strip()
    item["language"] = bcp47(record.language)
    item["abstract"] = record.abstract
    item["keyword"] = join_keywords(record.keywords)
    item["note"] = record.note
    item = {k: v for k, v in item.items() if v != "" and v is not None and v != []}  # as "not in ('', None, [])"
    if keep_custom:
        custom = _custom(record)
        if custom:
            item["custom"] = custom
    return item


def _controlled(text: Any) -> bool:
    return isinstance(text, str) and holds_direction_controls(text)


def has_direction_controls(item: dict[str, Any]) -> bool:
    """Whether a text of the item, or of one of its names, holds a direction control (rare: checked cheaply)."""
    for value in item.values():
        if isinstance(value, list):
            if any(_controlled(part) for name in value if isinstance(name, dict) for part in name.values()):
                return True
        elif _controlled(value):
            return True
    return False


def without_direction_controls_item(item: dict[str, Any]) -> dict[str, Any]:
    """Every text of the item, names too, without explicit direction controls (:func:`.parts.without_direction_
    controls`): what the citation styles are given. The CSL-JSON export keeps the data as it is (the terminal
    shows such characters escaped)."""
    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return without_direction_controls(value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value
    return {k: clean(v) for k, v in item.items()}


def _custom(record: Record) -> dict[str, Any]:
    values: dict[str, Any] = {
        "topics": record.all_topics, "design": record.effective_design, "level": record.effective_level,
        "grade": record.grade, "stance": record.stance, "relevance": record.relevance,
        "tldr": record.synopsis.tldr, "findings": record.synopsis.findings,
        "implications": record.synopsis.implications, "mesh": record.mesh, "pubtypes": record.pubtypes,
        "verification": record.verification, "retracted": record.retracted or None,
        "cited_in": [link.slug for link in record.cited_in()],
        "discussed_in": [link.slug for link in record.discussed_in()],
    }
    return {k: v for k, v in values.items() if v not in ("", None, [])}


def to_csl_json(records: Sequence[Record], keep_custom: bool = False) -> list[dict[str, Any]]:
    """Records -> CSL-JSON items, in the order given (serialize with ``json.dumps``)."""
    return [csl_item(record, keep_custom) for record in records]


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    text = resources.files("library.export").joinpath("data/csl-data.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_csl_json(items: list[dict[str, Any]]) -> list[str]:
    """Problems of CSL-JSON items against the CSL 1.0.2 data schema, as 'item id: path: message' lines."""
    from jsonschema import Draft7Validator

    validator = Draft7Validator(_schema())
    problems = []
    for error in sorted(validator.iter_errors(items), key=lambda e: list(e.absolute_path)):
        path = list(error.absolute_path)
        where = ""
        if path and isinstance(path[0], int) and path[0] < len(items):
            where = f"{items[path[0]].get('id', path[0])}: "
            path = path[1:]
        problems.append(f"{where}{'/'.join(str(p) for p in path) or '(item)'}: {error.message}")
    return problems
