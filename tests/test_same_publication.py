"""The one decision "are these the same publication?" (library.dedupe.same_publication) and its traps."""

from __future__ import annotations

import pytest

from library.dedupe import find_duplicates, same_publication
from library.dedupe.comparison_keys import generic_title, journal_edition
from library.identifiers import normalize_pmcid, pmcid_key
from library.model import Author, Record

DREYER = [Author("Dreyer", "Kim"), Author("van Rijswijk", "Joukje"), Author("Mol", "Ben W. J.")]
TITLE = "Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women"


def paper(key: str = "", **changes: object) -> Record:
    record = Record(key=key, authors=list(DREYER), title=TITLE, journal="New England Journal of Medicine",
                    year=2017, volume="376", issue="21", pages="2043--2052", doi="10.1056/NEJMoa1612337",
                    pmid="28520519")
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def test_a_copy_from_another_source_is_the_same_publication_with_its_reasons():
    copy = paper(title=TITLE.upper(), journal="N Engl J Med", pages="2043-52", doi="https://doi.org/10.1056/nejmoa1612337")
    decision = same_publication(paper(), copy)
    assert decision.verdict == "same" and decision.same and decision.tier == "identifier"
    assert "same DOI" in decision.reasons and "same PMID" in decision.reasons
    assert decision.to_json()["verdict"] == "same"


@pytest.mark.parametrize(("changes", "doubt"), [
    ({"title": "Lattice-based signatures with tight reductions", "authors": [Author("Chen", "W")]},
     "the titles differ and the authors differ"),
    ({"title": "Lattice-based signatures with tight reductions", "pages": "100--110"}, "the titles differ"),
    ({"authors": [Author("Chen", "W"), Author("Patel", "P")]}, "the authors differ"),
])
def test_a_shared_identifier_with_another_title_or_authors_is_a_likely_wrong_identifier(changes, doubt):
    """A conference bibliography's shared (wrong) DOI: for review, reported as such; never merged."""
    other = paper(pmid="", **changes)
    decision = same_publication(paper(pmid=""), other)
    assert decision.verdict == "review"
    assert decision.reasons[0] == f"likely a wrong identifier: the same DOI, but {doubt}"


def test_a_translated_title_under_the_same_doi_and_citation_is_one_article():
    german = paper(pmid="", title="Öl- oder wasserbasiertes Kontrastmittel bei der Hysterosalpingographie")
    assert same_publication(paper(pmid=""), german).verdict == "same"


def test_identifier_only_record_matches_its_full_record():
    """A record that has only a PMID disagrees with nothing: the PMID decides."""
    assert same_publication(paper(), Record(key="", pmid="28520519")).verdict == "same"


def test_versions_of_one_article_under_one_pmid_are_the_same_publication():
    """PubMed lists every version of a Wellcome Open Research article under one PMID, each with its DOI."""
    base = Record(key="", title="Stage 2 Registered Report: Variation in neurodevelopmental outcomes in children",
                  authors=[Author("Newbury", "Dianne")], year=2018, pmid="30271890",
                  doi="10.12688/wellcomeopenres.14677.1", pmcid="PMC6134338")
    version = base.copy()
    version.doi, version.pmcid = "10.12688/wellcomeopenres.14677.4", "PMC6134338.4"
    decision = same_publication(base, version)
    assert decision.verdict == "same"
    assert any("version suffix" in r for r in decision.reasons)
    other_article = version.copy()
    other_article.pmid, other_article.pmcid = "30271891", "PMC6134339"  # another article: another DOI is a veto
    assert same_publication(base, other_article).verdict == "different"


def test_versioned_pmcids_are_valid_and_compare_without_their_version():
    assert normalize_pmcid("PMC6134338.4") == "PMC6134338.4"
    assert normalize_pmcid("pmc6134338.4") == "PMC6134338.4"
    assert pmcid_key("PMC6134338.4") == pmcid_key("PMC6134338") == "PMC6134338"
    assert pmcid_key("not a pmcid") == ""


