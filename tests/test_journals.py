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
    ("Science", "Science"),  # the list's ISO 4 qualifier "Science (80- )" is not NLM's MedlineTA
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


def test_import_fills_abbreviations_and_keeps_what_the_source_supplies(tmp_path) -> None:
    from ingest.importer import import_records
    from ingest.readers import read_file
    from library import Library

    ris = tmp_path / "two.ris"
    ris.write_text("TY  - JOUR\nAU  - Roe, Jane\nTI  - Oil contrast and fertility\nT2  - The New England journal "
                   "of medicine\nPY  - 2017\nVL  - 376\nSP  - 2043\nEP  - 2052\nER  - \n\n"
                   "TY  - JOUR\nAU  - Doe, John\nTI  - Foam sonography for tubal patency\nT2  - Human reproduction "
                   "(Oxford, England)\nJ2  - Hum. Reprod.\nPY  - 2022\nVL  - 37\nSP  - 969\nEP  - 979\nER  - \n",
                   encoding="utf-8")
    bib = tmp_path / "references.bib"
    bib.write_text("", encoding="utf-8")
    lib = Library.load(bib)
    report = import_records(lib, list(read_file(ris).records), source=str(ris))
    assert report.abbreviated == 1 and "1 journal abbreviation(s) filled" in report.summary()
    abbreviations = {r.title: r.journal_abbrev for r in lib.records()}
    assert abbreviations == {"Oil contrast and fertility": "N Engl J Med",
                             "Foam sonography for tubal patency": "Hum. Reprod."}


def test_enrich_fills_the_abbreviation_when_no_source_has_one() -> None:
    from ingest.enrich import enrich_record
    from library.model import Author

    mine = Record(key="m", entry_type="article", title="Oil contrast and fertility", authors=[Author("Roe", "Jane")],
                  journal="Fertility and sterility", year=2017, doi="10.1000/x")
    fetched = Record(key="", entry_type="article", title="Oil contrast and fertility",
                     authors=[Author("Roe", "Jane")], journal="Fertility and sterility", year=2017, doi="10.1000/x",
                     volume="108")
    record, change = enrich_record(mine, fetched, source="Crossref")
    assert record.journal_abbrev == "Fertil Steril" and "journal_abbrev" in change.filled


def test_check_fix_fills_and_check_lists_unknown_journals(tmp_path, capsys) -> None:
    from library.cli import main

    bib = tmp_path / "references.bib"
    bib.write_text("@article{a2017,\n  author = {Roe, Jane},\n  title = {Oil contrast},\n"
                   "  journal = {The New England journal of medicine},\n  year = {2017},\n  doi = {10.1000/x}\n}\n\n"
                   "@article{b2020,\n  author = {Doe, John},\n  title = {Foam},\n"
                   "  journal = {Journal of Imaginary Gynecology Research},\n  year = {2020},\n"
                   "  doi = {10.1000/y}\n}\n", encoding="utf-8")
    main(["--bib", str(bib), "check"])
    out = capsys.readouterr().out
    assert "note: no known NLM abbreviation for 'Journal of Imaginary Gynecology Research' [b2020]" in out
    assert "shortjournal" not in bib.read_text(encoding="utf-8")  # check alone changes nothing
    main(["--bib", str(bib), "check", "--fix"])
    out = capsys.readouterr().out
    assert "fixed: a2017: journal_abbrev = N Engl J Med (NLM journal list" in out
    text = bib.read_text(encoding="utf-8")
    assert "shortjournal = {N Engl J Med}" in text and text.count("shortjournal") == 1


def test_every_bundled_article_has_an_abbreviation() -> None:
    from library import Library
    from tests.conftest import REFERENCES

    lib = Library.load(REFERENCES, use_cache=False)
    articles = [r for r in lib.records() if r.entry_type == "article" and r.journal]
    assert articles and all(r.journal_abbrev for r in articles), [r.key for r in articles if not r.journal_abbrev]
