"""Conformance over ../shared/corpus: every importable file imports, counts match the source, ids survive.

Counting the source: BibTeX ``@type{`` blocks (not @string/@preamble/@comment), RIS ``TY  -`` lines, Web of
Science ``PT`` lines, MEDLINE ``PMID-`` lines, CSV data rows, CSL-JSON items. Every counted record must come out
as a record or as a reported problem (a skipped record is never silent). Identifiers: every DOI/PMID written in
the source must be on a read record, unless that record was reported and skipped.

Files that are not importable, on purpose (each must fail with a ReadError that names the file):
EndNote/Mendeley XML (export RIS instead), Copac and Ovid plain-text and EndNote ``.enw`` exports (formats we do
not read), NCBI ESearch/ESummary JSON and XML (not bibliographic records), JabRef's deliberately broken files,
and the GBK-encoded BibTeX file (not UTF-8: ``--encoding gbk`` reads it; tested below).

JabRef comparison: JabRef's importer test resources pair a RIS or MEDLINE file with the BibTeX JabRef makes of
it. Both are read here (the .bib with our BibTeX reader) and compared field by field; every difference we keep
is listed in ``KNOWN_DIFFERENCES`` with the reason, and any other difference fails the test.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from ingest.base import ReadError
from ingest.importer import import_records
from ingest.readers import read_data, read_file
from ingest.readers.bibtex import read_bibtex
from ingest.readers.csljson import read_csl_json
from library.identifiers import InvalidIdentifier, doi_key, normalize_pmid
from library.model import Record
from library.store import Library

from .conftest import CORPUS, corpus_files, needs_shared

pytestmark = [needs_shared, pytest.mark.slow]  # ~1 min: hundreds of real files from ../shared/corpus

JABREF = CORPUS / "github/JabRef-jabref/jablib/src/test/resources/org/jabref/logic/importer/fileformat"

NOT_IMPORTABLE = {
    "Respiratory.xml": "XML, but not PubMed XML", "mendeley_export.xml": "XML, but not PubMed XML",
    "esearch1.xml": "not PubMed XML", "esearch2.xml": "not PubMed XML", "esearch8.xml": "not PubMed XML",
    "CopacImporterTest1.txt": "unknown format", "CopacImporterTest2.txt": "unknown format",
    "OvidImporterTest1.txt": "unknown format", "OvidImporterTest2Invalid.txt": "unknown format",
    "OvidImporterTest3.txt": "unknown format", "OvidImporterTest4.txt": "unknown format",
    "OvidImporterTest5.txt": "unknown format", "OvidImporterTest6.txt": "unknown format",
    "OvidImporterTest7.txt": "unknown format", "RisImporterCorrupted.ris": "no records",
    "MedlinePlainImporterTestInvalidFormat.xml": "", "IsiImporterTestEmpty.isi": "no records",
    "labelled_test_set.csv": "not UTF-8", "MedlineImporterTestMalformedEntry.xml": "malformed",
    "test_works_bad_id_warn.0.txt": "unknown format", "gbk_test.bib": "not UTF-8",
    "pubmed-30939045-correction-retraction-esearch.json": "neither CSL-JSON",
    "ncbi-pubmed-esummary-34313350-27078154.json": "neither CSL-JSON",
    "merged_record_ids.csv": "no title column", "empty.bib": "empty file",
}
NOT_IMPORTABLE_PREFIX = ("EndnoteXmlImporterTest", "Endnote.")


def _importable() -> list[Path]:
    suffixes = (".bib", ".ris", ".txt", ".nbib", ".ciw", ".isi", ".csv", ".xml", ".json", ".enw", ".no_enw")
    files = [p for p in corpus_files(*suffixes) if "citation-style-language-test-suite" not in p.parts]
    return files


_BIB_BLOCK = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]", re.MULTILINE)


def _source_count(path: Path, fmt: str, text: str) -> int | None:
    if fmt == "bibtex":
        return sum(1 for m in _BIB_BLOCK.finditer(text) if m.group(1).lower() not in ("string", "preamble",
                                                                                       "comment", "xdata"))
    if fmt == "ris":
        return len(re.findall(r"^[ \t\ufeff]*TY  -", text, re.MULTILINE))
    if fmt == "wos":
        return len(re.findall(r"^PT ", text, re.MULTILINE))
    if fmt == "medline":  # records without a PMID exist (JabRef's tests): count the PMIDs instead, below
        return None
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text), delimiter="\t" if path.suffix == ".tsv" else ","))
        return sum(1 for row in rows[1:] if any(c.strip() for c in row))
    if fmt == "pubmed-xml":
        return len(re.findall(r"<(?:PubmedArticle|PubmedBookArticle)>", text))
    return None


def _source_ids(fmt: str, text: str) -> set[str]:
    patterns = {
        "ris": [(r"^DO  - (.+)$", "doi")], "wos": [(r"^DI (.+)$", "doi"), (r"^PM (\d+)\s*$", "pmid")],
        "medline": [(r"^PMID- *(\d+)", "pmid")],
        "bibtex": [(r"^\s*doi\s*=\s*[{\"]([^}\"]+)[}\"]", "doi"), (r"^\s*pmid\s*=\s*[{\"](\d+)[}\"]", "pmid")],
    }
    ids = set()
    for pattern, kind in patterns.get(fmt, []):
        for value in re.findall(pattern, text, re.MULTILINE | re.IGNORECASE):
            try:
                ids.add(f"doi:{doi_key(value)}" if kind == "doi" else f"pmid:{normalize_pmid(value)}")
            except InvalidIdentifier:
                continue
    return ids


def _record_ids(records: list[Record]) -> set[str]:
    ids = {f"doi:{r.doi_key}" for r in records if r.doi_key}
    return ids | {f"pmid:{r.pmid}" for r in records if r.pmid}


@pytest.mark.parametrize("path", _importable(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_file_imports(path: Path, tmp_path: Path) -> None:
    expected_failure = NOT_IMPORTABLE.get(path.name)
    if expected_failure is None and path.name.startswith(NOT_IMPORTABLE_PREFIX) and path.suffix != ".bib":
        expected_failure = ""
    if expected_failure is not None:
        with pytest.raises(ReadError) as info:
            read_file(path)
        assert str(path) in str(info.value) and expected_failure in str(info.value)
        return
    result = read_file(path)
    text = path.read_bytes().decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    skipped = [p for p in result.problems if "skipped" in p.message]
    count = _source_count(path, result.format, text)
    if count is not None:
        assert len(result.records) + len(skipped) == count, (result.format, [str(p) for p in result.problems][:5])
    if result.format == "medline":
        assert sum(1 for r in result.records if r.pmid) == len(re.findall(r"^PMID-", text, re.MULTILINE))
    missing = _source_ids(result.format, text) - _record_ids(result.records)
    assert len(missing) <= len(skipped), sorted(missing)[:5]
    lib = Library.create(tmp_path / "lib.bib")
    sample = result.records[:1000]  # the importer's own speed is measured by `make bench`, not here
    report = import_records(lib, sample, source=path.name)
    assert len(report.added) + len(report.merged) + len(report.skipped) == len(sample)
    assert all(re.fullmatch(r"[a-z0-9]+", a.key) for a in report.added)
    if 0 < len(report.added) <= 300:  # the written file reads back (large files: the store's own tests)
        lib.save()
        assert len(Library.load(tmp_path / "lib.bib", use_cache=False)) == len(report.added)


@pytest.mark.parametrize(("relative", "encoding", "expected"), [
    ("github/camaradesuk-ASySD/tests/testthat/labelled_test_set.csv", "latin-1", 1845),
    ("github/plk-biber/t/tdata/encoding1.bib", None, 1),  # declared "-*- coding: latin-9 -*-": read as such
    ("github/plk-biber/t/tdata/encoding3.bib", None, 1),
])
def test_non_utf8_files(relative: str, encoding: str | None, expected: int) -> None:
    path = CORPUS / relative
    result = read_data(path.read_bytes(), path.name, encoding=encoding)
    assert len(result.records) == expected
    assert not any("\ufffd" in r.title for r in result.records)


def test_gbk_file_reads_with_its_encoding() -> None:
    path = CORPUS / "github/sciunto-org-python-bibtexparser/tests/resources/gbk_test.bib"
    record = read_data(path.read_bytes(), path.name, encoding="gbk").records[0]
    assert re.search(r"[\u4e00-\u9fff]", record.title + "".join(a.display() for a in record.authors))


CSL_SUITE = sorted((CORPUS / "github/citation-style-language-test-suite").rglob("*.json")) if CORPUS.is_dir() else []


def test_csl_test_suite_inputs() -> None:
    """The CSL processor fixtures hold CSL-JSON in their ``input`` array: all 845 read without an exception."""
    assert len(CSL_SUITE) > 800
    items = read = 0
    for path in CSL_SUITE:
        fixture = json.loads(path.read_text(encoding="utf-8"))
        data = json.dumps(fixture["input"]).encode()
        result = read_csl_json(data, path.name)
        items += len(fixture["input"])
        read += len(result.records)
        assert len(result.records) + len(result.problems) >= len(fixture["input"]), path.name
        for record, item in zip(result.records, [i for i in fixture["input"] if i.get("title")], strict=False):
            if item.get("DOI") and record.doi:
                assert record.doi_key == doi_key(item["DOI"]) or record.identifier_problems()
    assert read / items > 0.9


# --- JabRef ---------------------------------------------------------------------------------------------------
FIELDS = ("entry_type", "authors", "editors", "title", "journal", "journal_abbrev", "booktitle", "year", "month",
          "volume", "issue", "pages", "doi", "pmid", "pmcid", "issn", "isbn", "publisher", "abstract", "keywords",
          "mesh", "pubtypes", "language", "url")
# (source file, field): why our value differs from JabRef's and why we keep it
KNOWN_DIFFERENCES = {
    ("MedlinePlainImporterStringOutOfBounds.txt", "entry_type"):
        "no PT line: PubMed records default to article; JabRef says misc",
    ("MedlinePlainImporterStringOutOfBounds.txt", "pmid"):
        "JabRef glues the malformed next line ('SO  invalid line') onto the PMID; we report that line and keep "
        "the PMID clean",
    ("MedlinePlainImporterTestCompleteEntry.txt", "journal_abbrev"): "TA kept as the NLM abbreviation (shortjournal)",
    ("MedlinePlainImporterTestCompleteEntry.txt", "pmcid"): "PMC line kept as pmcid; JabRef leaves it in other-id",
    ("MedlinePlainImporterTestCompleteEntry.txt", "issn"): "IS kept (linking ISSN); JabRef uses custom fields",
    ("MedlinePlainImporterTestCompleteEntry.txt", "keywords"): "MeSH headings go to mesh, not keywords",
    ("MedlinePlainImporterTestCompleteEntry.txt", "mesh"): "MeSH headings go to mesh (with * for major topics)",
    ("MedlinePlainImporterTestCompleteEntry.txt", "pubtypes"): "PT lines kept as publication types",
    ("MedlinePlainImporterTestDOI.txt", "pubtypes"): "PT lines kept as publication types",
    ("MedlinePlainImporterTestInproceeding.txt", "entry_type"):
        "a PubMed record with a journal title (JT) is a journal article; JabRef guesses inproceedings",
    ("MedlinePlainImporterTestInproceeding.txt", "journal"): "JT is the journal title",
    ("MedlinePlainImporterTestInproceeding.txt", "booktitle"): "JT is the journal title",
    ("MedlinePlainImporterTestInproceeding.txt", "pubtypes"): "PT lines kept as publication types",
    ("MedlinePlainImporterTestMultiTitle.txt", "title"):
        "repeated TI lines are joined with a space (one title wrapped over lines); JabRef inserts ': '",
    ("MedlinePlainImporterTestMultiTitle.txt", "pubtypes"): "PT lines kept as publication types",
    ("NbibImporterTest.nbib", "authors"): "CN (corporate author) is a collective author, not a custom field",
    ("NbibImporterTest.nbib", "journal_abbrev"): "TA kept as the NLM abbreviation",
    ("NbibImporterTest.nbib", "booktitle"):
        "CTI (collection title) of a journal article is kept as series, not as a book title",
    ("NbibImporterTest.nbib", "doi"): "LID/AID '[doi]' is the DOI; JabRef leaves it in article-doi",
    ("NbibImporterTest.nbib", "issn"): "IS kept (linking ISSN)",
    ("NbibImporterTest.nbib", "abstract"):
        "AB is kept whole; JabRef moves a trailing 'Copyright ...' sentence to a copyright field",
    ("NbibImporterTest.nbib", "pubtypes"): "PT lines kept as publication types",
    ("RisImporterTest3.ris", "journal"): "CHAP: T2 is the book title (booktitle), not a journal",
    ("RisImporterTest3.ris", "booktitle"): "CHAP: T2 is the book title",
    ("RisImporterTest3.ris", "issue"): "M1 ('0') is a free-form field, not the issue",
    ("RisImporterTest3.ris", "issn"): "SN 978-1-4822-5326-9 is an ISBN; JabRef cuts an ISSN out of it",
    ("RisImporterTest3.ris", "isbn"): "SN 978-1-4822-5326-9 is an ISBN",
    ("RisImporterTest3.ris", "url"): "a doi.org URL is redundant with the DOI and not kept",
    ("RisImporterTest5a.ris", "journal_abbrev"): "JA kept as the abbreviation",
    ("RisImporterTest5a.ris", "issue"): "M1 (a copyright line here) is not the issue",
    ("RisImporterTest5b.ris", "journal_abbrev"): "JA kept as the abbreviation",
    ("RisImporterTest6.ris", "title"): "the source's em dash is kept; JabRef writes an en dash",
    ("RisImporterTest6.ris", "journal_abbrev"): "J1 kept as the abbreviation",
    ("RisImporterTest6.ris", "month"): "PY 2013/04/18 gives April",
    ("RisImporterTest6.ris", "issue"): "AN (PMC accession) is not the issue; it becomes the pmcid",
    ("RisImporterTest6.ris", "pmid"): "U1 '23690738[pmid]' is the PMID",
    ("RisImporterTest7.ris", "authors"): "A2 is the secondary author (editor) of a book, not an author",
    ("RisImporterTest7.ris", "editors"): "A2 is the secondary author (editor) of a book",
    ("RisImporterTest7.ris", "month"): "Y1 2015/october gives October",
    ("RisImporterTest8_date.ris", "journal"): "JF is the full journal name; JO with periods is the abbreviation",
    ("RisImporterTest8_date.ris", "journal_abbrev"): "JO 'J. Chem. Phys.' kept as the abbreviation",
    ("RisImporterTest8_date.ris", "url"): "a doi.org URL is redundant with the DOI and not kept",
    ("RisImporterTest9.ris", "url"): "a doi.org URL is redundant with the DOI and not kept",
    ("RisImporterTestDOI.ris", "journal_abbrev"): "J2 kept as the abbreviation",
    ("RisImporterTestDOI.ris", "issue"): "IS is 1; JabRef takes the U1 PMID as the issue",
    ("RisImporterTestDOI.ris", "pmid"): "AN with DB PubMed (and U1 '[pmid]') is the PMID",
    ("RisImporterTestDOI.ris", "issn"): "both SN lines kept (print and electronic)",
    ("RisImporterTestDOI.ris", "url"): "UR is the first URL; JabRef keeps the L2 link instead",
    ("RisImporterTestDate1.1.ris", "journal"): "JF is the full name; JO with periods is the abbreviation",
    ("RisImporterTestDate1.1.ris", "journal_abbrev"): "JO 'J. Chem. Phys.' kept as the abbreviation",
    ("RisImporterTestDate1.1.ris", "url"): "a doi.org URL is redundant with the DOI and not kept",
    ("RisImporterTestDate1.2.ris", "journal"): "JF is the full name; JO with periods is the abbreviation",
    ("RisImporterTestDate1.2.ris", "journal_abbrev"): "JO 'J. Chem. Phys.' kept as the abbreviation",
    ("RisImporterTestDate1.2.ris", "url"): "a doi.org URL is redundant with the DOI and not kept",
    ("RisImporterTestWithEmptyER.ris", "journal"): "JF is the full name; JO with periods is the abbreviation",
    ("RisImporterTestWithEmptyER.ris", "journal_abbrev"): "JO kept as the abbreviation",
    ("RisImporterTestWithEmptyER.ris", "url"): "a doi.org URL is redundant with the DOI and not kept",
    ("RisImporterTestDoiAndJournalTitle.ris", "authors"):
        "'some author' without a comma is read as given + family name; JabRef keeps the string, which BibTeX "
        "reads as a lower-case 'von' part",
    ("RisImporterTestDoiAndJournalTitle.ris", "editors"): "same name rule as authors",
}
# whole files whose JabRef output is not a meaningful reference (explained)
NOT_COMPARED = {
    "RisImporterTest1.ris": "a parser stress file: eleven TY lines in one record. We report ten records without "
                            "'ER  -' (skipped) and read the last; JabRef merges all lines into one record",
    "MedlinePlainImporterTestMultiAbstract.txt": "a record with no title, PMID or DOI: we report and skip it",
}


def _value(record: Record, name: str) -> object:
    value = getattr(record, name)
    return [a.display() for a in value] if name in ("authors", "editors") else value


def _pairs() -> list[Path]:
    if not JABREF.is_dir():
        return []
    sources = [*JABREF.glob("RisImporterTest*.ris"), *JABREF.glob("MedlinePlainImporter*.txt"),
               *JABREF.glob("*.nbib")]
    return sorted(p for p in sources if p.with_suffix(".bib").exists())


@pytest.mark.parametrize("source", _pairs(), ids=lambda p: p.name)
def test_jabref_field_by_field(source: Path) -> None:
    if source.name in NOT_COMPARED:
        result = read_file(source)
        assert result.problems  # the reason we do not compare is reported to the user
        return
    mine = read_file(source).records
    theirs = read_bibtex(source.with_suffix(".bib").read_bytes(), source.with_suffix(".bib").name).records
    assert len(mine) == len(theirs)
    unexplained = []
    for ours, jabref in zip(mine, theirs, strict=True):
        for name in FIELDS:
            a, b = _value(ours, name), _value(jabref, name)
            if a != b and (a or b) and (source.name, name) not in KNOWN_DIFFERENCES:
                unexplained.append(f"{name}: ours {a!r} / JabRef {b!r}")
    assert not unexplained, unexplained


def test_known_differences_are_all_still_real() -> None:
    """An explanation for a difference that no longer exists must be removed."""
    stale = []
    for (name, field), _why in KNOWN_DIFFERENCES.items():
        source = JABREF / name
        ours = read_file(source).records[0]
        jabref = read_bibtex(source.with_suffix(".bib").read_bytes(), "x.bib").records[0]
        if _value(ours, field) == _value(jabref, field):
            stale.append((name, field))
    assert not stale