def _untitled(**changes: object) -> Record:
    return paper(doi="", pmid="", **changes)


@pytest.mark.parametrize(("changes", "reason"), [
    ({"issue": "3", "pages": "300--301"}, "different issue and first page"),
    ({"volume": "377", "pages": "100--110"}, "different volume and first page"),
    ({"journal": "Human Reproduction", "volume": "34"}, "different journal and volume"),
])
def test_title_year_author_matches_are_vetoed_by_two_locators(changes, reason):
    decision = same_publication(_untitled(), _untitled(**changes))
    assert decision.verdict == "different" and any(r.startswith(reason) for r in decision.reasons)


def test_one_locator_that_disagrees_goes_to_review():
    decision = same_publication(_untitled(), _untitled(pages="2143--2152"))
    assert decision.verdict == "review" and "different pages" in decision.reasons


def test_a_recurring_column_of_a_journal_is_never_merged():
    """TUGboat's "Editorial comments" by the same editor in every issue; "Addresses of officers" per issue."""
    def column(title: str, issue: str, pages: str, volume: str = "14", year: int = 1993) -> Record:
        return Record(key="", title=title, authors=[Author("Beeton", "Barbara")], journal="TUGboat", year=year,
                      volume=volume, issue=issue, pages=pages)

    assert same_publication(column("Editorial comments", "1", "7--7"),
                            column("Editorial comments", "1", "6--7", "15", 1994)).verdict == "different"
    assert same_publication(column("Addresses of officers, authors and others", "2", "2--2"),
                            column("Addresses of officers, authors and others", "3", "2--2")).verdict == "different"
    assert same_publication(column("Editorial comments", "1", "7--7"),
                            column("Editorial comments", "1", "7--7")).verdict == "same"  # the very same item


def test_two_short_items_on_one_page_are_not_one_citation():
    one = Record(key="", title="Data General site report", authors=[Author("Childs", "Bart")], journal="TUGboat",
                 year=1984, volume="5", issue="1", pages="26--26")
    two = Record(key="", title="Prime site report", authors=[Author("Childs", "Bart")], journal="TUGboat",
                 year=1984, volume="5", issue="1", pages="26--26")
    assert same_publication(one, two).verdict != "same"
    mvs = Record(key="", title="MVS site report", authors=[Author("Platt", "Craig")], journal="TUGboat", year=1990,
                 volume="11", issue="3", pages="451--451")
    vms = Record(key="", title="VMS site report", authors=[Author("Kellerman", "David")], journal="TUGboat",
                 year=1990, volume="11", issue="3", pages="451--452")
    assert same_publication(mvs, vms).verdict != "same"


def test_an_article_and_its_english_edition_are_not_merged():
    """Elsevier's Spanish journals print each article twice: the original and the "(English ed.)" version."""
    original = Record(key="", title="Validation of MALDI-TOF for the early detection of the ST175 high-risk clone",
                      authors=[Author("Mulet", "Xavier"), Author("Norte", "Cristina")], year=2021, volume="39",
                      issue="6", pages="279--282", journal="Enfermedades infecciosas y microbiologia clinica")
    english = original.copy()
    english.journal = "Enfermedades infecciosas y microbiologia clinica (English ed.)"
    decision = same_publication(original, english)
    assert decision.verdict == "review" and any("language edition" in r for r in decision.reasons)
    translated = original.copy()
    translated.extra = {"origtitle": "Validación de MALDI-TOF para la detección precoz del clon ST175"}
    decision = same_publication(translated, original)
    assert decision.verdict == "review" and any("original-language title" in r for r in decision.reasons)
    assert journal_edition("Med Intensiva (Engl Ed)") == journal_edition("Medicina intensiva (English edition)")


