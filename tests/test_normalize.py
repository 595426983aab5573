"""Each normalization rule of library.normalize, on values seen in real exports."""

from __future__ import annotations

import pytest

from library.model import Author, Record
from library.normalize import (
    ascii_fold,
    is_collective_name,
    normalize_abstract,
    normalize_issn,
    normalize_journal,
    normalize_language,
    normalize_month,
    normalize_pages,
    normalize_person_name,
    normalize_record,
    normalize_text,
    normalize_title,
    normalize_year,
    parse_date,
    parse_person_name,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("561-7", "561--567"),  # MEDLINE abbreviated end page
    ("1535-41", "1535--1541"),
    ("454-81", "454--481"),
    ("2043--2052", "2043--2052"),  # already stored form
    ("110 - 123", "110--123"),
    ("123\u2013125", "123--125"),  # en dash
    ("153-160.e3", "153--160.e3"),  # Fertil Steril e-pages
    ("819.e1-819.e6", "819.e1--819.e6"),  # e-pages of page 819: no "e" carried to the end ("e819.e6")
    ("160.e1-e8", "160.e1--e8"),
    ("S12-5", "S12--S15"),  # supplement prefix carried to the end page
    ("e0193972", "e0193972"),  # PLoS article number kept
    ("034708", "034708"),  # article number with leading zero kept
    ("iii-iv", "iii--iv"),
    ("35-8; discussion 38-9", "35--38; discussion 38--39"),
    ("S21-1", "S21-1"),  # page 1 of section S21 (a Scopus RIS SP): was "S21--S21"
    ("S21-1--S21-8", "S21-1--S21-8"),  # pages 1 to 8 of section S21
    ("77--7", "77--77"),  # a BibTeX range stays a range
    ("", ""),
])
def test_pages(raw: str, expected: str) -> None:
    assert normalize_pages(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("Time lapse: A glimpse into prehistoric genomics.", "Time lapse: A glimpse into prehistoric genomics"),
    ("Is HSG painful?", "Is HSG painful?"),
    ("Tubal flushing in the U.S.", "Tubal flushing in the U.S."),  # abbreviation keeps its period
    ("Smith et al.", "Smith et al."),
    ("Oil &amp; water  contrast\n for <i>in vivo</i> HSG", "Oil & water contrast for in vivo HSG"),
    ("CO<sub>2</sub> insufflation", "CO2 insufflation"),
    ("[Hysterosalpingography in Chinese women].", "[Hysterosalpingography in Chinese women]"),
])
def test_title(raw: str, expected: str) -> None:
    assert normalize_title(raw) == expected


def test_text_whitespace_and_entities() -> None:
    assert normalize_text("  a\u00a0b\t\nc  &lt;d&gt; ") == "a b c <d>"
    assert normalize_text("plain") == "plain"


def test_structured_abstract_becomes_labelled_paragraphs() -> None:
    raw = ("BACKGROUND: Pregnancy rates may increase. MATERIALS AND METHODS: We randomized 1119 women. "
           "RESULTS: 39.7% vs 29.1%. CONCLUSIONS: Oil was better.")
    assert normalize_abstract(raw) == (
        "BACKGROUND: Pregnancy rates may increase.\n\nMATERIALS AND METHODS: We randomized 1119 women.\n\n"
        "RESULTS: 39.7% vs 29.1%.\n\nCONCLUSIONS: Oil was better.")


def test_abstract_with_one_acronym_colon_is_not_split() -> None:
    assert normalize_abstract("HIV: a disease. We studied it.") == "HIV: a disease. We studied it."


def test_jats_abstract_sections() -> None:
    raw = ("<jats:sec><jats:title>Objective</jats:title><jats:p>To compare contrast media.</jats:p></jats:sec>"
           "<jats:sec><jats:title>Design</jats:title><jats:p>Meta-analysis.</jats:p></jats:sec>")
    assert normalize_abstract(raw) == "Objective: To compare contrast media.\n\nDesign: Meta-analysis."


def test_abstract_paragraphs_kept_and_idempotent() -> None:
    raw = "First  paragraph\nwraps.\n\n\nSecond."
    once = normalize_abstract(raw)
    assert once == "First paragraph wraps.\n\nSecond."
    assert normalize_abstract(once) == once


@pytest.mark.parametrize(("raw", "family", "given", "literal"), [
    ("Dreyer, Kim", "Dreyer", "Kim", ""),
    ("Griffin DK", "Griffin", "D. K.", ""),  # MEDLINE AU / Vancouver
    ("Mol BWJ", "Mol", "B. W. J.", ""),
    ("van Rijswijk J", "van Rijswijk", "J.", ""),  # particle stays in the family name
    ("van Rijswijk, Joukje", "van Rijswijk", "Joukje", ""),
    ("Ludwig van der Berg", "van der Berg", "Ludwig", ""),
    ("Catarina Barata", "Barata", "Catarina", ""),
    ("Shannon,Claude E.", "Shannon", "Claude E.", ""),
    ("Fanning E.", "Fanning", "E.", ""),
    ("Maheux-Lacroix S", "Maheux-Lacroix", "S.", ""),
    ("Bergeron, M.-E.", "Bergeron", "M.-E.", ""),
    ("Smith, J.J.", "Smith", "J. J.", ""),
    ("Griffin, Darren K", "Griffin", "Darren K.", ""),
    ("DE BRUIN, JP", "de Bruin", "J. P.", ""),  # ALL CAPS recased, particle lower case
    ("O'CONNOR, REBECCA", "O'Connor", "Rebecca", ""),
    ("Selvamani", "Selvamani", "", ""),
    ("World Health Organization", "", "", "World Health Organization"),
    ("ESHRE Capri Workshop Group", "", "", "ESHRE Capri Workshop Group"),
    ("{H2Oil Study Group}", "", "", "H2Oil Study Group"),
    ("Van Dung,", "Van Dung", "", ""),  # Lens RIS: a family name alone, its comma kept (was family "Dung")
    ("Smith J.,", "Smith", "J.", ""),  # initials: a stray comma, read as before
])
def test_parse_person_name(raw: str, family: str, given: str, literal: str) -> None:
    assert parse_person_name(raw) == Author(family=family, given=given, literal=literal)


