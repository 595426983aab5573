"""NLM journal abbreviations shipped in the package (library.journals)."""

from __future__ import annotations

from importlib import resources

import pytest

from library.journals import fill_journal_abbrev, journal_key, lookup_abbreviation, missing_abbreviations
from library.model import Record


def test_the_lists_and_their_provenance_are_shipped() -> None:
    folder = resources.files("library").joinpath("data/journal-abbreviations")
    note = folder.joinpath("PROVENANCE.md").read_text(encoding="utf-8")
    assert "CC0" in note and "JabRef/abbrv.jabref.org" in note
    assert folder.joinpath("entrez.csv").read_text(encoding="utf-8").count("\n") > 19000


@pytest.mark.parametrize(("name", "abbreviation"), [
    ("The New England journal of medicine", "N Engl J Med"),
    ("NEW ENGLAND JOURNAL OF MEDICINE", "N Engl J Med"),
    ("New England Journal of Medicine.", "N Engl J Med"),
    ("N. Engl. J. Med.", "N Engl J Med"),
    ("Human reproduction (Oxford, England)", "Hum Reprod"),
    ("Human Reproduction", "Hum Reprod"),
    ("Obstetrics & Gynecology", "Obstet Gynecol"),
    ("Ultrasound in Obstetrics & Gynecology", "Ultrasound Obstet Gynecol"),
    ("Acta oto-laryngologica", "Acta Otolaryngol"),  # NLM's current list wins over the older medicus list
    ("Radiology", "Radiology"),
])
def test_lookup_ignores_case_articles_and_punctuation(name: str, abbreviation: str) -> None:
    found = lookup_abbreviation(name)
    assert found is not None and found.abbreviation == abbreviation
    assert abbreviation in found.reason


def test_unknown_journals_are_not_guessed() -> None:
    assert lookup_abbreviation("Journal of Imaginary Gynecology Research") is None
    assert lookup_abbreviation("") is None
    assert journal_key("The  Lancet.") == "lancet"


def test_fill_keeps_what_a_source_supplies_and_protected_fields() -> None:
    record = Record(key="a", entry_type="article", journal="Fertility and sterility")
    assert "Fertil Steril" in fill_journal_abbrev(record) and record.journal_abbrev == "Fertil Steril"
    supplied = Record(key="b", entry_type="article", journal="Fertility and sterility", journal_abbrev="Fertil. Steril.")
    assert fill_journal_abbrev(supplied) == "" and supplied.journal_abbrev == "Fertil. Steril."
    locked = Record(key="c", entry_type="article", journal="Fertility and sterility", protect=["journal_abbrev"])
    assert fill_journal_abbrev(locked) == "" and locked.journal_abbrev == ""
    book = Record(key="d", entry_type="book", journal="Radiology")
    assert fill_journal_abbrev(book) == ""


def test_missing_abbreviations_lists_unknown_journals() -> None:
    records = [Record(key="x", entry_type="article", journal="Journal of Imaginary Gynecology Research"),
               Record(key="y", entry_type="article", journal="Radiology")]
    assert missing_abbreviations(records) == {"Journal of Imaginary Gynecology Research": ["x"]}
