"""Name suffixes (Jr, Sr, II-IV, 2nd-4th): a part of the name of its own in every reader and writer.

QA found "Thompson, F.R., III" (Scopus RIS) printed "Thompson, F. R. I" (AMA) and exported as BibTeX
"Thompson, F. R., Iii", PubMed's <Suffix>Jr</Suffix> printed "Gibb, F. W. Jr" (Vancouver), and a CSL-JSON
"suffix": "III" turned into "I. I. I." after a BibTeX round trip.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from ingest.readers import read_data
from library.dedupe.combine import same_value
from library.dedupe.table import build_table
from library.export import export_records, format_citation
from library.fields import record_from_fields, record_to_fields
from library.model import Author, Record
from library.names import format_bibtex_names, name_suffix, parse_bibtex_names
from library.normalize import parse_person_name

THOMPSON = Author("Thompson", "F. R.", suffix="III")

_RIS = """TY  - JOUR
AU  - Matseur, E.A.
AU  - Thompson, F.R., III
TI  - Black-backed woodpecker abundance in the Black Hills
T2  - Journal of Wildlife Management
PY  - 2018
VL  - 82
IS  - 5
SP  - 1039
EP  - 1048
ER  -
"""

_PUBMED = """<?xml version="1.0"?>
<PubmedArticleSet><PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">25000000</PMID>
<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Internet"><Volume>81</Volume><Issue>6</Issue>
<PubDate><Year>2014</Year></PubDate></JournalIssue><Title>Clinical endocrinology</Title>
<ISOAbbreviation>Clin Endocrinol (Oxf)</ISOAbbreviation></Journal><ArticleTitle>A title.</ArticleTitle>
<Pagination><MedlinePgn>907-11</MedlinePgn></Pagination>
<AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Gibb</LastName><ForeName>F W</ForeName>
<Initials>FW</Initials><Suffix>Jr</Suffix></Author><Author ValidYN="Y"><LastName>Beckett</LastName>
<ForeName>G</ForeName><Initials>G</Initials></Author></AuthorList></Article>
<MedlineJournalInfo><MedlineTA>Clin Endocrinol (Oxf)</MedlineTA></MedlineJournalInfo></MedlineCitation>
</PubmedArticle></PubmedArticleSet>
"""

_MEDLINE = """PMID- 25000000
TI  - A title.
FAU - Gibb, Fraser W, Jr
AU  - Gibb FW Jr
FAU - Beckett, Geoffrey
AU  - Beckett G
DP  - 2014 Dec
TA  - Clin Endocrinol (Oxf)
JT  - Clinical endocrinology
"""

_CSL = [{"id": "x", "type": "article-journal", "title": "Suffixes", "container-title": "J Test",
         "issued": {"date-parts": [[2020]]},
         "author": [{"family": "Thompson", "given": "F. R.", "suffix": "III"}, {"family": "Smith", "given": "J."}]}]


def _read(text: str, name: str, fmt: str) -> Record:
    result = read_data(text.encode(), name, fmt)
    assert result.records, result.problems
    return result.records[0]


def _article(authors: list[Author]) -> Record:
    return Record(key="thompson2018", entry_type="article", title="Black-backed woodpecker abundance",
                  journal="Journal of Wildlife Management", journal_abbrev="J Wildl Manage", year=2018,
                  volume="82", issue="5", pages="1039--1048", authors=authors)


def _bibtex_round_trip(record: Record) -> Record:
    """Through the store's BibTeX fields and back."""
    return record_from_fields(record.key, record.entry_type, record_to_fields(record))


# --- the suffix word --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "suffix"), [
    ("III", "III"), ("iii", "III"), ("Iii", "III"), ("IV", "IV"), ("JR", "Jr"), ("jr.", "Jr."), ("Sr", "Sr"),
    ("3RD", "3rd"), ("2nd", "2nd"), ("F. R.", ""), ("John", ""), ("I", ""), ("", "")])
def test_name_suffix_recognizes_and_recases(text: str, suffix: str) -> None:
    assert name_suffix(text) == suffix


# --- readers ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "author"), [
    ("Thompson, F.R., III", THOMPSON),  # Scopus RIS: Last, First, Suffix
    ("Gibb, Fraser W, Jr", Author("Gibb", "Fraser W.", suffix="Jr")),  # MEDLINE FAU
    ("Gibb FW Jr", Author("Gibb", "F. W.", suffix="Jr")),  # MEDLINE AU, Vancouver
    ("Thompson FR III", THOMPSON),
    ("de la Fuente, Jr, Juan", Author("de la Fuente", "Juan", suffix="Jr")),  # BibTeX's order
    ("Smith, , IV", Author("Smith", suffix="IV")),  # no given name (reflib's own RIS form)
    ("Smith, II", Author("Smith", "I. I.")),  # a lone II or IV: initials
    ("Smith II", Author("Smith", "I. I.")),
    ("Dreyer, Kim", Author("Dreyer", "Kim")),
])
def test_person_names_as_sources_write_them(text: str, author: Author) -> None:
    assert parse_person_name(text) == author


@pytest.mark.parametrize(("raw", "authors"), [
    ("Thompson, III, F. R. and Smith, J.", [THOMPSON, Author("Smith", "J.")]),
    ("de la Fuente, Jr., Juan", [Author("de la Fuente", "Juan", suffix="Jr.")]),
    ("Thompson, F. R., Iii", [THOMPSON]),  # written by reflib before suffixes (RIS's order, title-cased)
    ("Smith, Jr, {}", [Author("Smith", suffix="Jr")]),
])
def test_bibtex_three_part_names(raw: str, authors: list[Author]) -> None:
    assert parse_bibtex_names(raw) == authors