def test_a_conference_paper_and_its_journal_version_are_related_never_merged():
    authors = [Author("Brill", "Eric"), Author("Marcus", "Mitchell")]
    conference = Record(key="c", entry_type="inproceedings", title="Automatically acquiring phrase structure "
                        "using distributional analysis", authors=authors, year=1992,
                        booktitle="Proceedings of the Workshop on Speech and Natural Language", pages="155--159")
    journal = Record(key="j", entry_type="article", title="Automatically acquiring phrase structure using "
                     "distributional analysis", authors=authors, year=1993, journal="Computational Linguistics",
                     volume="19", pages="313--330")
    decision = same_publication(conference, journal)
    assert decision.verdict == "different" and decision.related == "version-of" and decision.related_from == 0
    result = find_duplicates([conference, journal])
    assert not result.clusters and [(r.a, r.kind, r.b) for r in result.related] == [("c", "version-of", "j")]


@pytest.mark.parametrize("title", ["Correction", "Erratum", "Corrigendum", "Editorial", "In this issue", "Reply",
                                   "Comment", "Meeting abstracts", "Retraction notice"])
def test_notice_and_generic_titles_need_the_same_place(title):
    assert generic_title(title.lower())
    one = Record(key="", title=title, journal="Fertility and Sterility", year=2020, volume="113", pages="10")
    assert same_publication(one, one.copy()).verdict == "same"  # same journal, volume and page: one item
    other = one.copy()
    other.pages = "250"
    assert same_publication(one, other).verdict == "different"


def test_a_thousand_corrections_in_one_year_are_never_merged():
    """The bad input of the issue: nothing distinguishes them, so nothing joins them; the work stays linear."""
    records = [Record(key=f"c{n}", title="Correction", year=2020, journal="Some Journal") for n in range(1000)]
    result = find_duplicates(records)
    assert result.clusters == [] and result.candidates <= 1000 * 60
    with_author = [Record(key=f"a{n}", title="Correction", year=2020, authors=[Author("Office", "Editorial")])
                   for n in range(1000)]
    result = find_duplicates(with_author)
    assert result.clusters == [] and result.candidates <= 1000 * 60  # one big block: a window, not all pairs


def test_missing_fields_are_never_the_evidence():
    """Records are never matched on what they lack: no title, no authors, no year."""
    untitled = Record(key="", authors=[Author("Smith", "J")], year=2021, journal="J", volume="3")
    assert same_publication(untitled, untitled.copy()).verdict == "different"
    anonymous = Record(key="", title=TITLE, year=2017)  # no authors, no locator
    assert same_publication(anonymous, anonymous.copy()).verdict != "same"
    undated = paper(doi="", pmid="", year=None, pages="")  # no year, no pages: title and authors alone
    assert same_publication(undated, undated.copy()).verdict != "same"


def test_editions_and_other_kinds_of_publication_are_not_merged():
    """Book bibliographies list a title once per edition or binding; a report, a paper and a book of one work
    are different publications."""
    book = Record(key="", entry_type="book", title="The font problem solver: how to install and use type with "
                  "your computer", authors=[Author("Busch", "David D.")], year=1992, publisher="Business One Irwin",
                  isbn="1-55623-505-4")
    other_binding = book.copy()
    other_binding.isbn = "978-1-55623-506-1"
    decision = same_publication(book, other_binding)
    assert decision.verdict == "different" and "different ISBNs (another edition, binding or printing)" in \
        decision.reasons
    same_isbn = book.copy()
    same_isbn.isbn = "9781556235054"  # the ISBN-13 form of the same ISBN
    assert same_publication(book, same_isbn).verdict != "different"
    report = Record(key="", entry_type="techreport", title="Revisiting a summer vacation: digital restoration and "
                    "typesetter forensics", authors=[Author("Bagley", "Steven R.")], year=2013)
    paper = report.copy()
    paper.entry_type, paper.booktitle, paper.pages = "inproceedings", "Proceedings of DocEng 2013", "3--12"
    decision = same_publication(report, paper)
    assert decision.verdict == "different" and decision.related == "version-of" and decision.related_from == 0
