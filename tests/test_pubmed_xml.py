"""PubMed XML reader: golden tests on own fixtures and on the shared corpus (Biopython, JabRef)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lxml import etree

from ingest.readers import detect_format
from ingest.readers.pubmed_xml import check_pubmed_xml, iter_pubmed_xml, read_pubmed_xml
from ingest.readers.xml_text import mathml_text
from library.model import Author, Record

from .conftest import CORPUS, FIXTURES, needs_shared

PUBMED = FIXTURES / "pubmed"
BIOPYTHON = CORPUS / "pypi" / "biopython-1.88" / "Tests" / "Entrez"
JABREF = CORPUS / "github" / "JabRef-jabref" / "jablib" / "src" / "test" / "resources" / "org" / "jabref" / "logic" \
    / "importer" / "fileformat"


def read(path: Path):
    return read_pubmed_xml(path.read_bytes(), path.name)


def by_pmid(records: list[Record]) -> dict[str, Record]:
    return {r.pmid: r for r in records}


# --- own fixtures ---------------------------------------------------------------------------------------------
def test_hsg_fixture_maps_every_field():
    result = read(PUBMED / "hsg.xml")
    assert result.problems == [] and result.format == "pubmed-xml"
    dreyer = by_pmid(result.records)["28520519"]
    assert dreyer.key == ""  # keys are the importer's job
    assert dreyer.title == "Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women"
    assert dreyer.authors[0] == Author(family="Dreyer", given="Kim")
    assert dreyer.authors[1].family == "van Rijswijk"
    assert dreyer.authors[-1] == Author(family="Mol", given="Ben W. J.")
    assert (dreyer.journal, dreyer.journal_abbrev) == ("The New England journal of medicine", "N Engl J Med")
    assert (dreyer.year, dreyer.month, dreyer.volume, dreyer.issue, dreyer.pages) == (
        2017, "May", "376", "21", "2043--2052")
    assert dreyer.doi == "10.1056/NEJMoa1612337"
    assert dreyer.issn == "0028-4793, 1533-4406"  # linking ISSN first
    assert dreyer.language == "en"
    assert dreyer.pubtypes == ["Journal Article", "Randomized Controlled Trial"]
    assert dreyer.mesh == ["*Contrast Media/administration & dosage", "Female", "Humans", "*Hysterosalpingography",
                           "Infertility, Female/*diagnostic imaging"]
    assert dreyer.abstract.split("\n\n") == [
        "BACKGROUND: Fixture text for the background section.", "METHODS: Fixture text for the methods section.",
        "RESULTS: Fixture text for the results section.", "CONCLUSIONS: Fixture text for the conclusions section."]
    assert not dreyer.retracted


def test_collective_author_medline_date_and_invalid_author():
    record = by_pmid(read(PUBMED / "hsg.xml").records)["15271870"]
    assert record.authors == [Author(literal="ESHRE Capri Workshop Group")]  # ValidYN="N" author dropped
    assert (record.year, record.month) == (2004, "September")
    assert record.pages == "2045--2049"
    assert record.doi == "10.1093/humrep/deh418"


def test_retraction_inline_tags_orcid_and_medline_date_range():
    record = by_pmid(read(PUBMED / "hsg.xml").records)["99000001"]
    assert record.retracted
    assert record.note == "Retraction in: J Fixture Stud. 2001;3(2):100"
    assert record.title == "Fictional retracted trial of tubal flushing (test record, CO2 and 10-3)"
    assert (record.year, record.month) == (1998, "December")  # "1998 Dec-1999 Jan"
    assert record.pages == "561--567"
    assert record.authors[0].orcid == "0000-0002-1825-0097"
    assert record.pmcid == "PMC9900001"
    assert record.doi == ""  # the DOI in its ReferenceList belongs to a cited paper
    assert record.language == "nl"


def test_mathml_and_inline_tags_become_clean_text():
    record = read(PUBMED / "mathml.xml").records[0]
    assert record.title == "CellML 2.0 and x^2 in silico"
    assert record.abstract == ("Following are examples of MathML elements: η_p^2 ∫_a^b(5x+2sin(x))dx (a+1)/b "
                               "y=(x^2)^(1/3) v^→=(v1,v2,v3)")
    assert "<" not in record.abstract and "mml" not in record.abstract
    assert record.authors[0].orcid == "0000-0003-4062-3061"
    assert record.mesh == ["Computer Simulation", "*Models, Biological", "Models, Theoretical", "*Software"]


@pytest.mark.parametrize(("markup", "text"), [
    ("<msub><mi>CO</mi><mn>2</mn></msub>", "CO2"),
    ("<msub><mi>a</mi><mi>i</mi></msub>", "a_i"),
    ("<msup><mn>10</mn><mrow><mo>-</mo><mn>3</mn></mrow></msup>", "10^(-3)"),
    ("<mfrac><mi>a</mi><mi>b</mi></mfrac>", "a/b"),
    ("<msqrt><mi>x</mi></msqrt>", "√(x)"),
    ("<semantics><mi>p</mi><annotation>p-value</annotation></semantics>", "p"),
])
def test_mathml_flattening(markup, text):
    element = etree.fromstring(f'<math xmlns="http://www.w3.org/1998/Math/MathML">{markup}</math>')
    assert mathml_text(element) == text


def test_book_article():
    record = read(PUBMED / "book.xml").records[0]
    assert record.entry_type == "book"
    assert record.title.startswith("Rheumatoid Arthritis: National Clinical Guideline")
    assert record.authors[0] == Author(literal="National Collaborating Centre for Chronic Conditions (UK)")
    assert record.publisher == "Royal College of Physicians (UK)"
    assert record.isbn == "9781860163593"
    assert record.url == "https://www.ncbi.nlm.nih.gov/books/NBK51812/"
    assert record.extra["address"] == "London"
    assert record.pubtypes == ["Review", "Practice Guideline"]


def test_truncated_file_keeps_records_before_the_break():
    result = read(PUBMED / "truncated.xml")
    assert [r.pmid for r in result.records] == ["28520519", "15271870"]
    fatal = [p for p in result.problems if p.fatal]
    assert len(fatal) == 1 and fatal[0].line == 6
    assert "truncated.xml (line 6)" in str(fatal[0]) and "2 record(s) read" in fatal[0].message


@pytest.mark.timeout(60)  # a guard, not a measurement: an expansion would run far past it
@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml", "attribute_bomb.xml"])
def test_hostile_documents_are_refused_without_expansion(name):
    result = read(PUBMED / name)
    assert result.records == []
    assert len(result.problems) == 1 and result.problems[0].fatal
    message = result.problems[0].message
    assert "refused" in message and "root:" not in message and "lol" * 10 not in message


def test_xxe_never_reads_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (PUBMED / "xxe.xml").read_bytes().replace(b"file:///etc/passwd", secret.as_uri().encode())
    items = list(iter_pubmed_xml(io.BytesIO(data), "x.xml"))
    assert all("TOP-SECRET" not in str(i) for i in items)
    assert "external entities (xxe)" in str(items[0])


def test_ncbi_error_document_and_empty_and_foreign_xml():
    error = read_pubmed_xml(b"<eFetchResult><ERROR>Invalid uid 0 at position 0</ERROR></eFetchResult>", "e")
    assert error.problems[0].fatal and "NCBI returned an error: Invalid uid 0" in error.problems[0].message
    empty = read_pubmed_xml(b"", "empty.xml")
    assert empty.problems[0].fatal and empty.records == []
    foreign = read_pubmed_xml(b"<root><x/></root>", "other.xml")
    assert "no PubmedArticle" in foreign.problems[0].message
    assert read_pubmed_xml(b"<PubmedArticleSet>\n</PubmedArticleSet>", "none.xml").problems == []


def test_streaming_clears_elements_and_handles_many_records():
    one = (PUBMED / "hsg.xml").read_bytes()
    start, end = one.index(b"<PubmedArticle>"), one.index(b"</PubmedArticleSet>")
    body = one[start:end] * 300
    records = [i for i in iter_pubmed_xml(io.BytesIO(b"<PubmedArticleSet>" + body + b"</PubmedArticleSet>"), "s")
               if isinstance(i, Record)]
    assert len(records) == 900 and records[-1].pmid == "99000001"


def test_detected_by_the_file_readers():
    assert detect_format((PUBMED / "hsg.xml").read_bytes(), "x.xml") == "pubmed-xml"


# --- shared corpus --------------------------------------------------------------------------------------------
@needs_shared
def test_biopython_efetch_files():
    first = read(BIOPYTHON / "pubmed1.xml")
    assert first.problems == []
    records = by_pmid(first.records)
    olivero = records["12091962"]
    assert olivero.title == "The treatment of AIDS behind the walls of correctional facilities"
    assert olivero.authors == [Author(family="Olivero", given="J. Michael")]
    assert (olivero.year, olivero.pages, olivero.journal_abbrev) == (1990, "113--125", "Soc Justice")
    assert "*Acquired Immunodeficiency Syndrome" in olivero.mesh
    strekas = records["9997"]
    assert strekas.doi == "10.1016/0005-2795(76)90109-4" and strekas.month == "September"
    second = by_pmid(read(BIOPYTHON / "pubmed2.xml").records)
    assert second["11700088"].title == "Proton MRI of (13)C distribution by J and chemical shift editing"
    assert "Semen Preservation/adverse effects/*methods" in second["11748933"].mesh


@needs_shared
def test_jabref_medline_xml_files():
    article_id = read(JABREF / "MedlineImporterTestArticleID.xml").records[0]
    assert article_id.authors[-1] == Author(literal="ASTRO-CM Team")
    italics = read(JABREF / "MedlineImporterTestArticleItalics.xml").records[0]
    assert italics.title == "Genome-wide significant risk factors on chromosome 19 and the APOE locus"
    assert "including ABCA7 (19p13.3) and CD33 (19q13.41)" in italics.abstract
    assert "P = 1.60 x 10 -19)" in italics.abstract
    keyword = read(JABREF / "MedlineImporterTestKeywordSingleEntry.xml").records[0]
    assert (keyword.pmid, keyword.year, keyword.pages) == ("10097079", 1999, "25--138")  # latest PMID version
    mesh = read(JABREF / "MedlineImporterTestMeshHeadingList.xml").records[0]
    assert mesh.mesh == ["Humans", "*Software", "*Kidney Diseases/diagnosis/epidemiology/therapy",
                         "Models, Theoretical/*methods", "*Sample Heading/*analysis"]
    nbib = read(JABREF / "MedlineImporterTestNbib.xml")
    assert [r.entry_type for r in nbib.records] == ["article", "book"]
    assert nbib.records[0].abstract == "BACKGROUND: Just a dummy text.\n\nAnd another dummy"
    book_set = read(JABREF / "MedlineImporterTestBookArticleSet.xml").records[0]
    assert (book_set.entry_type, book_set.title, book_set.doi) == ("incollection", "Title for some article",
                                                                    "10.3275/8949")
    assert book_set.booktitle.startswith("Rheumatoid Arthritis")


@needs_shared
def test_jabref_malformed_and_minimal_files_are_reported():
    malformed = read(JABREF / "MedlineImporterTestMalformedEntry.xml")
    assert malformed.records == [] and malformed.problems[0].fatal and malformed.problems[0].line == 4
    minimal = read(JABREF / "MedlineImporterTestMinimalEntry.xml")
    assert minimal.records == [] and "no title, PMID or DOI" in minimal.problems[0].message


def test_check_without_reading_records():
    assert check_pubmed_xml((PUBMED / "hsg.xml").read_bytes(), "ok") is None
    truncated = check_pubmed_xml((PUBMED / "truncated.xml").read_bytes(), "t.xml")
    assert truncated is not None and truncated.fatal and truncated.line == 6
    assert "external entities" in check_pubmed_xml((PUBMED / "xxe.xml").read_bytes(), "x").message
    error = check_pubmed_xml(b"<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>", "e")
    assert error.message == "NCBI returned an error: Unable to obtain query #1"
    assert "no PubmedArticle" in check_pubmed_xml(b"<html/>", "h").message


def _one(elocations: str, pagination: str = "") -> Record:
    article = (f"<PubmedArticle><MedlineCitation><PMID>32759406</PMID><Article><Journal><JournalIssue>"
               f"<Volume>17</Volume><Issue>2-3</Issue></JournalIssue><Title>J Integr Bioinform</Title></Journal>"
               f"<ArticleTitle>An article number only.</ArticleTitle>{pagination}{elocations}</Article>"
               f"</MedlineCitation></PubmedArticle>")
    result = read_pubmed_xml(f"<PubmedArticleSet>{article}</PubmedArticleSet>".encode(), "one.xml")
    assert result.problems == []
    return result.records[0]


def test_an_article_number_given_only_as_a_pii_becomes_the_pages():
    """PubMed cites 32759406 as "17(2-3):20200021": no Pagination, the number only in a pii ELocationID. It had
    no locator at all (the MEDLINE reader now reads its "LID - 20200021 [pii]" the same way)."""
    assert _one('<ELocationID EIdType="pii" ValidYN="Y">20200021</ELocationID>').pages == "20200021"
    assert _one('<ELocationID EIdType="doi" ValidYN="Y">10.1515/jib-2020-0021</ELocationID>'
                '<ELocationID EIdType="pii" ValidYN="Y">e0213622</ELocationID>').pages == "e0213622"
    # a publisher's internal identifier is no locator; a number marked invalid is not used; pages win
    assert _one('<ELocationID EIdType="pii" ValidYN="Y">S0092-8674(19)30846-3</ELocationID>').pages == ""
    assert _one('<ELocationID EIdType="pii" ValidYN="N">20200021</ELocationID>').pages == ""
    assert _one('<ELocationID EIdType="pii" ValidYN="Y">20200021</ELocationID>',
                "<Pagination><MedlinePgn>1-9</MedlinePgn></Pagination>").pages == "1--9"