def test_collective_detection() -> None:
    assert is_collective_name("American College of Obstetricians and Gynecologists")
    assert is_collective_name("H2Oil Study Group")
    assert not is_collective_name("Dreyer, Kim")


def test_normalize_person_name_keeps_collectives_and_orcid() -> None:
    assert normalize_person_name(Author(literal="  WHO  Collaborating Centre ")) == Author(
        literal="WHO Collaborating Centre")
    assert normalize_person_name(Author("Dreyer", "K", orcid="0000-0002-1234-5678")).orcid == "0000-0002-1234-5678"


@pytest.mark.parametrize(("raw", "expected"), [
    ("Feb", "February"), ("02", "February"), ("2", "February"), ("february", "February"), ("sept.", "September"),
    ("Jul-Aug", "July"), ("Spring", "Spring"), ("13", "13"), ("", ""),
])
def test_month(raw: str, expected: str) -> None:
    assert normalize_month(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("2017", 2017), ("c2017", 2017), ("2017/09/01/", 2017), ("In press", None), (1999, 1999), (17, None),
])
def test_year(raw: str | int, expected: int | None) -> None:
    assert normalize_year(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("2001/09/01/", (2001, "September")),  # RIS
    ("2016/09//", (2016, "September")),
    ("2012///", (2012, "")),
    ("2001/00/00/", (2001, "")),
    ("2020 Feb", (2020, "February")),  # MEDLINE DP
    ("2019 Mar 25", (2019, "March")),
    ("2020 Jul-Aug", (2020, "July")),
    ("2018-07", (2018, "July")),  # BibLaTeX date
    ("Feb 2020", (2020, "February")),
    ("", (None, "")),
])
def test_parse_date(raw: str, expected: tuple[int | None, str]) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("eng", "en"), ("English", "en"), ("en-US", "en"), ("ngerman", "de"), ("fre", "fr"), ("ger", "de"),
    ("Chinese", "zh"), ("und", "und"), ("", ""),
])
def test_language(raw: str, expected: str) -> None:
    assert normalize_language(raw) == expected


def test_journal_pair() -> None:
    assert normalize_journal("The New England journal of medicine", "N Engl J Med") == (
        "The New England journal of medicine", "N Engl J Med")
    assert normalize_journal("VETERINARY AND COMPARATIVE ORTHOPAEDICS AND TRAUMATOLOGY", "") == (
        "Veterinary and Comparative Orthopaedics and Traumatology", "")
    assert normalize_journal("", "Fertil Steril") == ("Fertil Steril", "")  # only the abbreviation known
    assert normalize_journal("Radiology", "Radiology") == ("Radiology", "")


def test_issn() -> None:
    assert normalize_issn("0964-6906 (Print)0964-6906") == "0964-6906"
    assert normalize_issn("20964129 (ISSN)") == "2096-4129"
    assert normalize_issn("1878-0849 1769-7212") == "1878-0849, 1769-7212"


def test_ascii_fold() -> None:
    assert ascii_fold("Mariëtte Ødegård Łukasz Straße") == "Mariette Odegard Lukasz Strasse"


def test_record_identifiers_normalized_and_invalid_kept() -> None:
    record = Record(key="", doi="https://doi.org/10.1056/NEJMoa1612337", pmid="PMID: 028520519", pmcid="1234567")
    out = normalize_record(record)
    assert (out.doi, out.pmid, out.pmcid) == ("10.1056/NEJMoa1612337", "28520519", "PMC1234567")
    bad = normalize_record(Record(key="", doi="not a doi", pmid="12a"))
    assert (bad.doi, bad.pmid) == ("not a doi", "12a")  # kept as given, never dropped
    assert len(bad.identifier_problems()) == 2


def test_record_identifiers_from_pubmed_links() -> None:
    out = normalize_record(Record(key="", url="http://www.ncbi.nlm.nih.gov/pmc/articles/PMC3654245/"))
    assert out.pmcid == "PMC3654245"
    assert normalize_record(Record(key="", url="https://pubmed.ncbi.nlm.nih.gov/26957754")).pmid == "26957754"


def test_normalize_record_is_idempotent_and_does_not_mutate() -> None:
    record = Record(key="x", entry_type="Article", authors=[Author("GRIFFIN", "DK")], title="A title.",
                    journal="Fertil Steril", year=2017, month="may", pages="561-7", language="eng",
                    keywords=[" a ", "a", "b"], urldate="2019/5/1", abstract="BACKGROUND: x. METHODS: y.")
    once = normalize_record(record)
    assert record.title == "A title." and record.pages == "561-7"  # the input is untouched
    assert normalize_record(once) == once
    assert (once.entry_type, once.authors[0], once.month, once.pages, once.language, once.keywords, once.urldate) == (
        "article", Author("Griffin", "D. K."), "May", "561--567", "en", ["a", "b"], "2019-05-01")
