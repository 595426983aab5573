"""MEDLINE / nbib reader."""

from __future__ import annotations

from pathlib import Path

from ingest.readers.medline import read_medline
from library.model import Author

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def test_fixture_fields() -> None:
    result = read_medline((FIXTURES / "hsg.nbib").read_bytes(), "hsg.nbib")
    assert result.problems == []
    dreyer, fang = result.records
    assert dreyer.title == "Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women"
    assert dreyer.authors == [Author("Dreyer", "Kim", orcid="0000-0002-1234-5678"), Author("van Rijswijk", "Joukje"),
                              Author(literal="H2Oil Study Group")]
    assert (dreyer.journal, dreyer.journal_abbrev) == ("The New England journal of medicine", "N Engl J Med")
    assert (dreyer.year, dreyer.month, dreyer.volume, dreyer.issue, dreyer.pages) == (
        2017, "May", "376", "21", "2043--2052")
    assert (dreyer.doi, dreyer.pmid) == ("10.1056/NEJMoa1612337", "28520519")
    assert dreyer.issn == "0028-4793, 1533-4406"  # linking ISSN first
    assert dreyer.abstract.startswith("BACKGROUND: Pregnancy rates may increase after hysterosalpingography.\n\n")
    assert dreyer.pubtypes == ["Journal Article", "Randomized Controlled Trial"]
    assert dreyer.mesh == ["Contrast Media/*administration & dosage", "Female", "Humans", "*Hysterosalpingography"]
    assert dreyer.keywords == ["oil-based contrast"]
    assert dreyer.language == "en"
    assert (fang.doi, fang.pmcid, fang.pages, fang.month) == (
        "10.1016/j.fertnstert.2018.03.021", "PMC9999999", "153--160.e3", "July")  # [pii] LID ignored


def test_records_without_blank_line_and_stray_lines() -> None:
    text = b"PMID- 1\nTI  - First.\nPMID- 2\nTI  - Second.\nthis is not a tag line\n\nTI  - \n"
    result = read_medline(text, "m.txt")
    assert [r.pmid for r in result.records] == ["1", "2"]
    assert [p.line for p in result.problems] == [5, 7]
    assert "not a MEDLINE line" in result.problems[0].message
    assert "no title, PMID or DOI" in result.problems[1].message


def test_book_chapter() -> None:
    text = b"PMID- 3\nTI  - Hysterosalpingography.\nBTI - Radiology of infertility\nPB  - StatPearls\n"
    record = read_medline(text, "b.nbib").records[0]
    assert (record.entry_type, record.booktitle, record.publisher) == (
        "incollection", "Radiology of infertility", "StatPearls")


def test_an_article_number_given_only_as_a_pii_becomes_the_pages() -> None:
    """As the PubMed XML reader does: 'LID - 20200021 [pii]' without PG is the article number PubMed cites;
    an Elsevier pii is not a locator; PG wins."""
    def pages(lines: str) -> str:
        return read_medline(f"PMID- 32759406\nTI  - An article.\n{lines}".encode(), "a.nbib").records[0].pages

    assert pages("LID - 20200021 [pii]\nLID - 10.1515/jib-2020-0021 [doi]\n") == "20200021"
    assert pages("LID - S1769-7212(19)30059-X [pii]\nLID - 10.1016/j.ejmg.2019.03.004 [doi]\n") == ""
    assert pages("PG  - 188-197\nLID - 20200021 [pii]\n") == "188--197"
