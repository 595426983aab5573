"""The one merge rule (library.dedupe.combine): same value, fill empty, protected fields, one provenance note."""

from __future__ import annotations

import pytest

from library.dedupe import merge_records, provenance_note, same_value
from library.model import Author, Record


@pytest.mark.parametrize(("name", "a", "b"), [
    ("pages", "2043-52", "2043--2052"),
    ("pages", "S12-5", "S12--S15"),
    ("title", "Oil-Based Contrast", "oil based  contrast."),
    ("journal", "Gynécologie Obstétrique", "gynecologie obstetrique"),
    ("doi", "https://doi.org/10.1056/nejmoa1612337", "10.1056/NEJMoa1612337"),
    ("pmid", "PMID: 28520519", "28520519"),
    ("pmcid", "PMC6134338.4", "PMC6134338"),
    ("volume", "030", "30"),
    ("authors", [Author("Müller", "K")], [Author("Muller", "Karl")]),
])
def test_same_value_rule(name, a, b):
    assert same_value(name, a, b)


@pytest.mark.parametrize(("name", "a", "b"), [
    ("pages", "2043-52", "2043--2053"), ("title", "Oil-based contrast", "Water-based contrast"),
    ("authors", [Author("Dreyer", "K")], [Author("Mol", "B")]), ("year", 2017, 2018)])
def test_different_values(name, a, b):
    assert not same_value(name, a, b)


def existing(**changes: object) -> Record:
    record = Record(key="dreyer2017oil", title="Oil-Based or Water-Based Contrast", authors=[Author("Dreyer", "Kim")],
                    journal="New England Journal of Medicine", year=2017, pages="2043--2052",
                    keywords=["HSG"], provenance="")
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def incoming(**changes: object) -> Record:
    record = Record(key="", title="OIL-BASED OR WATER-BASED CONTRAST.", authors=[Author("Dreyer", "K")],
                    journal="N Engl J Med", year=2016, pages="2043-52", volume="376", pmid="28520519",
                    abstract="BACKGROUND: text", keywords=["hsg", "oil"])
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def test_incoming_record_fills_empty_fields_and_notes_differences_once():
    outcome = merge_records(existing(), [incoming()], source="x.ris", absorb=False)
    record = outcome.record
    assert outcome.filled == ["journal_abbrev", "volume", "pmid", "abstract", "keywords"]
    assert record.volume == "376" and record.pmid == "28520519" and record.keywords == ["HSG", "oil"]
    assert record.title == "Oil-Based or Water-Based Contrast" and record.pages == "2043--2052"  # never overwritten
    assert record.journal_abbrev == "N Engl J Med"  # the abbreviated form: filled, not a conflict
    assert outcome.conflicts == ["year: 2016 (from x.ris)"] and record.provenance == "year: 2016 (from x.ris)"
    again = merge_records(record, [incoming()], source="x.ris", absorb=False)
    assert not again.changed and again.record == record  # a re-import changes nothing


def test_protected_fields_are_neither_filled_nor_replaced():
    outcome = merge_records(existing(protect=["volume", "year"]), [incoming()], source="x.ris", absorb=False)
    assert outcome.record.volume == "" and "volume" not in outcome.filled
    assert outcome.record.provenance == ""  # a protected field's other value is not noted either
    whole = merge_records(existing(protect=["*"]), [incoming()], source="x.ris", absorb=False)
    assert not whole.changed and whole.record == existing(protect=["*"])


def test_a_removed_copy_loses_nothing_even_into_a_protected_record():
    copy = incoming(key="dreyer2017ris")
    outcome = merge_records(existing(protect=["*"]), [copy], today="2026-05-01")
    notes = outcome.record.provenance.split("; ")
    assert "volume: 376 (from dreyer2017ris)" in notes and "year: 2016 (from dreyer2017ris)" in notes
    assert "abstract: BACKGROUND: text (from dreyer2017ris)" in notes
    assert notes[-1] == "merged: dreyer2017ris (2026-05-01)" and outcome.record.extra["ids"] == "dreyer2017ris"


def test_enrichment_lists_differences_and_replaces_only_when_asked():
    listed = merge_records(existing(), [incoming()], source="PubMed", absorb=False, note_conflicts=False)
    assert listed.differing == ["year"] and listed.record.provenance == ""
    forced = merge_records(existing(), [incoming()], source="PubMed", absorb=False, replace=True,
                           today="2026-05-01")
    assert forced.record.year == 2016 and forced.replaced == ["year"]
    assert forced.record.provenance == "year: 2017 (replaced by PubMed, 2026-05-01)"
    assert provenance_note("title", "Old", "PubMed", "2026-05-01") == "title: Old (replaced by PubMed, 2026-05-01)"


def test_names_and_lists_that_a_source_split_differently_are_the_same_values():
    """What another tool (or a store round trip) splits differently is no new value: a suffix read as a given
    name, a group name read as a person, a keyword list read as one keyword."""
    assert same_value("authors", [Author("Mammen, Mammen P.", "Jr")], [Author("Mammen", "Mammen P., Jr")])
    assert same_value("authors", [Author("Hiv", "The Lancet")], [Author("The Lancet HIV")])
    assert not same_value("authors", [Author("Mammen", "Paul")], [Author("Mammen", "Peter"), Author("Day", "N")])
    keeper = existing(keywords=["Anxiety", "Depression", "Well-being", ", High functioning"])
    outcome = merge_records(keeper, [incoming(keywords=["Anxiety", "Well-being;, High functioning", "Mood"])],
                            source="x", absorb=False)
    assert outcome.record.keywords == ["Anxiety", "Depression", "Well-being", ", High functioning", "Mood"]
