import pytest

from library.identifiers import InvalidIdentifier, doi_key, normalize_doi, normalize_pmcid, normalize_pmid
from library.model import Record


@pytest.mark.parametrize("raw", [
    "10.1056/NEJMoa1612337", "https://doi.org/10.1056/NEJMoa1612337", "http://dx.doi.org/10.1056/NEJMoa1612337",
    "doi:10.1056/NEJMoa1612337", "DOI: 10.1056/NEJMoa1612337", " doi:https://doi.org/10.1056/NEJMoa1612337. ",
    "https://doi.org/10.1056%2FNEJMoa1612337",
])
def test_doi_forms_normalize_and_keep_case(raw):
    assert normalize_doi(raw) == "10.1056/NEJMoa1612337"


def test_doi_compares_case_insensitively():
    assert doi_key("10.1056/NEJMOA1612337") == doi_key("https://doi.org/10.1056/nejmoa1612337")


@pytest.mark.parametrize("raw", ["", "10.1056", "11.1056/abc", "nejm 2017", "10.12/abc"])
def test_invalid_doi_is_reported(raw):
    with pytest.raises(InvalidIdentifier, match="DOI"):
        normalize_doi(raw)


@pytest.mark.parametrize("raw,expected", [("28520519", "28520519"), ("PMID: 28520519", "28520519"),
                                          ("https://pubmed.ncbi.nlm.nih.gov/28520519/", "28520519"),
                                          (28520519, "28520519"), ("0028520519", "28520519")])
def test_pmid(raw, expected):
    assert normalize_pmid(raw) == expected


@pytest.mark.parametrize("raw", ["28520519a", "0", "-5", "１２３", "PMC123"])
def test_invalid_pmid(raw):
    with pytest.raises(InvalidIdentifier, match="PMID"):
        normalize_pmid(raw)


@pytest.mark.parametrize("raw", ["PMC5432101", "pmc5432101", "5432101", "PMCID: PMC5432101"])
def test_pmcid(raw):
    assert normalize_pmcid(raw) == "PMC5432101"


def test_invalid_identifiers_are_kept_and_reported():
    record = Record(key="x", doi="not-a-doi", pmid="12ab")
    problems = record.identifier_problems()
    assert len(problems) == 2 and "DOI" in problems[0] and "PMID" in problems[1]
    assert record.doi == "not-a-doi"  # never silently dropped
