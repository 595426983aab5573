"""NLM journal abbreviations ("N Engl J Med") for AMA and Vancouver, from the lists shipped in
``library/data/journal-abbreviations/`` (NLM's journal lists via JabRef's abbrv.jabref.org, CC0; see the
PROVENANCE.md there).

Records name a journal in many ways ("The New England journal of medicine", "New England Journal of Medicine",
"NEW ENGL J MED", "N. Engl. J. Med."), so names are compared by a key that ignores case, accents, punctuation,
"&" vs "and" and the article "the". A name that matches no list title exactly is tried once more without its
parenthesized or bracketed parts and its subtitle ("Human reproduction (Oxford, England)" -> "Human
reproduction"); a key that leads to two different abbreviations is ambiguous and fills nothing. What a source
supplies (RIS ``JO``/``J2``, PubMed ``MedlineTA``) is never replaced.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .export.parts import kind_of
from .model import Record
from .normalize import ascii_fold

__all__ = ["Abbreviation", "fill_journal_abbrev", "journal_key", "lookup_abbreviation", "missing_abbreviations"]

_LISTS = ("entrez.csv", "medicus.csv")  # entrez (NLM's current catalog) wins over the older medicus list
_NON_WORD = re.compile(r"[^a-z0-9]+")
_ASIDES = re.compile(r"\s*(?:\([^)]*\)|\[[^\]]*\])")
_SUBTITLE = re.compile(r"\s*(?::|\s/\s|\s=\s).*$")
_DROP = frozenset({"the"})
# an ISO 4 qualifier that tells apart two serials of one title by the year the later one began: entrez.csv has
# "Science" -> "Science (80- )", where NLM's MedlineTA (what AMA and Vancouver print) is plain "Science"
_YEAR_QUALIFIER = re.compile(r"\s*\(\d{2,4}-\s*\)$")


def journal_key(name: str) -> str:
    """'The New England Journal of Medicine' / 'new england journal of medicine.' -> 'new england journal of
    medicine'; 'Obstetrics & Gynecology' -> 'obstetrics and gynecology'."""
    text = (name if name.isascii() else ascii_fold(name)).lower().replace("&", " and ")
    return " ".join(w for w in _NON_WORD.sub(" ", text).split() if w not in _DROP)


def _short_key(name: str) -> str:
    """The key without asides and subtitle: 'Human reproduction (Oxford, England)' -> 'human reproduction'."""
    return journal_key(_SUBTITLE.sub("", _ASIDES.sub("", name)))


@dataclass(frozen=True, slots=True)
class Abbreviation:
    abbreviation: str
    title: str  # the list's title that matched
    how: str  # "title", "title without asides" or "abbreviation"

    @property
    def reason(self) -> str:
        return f"NLM journal list: {self.title!r} -> {self.abbreviation!r} (matched on the {self.how})"


_AMBIGUOUS = Abbreviation("", "", "ambiguous")


def _add(index: dict[str, Abbreviation], key: str, found: Abbreviation, first_wins: bool) -> None:
    if not key:
        return
    held = index.get(key)
    if held is None:
        index[key] = found
    elif held.abbreviation != found.abbreviation and not first_wins:
        index[key] = _AMBIGUOUS


@lru_cache(maxsize=1)
def _indexes() -> tuple[dict[str, Abbreviation], dict[str, Abbreviation], dict[str, Abbreviation]]:
    """(by title key, by short title key, by abbreviation key)."""
    titles: dict[str, Abbreviation] = {}
    shorts: dict[str, Abbreviation] = {}
    abbreviations: dict[str, Abbreviation] = {}
    folder = resources.files("library").joinpath("data/journal-abbreviations")
    for rank, name in enumerate(_LISTS):
        text = folder.joinpath(name).read_text(encoding="utf-8")
        seen_here: dict[str, Abbreviation] = {}
        for row in csv.reader(io.StringIO(text, newline="")):
            if len(row) < 2 or not row[0].strip() or not row[1].strip():
                continue
            title, abbreviation = row[0].strip(), _YEAR_QUALIFIER.sub("", row[1].strip())
            key = journal_key(title)
            # a later list does not override an earlier one; within one list two answers are ambiguous
            if rank and key in titles and key not in seen_here:
                continue
            _add(titles, key, Abbreviation(abbreviation, title, "title"), first_wins=False)
            seen_here[key] = titles[key]
            _add(shorts, _short_key(title), Abbreviation(abbreviation, title, "title without asides"),
                 first_wins=False)
            _add(abbreviations, journal_key(abbreviation), Abbreviation(abbreviation, title, "abbreviation"),
                 first_wins=rank > 0)
    return titles, shorts, abbreviations


@lru_cache(maxsize=4096)
def lookup_abbreviation(journal: str) -> Abbreviation | None:
    """The NLM abbreviation of a journal name, or None when no list knows it (or knows two answers)."""
    key = journal_key(journal)
    if not key:
        return None
    titles, shorts, abbreviations = _indexes()
    found = titles.get(key) or abbreviations.get(key)
    if found is None:
        short = _short_key(journal)
        found = shorts.get(short) or titles.get(short)
    return None if found is None or found is _AMBIGUOUS else found


def fill_journal_abbrev(record: Record) -> str:
    """Fill ``record.journal_abbrev`` in place when it is empty and the journal is known; returns the reason
    ('' when nothing was filled). A protected field or record is left alone."""
    if record.journal_abbrev or not record.journal or kind_of(record) != "article":
        return ""
    if "*" in record.protect or "journal_abbrev" in record.protect:
        return ""
    found = lookup_abbreviation(record.journal)
    if found is None:
        return ""
    record.journal_abbrev = found.abbreviation
    return found.reason


def missing_abbreviations(records: list[Record]) -> dict[str, list[str]]:
    """Journal name -> keys of the articles whose journal has no abbreviation and no list knows it."""
    missing: dict[str, list[str]] = {}
    for record in records:
        if kind_of(record) == "article" and record.journal and not record.journal_abbrev \
                and lookup_abbreviation(record.journal) is None:
            missing.setdefault(record.journal, []).append(record.key)
    return missing