def test_bibtex_names_written_as_von_last_jr_first() -> None:
    assert format_bibtex_names([THOMPSON, Author("Smith", "J.")]) == "Thompson, III, F. R. and Smith, J."
    assert format_bibtex_names([Author("Smith", suffix="Jr")]) == "Smith, Jr, {}"
    assert parse_bibtex_names(format_bibtex_names([Author("Smith", suffix="IV")])) == [Author("Smith", suffix="IV")]


def test_ris_reader_keeps_the_suffix() -> None:
    record = _read(_RIS, "scopus.ris", "ris")
    assert record.authors[1] == THOMPSON


def test_ris_reader_on_the_real_scopus_file() -> None:
    from pathlib import Path
    path = Path("/work/shared/corpus/github/mjwestgate-synthesisr/inst/extdata/scopus.ris")
    if not path.exists():
        pytest.skip("corpus not here")
    records = read_data(path.read_bytes(), path.name, "ris").records
    thompson = [a for r in records for a in r.authors if a.suffix]
    assert thompson == [THOMPSON]


def test_pubmed_xml_suffix() -> None:
    record = _read(_PUBMED, "pubmed.xml", "pubmed-xml")
    assert record.authors[0] == Author("Gibb", "F. W.", suffix="Jr")


def test_medline_suffix() -> None:
    record = _read(_MEDLINE, "pubmed.nbib", "medline")
    assert record.authors[0] == Author("Gibb", "Fraser W.", suffix="Jr")


def test_csl_json_suffix() -> None:
    record = _read(json.dumps(_CSL), "items.json", "csl-json")
    assert record.authors == [THOMPSON, Author("Smith", "J.")]


def test_crossref_suffix() -> None:
    work = {"DOI": "10.9999/x", "type": "journal-article", "title": ["Suffixes"], "container-title": ["J Test"],
            "author": [{"given": "F. R.", "family": "Thompson", "suffix": "III"}],
            "issued": {"date-parts": [[2020]]}}
    record = _read(json.dumps({"status": "ok", "message-type": "work", "message": work}), "work.json",
                   "crossref-json")
    assert record.authors == [THOMPSON]


# --- writers ----------------------------------------------------------------------------------------------------
def test_exports_write_the_suffix_apart() -> None:
    record = _article([Author("Matseur", "E. A."), THOMPSON])
    bib = export_records([record], "bibtex").text
    assert "author = {Matseur, E. A. and Thompson, III, F. R.}" in " ".join(bib.split())
    assert "AU  - Thompson, F. R., III\n" in export_records([record], "ris").text
    items = json.loads(export_records([record], "csljson").text)
    assert items[0]["author"][1] == {"family": "Thompson", "given": "F. R.", "suffix": "III"}
    rows = list(csv.DictReader(io.StringIO(export_records([record], "csv").text)))
    assert "Thompson, F. R., III" in next(v for k, v in rows[0].items() if k and "author" in k.lower())


@pytest.mark.parametrize("engine", ["compiled", "citeproc"])
def test_formatted_citations(engine: str) -> None:
    record = _article([Author("Matseur", "E. A."), THOMPSON, Author("Gibb", "F. W.", suffix="Jr")])
    assert format_citation(record, "vancouver", engine=engine).startswith("Matseur EA, Thompson FR III, Gibb FW Jr.")
    assert format_citation(record, "ama", engine=engine).startswith("Matseur EA, Thompson FR III, Gibb FW Jr.")
    assert format_citation(record, "apa", engine=engine).startswith(
        "Matseur, E. A., Thompson, F. R., III, & Gibb, F. W., Jr")


def test_pubmed_suffix_in_vancouver() -> None:
    record = _read(_PUBMED, "pubmed.xml", "pubmed-xml")
    assert format_citation(record, "vancouver").startswith("Gibb FW Jr, Beckett G.")


# --- round trips ------------------------------------------------------------------------------------------------
def test_csl_json_to_bibtex_to_csl_json_keeps_the_suffix() -> None:
    record = _read(json.dumps(_CSL), "items.json", "csl-json")
    again = _bibtex_round_trip(record)
    assert again.authors == record.authors
    bib = export_records([again], "bibtex").text
    reread = _read(bib, "x.bib", "bibtex")
    items = json.loads(export_records([reread], "csljson").text)
    assert items[0]["author"] == _CSL[0]["author"]


def test_ris_to_bibtex_to_ris_keeps_the_suffix() -> None:
    record = _bibtex_round_trip(_read(_RIS, "scopus.ris", "ris"))
    bib = export_records([record], "bibtex").text
    ris = export_records([_read(bib, "x.bib", "bibtex")], "ris").text
    assert "AU  - Thompson, F. R., III\n" in ris
    assert _read(ris, "again.ris", "ris").authors[1] == THOMPSON


def test_csv_round_trip_keeps_the_suffix() -> None:
    record = _article([THOMPSON, Author("Smith", suffix="Jr"), Author("Dreyer", "K.")])
    again = _read(export_records([record], "csv").text, "x.csv", "csv")
    assert again.authors == record.authors


# --- dedupe -----------------------------------------------------------------------------------------------------
def test_dedupe_compares_family_names_without_the_suffix() -> None:
    with_suffix, without = _article([THOMPSON]), _article([Author("Thompson", "F. R.")])
    assert same_value("authors", with_suffix.authors, without.authors)
    table = build_table([with_suffix, without])
    assert table.first_author[0] == table.first_author[1] == "thompson"
