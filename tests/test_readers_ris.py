"""RIS and Web of Science readers: field mapping per exporter, missing ER, rispy agreement."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.readers.ris import read_ris, read_wos, ris_tags
from library.model import Author

from .conftest import CORPUS, corpus_files, needs_shared
from .ris_reference import tokens_by_rispy

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def test_fixture_mapping() -> None:
    result = read_ris((FIXTURES / "hsg.ris").read_bytes(), "hsg.ris")
    assert result.problems == []
    dreyer, fang, acog = result.records
    assert dreyer.title == "Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women"
    assert (dreyer.journal, dreyer.journal_abbrev) == ("New England Journal of Medicine", "N Engl J Med")
    assert (dreyer.year, dreyer.month, dreyer.pages) == (2017, "May", "2043--2052")  # SP 2043 + EP 52
    assert dreyer.pmid == "28520519"  # AN with DB PubMed
    assert dreyer.abstract.split("\n\n")[1] == "METHODS: We performed a multicenter, randomized trial."
    assert dreyer.keywords == ["Hysterosalpingography", "Contrast Media"]
    assert dreyer.language == "en"
    assert dreyer.extra == {"annote": "Export Date: 1 May 2024"}
    assert fang.doi == "10.1016/j.fertnstert.2018.03.021"  # doi.org prefix removed
    assert fang.pmcid == "PMC1234567"
    assert fang.authors[0] == Author("Fang", "F.")
    assert (acog.entry_type, acog.urldate, acog.authors) == (
        "online", "2019-05-01", [Author(literal="American College of Obstetricians and Gynecologists")])


def test_record_without_er_is_reported_and_others_read() -> None:
    result = read_ris((FIXTURES / "no_er.ris").read_bytes(), "no_er.ris")
    assert [r.year for r in result.records] == [2017, 2018]
    assert len(result.problems) == 1
    assert (result.problems[0].line, result.problems[0].record) == (8, 2)
    assert "no 'ER  -' line" in result.problems[0].message


def test_truncated_last_record() -> None:
    text = b"TY  - JOUR\nTI  - Complete\nER  - \n\nTY  - JOUR\nTI  - Cut off"
    result = read_ris(text, "cut.ris")
    assert [r.title for r in result.records] == ["Complete"]
    assert "file ends inside the record" in result.problems[0].message and result.problems[0].line == 5


def test_exporter_variants() -> None:
    text = "\n".join([
        "Record #1 of 1", "1.",  # EndNote/Ovid headers between records are ignored
        "TY  - Journal Article",  # EndNote writes type names
        "AU  - Wagner, B. T.", "KW  - Access", "Cancer", "Genetic counseling",  # EndNote continuation keywords
        "T1  - Title one", "JO  - J. Chem. Phys.", "JF  - The Journal of Chemical Physics",
        "SP  - 1-22", "SN  - 0964-6906 (Print)0964-6906", "L3  - 10.1016/j.agee.2016.06.041",
        "AB  - Small rodents matter. Copyright of X is the property of Y and its content may not be copied.",
        "ER  - ", ""]).encode()
    record = read_ris(text, "x.ris").records[0]
    assert record.entry_type == "article"
    assert record.keywords == ["Access", "Cancer", "Genetic counseling"]
    assert (record.journal, record.journal_abbrev) == ("The Journal of Chemical Physics", "J. Chem. Phys.")
    assert (record.pages, record.issn, record.doi) == ("1--22", "0964-6906", "10.1016/j.agee.2016.06.041")
    assert record.abstract == "Small rodents matter."  # EBSCO notice dropped


def test_chapter_and_isbn() -> None:
    text = (b"TY  - CHAP\nTI  - Toward a Robust Analysis\nT2  - Dermoscopy Image Analysis\nT3  - Digital Imaging\n"
            b"SN  - 978-1-4822-5326-9\nPY  - 2015\nER  - \n")
    record = read_ris(text, "x.ris").records[0]
    assert (record.entry_type, record.booktitle, record.isbn, record.issn) == (
        "incollection", "Dermoscopy Image Analysis", "978-1-4822-5326-9", "")
    assert record.extra["series"] == "Digital Imaging"


def test_web_of_science_tagged() -> None:
    text = (b"FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Li, W\n   Dou, Z\nAF Li, Wei\n   Dou, Zhiguo\n"
            b"TI Soil fauna diversity at different stages\n   of reed restoration\nSO ECOSYSTEM HEALTH AND SUSTAINABILITY\n"
            b"DE Lake Taihu; soil fauna\nPD DEC 16\nPY 2020\nVL 6\nAR UNSP 1722034\nDI 10.1080/20964129.2020.1722034\n"
            b"PM 12345678\nUT WOS:000514379300001\nER\n\nEF\n")
    result = read_wos(text, "wos.txt")
    record = result.records[0]
    assert record.authors == [Author("Li", "Wei"), Author("Dou", "Zhiguo")]  # AF preferred, one per line
    assert record.title == "Soil fauna diversity at different stages of reed restoration"
    assert record.journal == "Ecosystem Health and Sustainability"
    assert (record.month, record.pages, record.pmid) == ("December", "1722034", "12345678")
    assert record.keywords == ["Lake Taihu", "soil fauna"]
    assert record.extra == {"accession": "WOS:000514379300001"}


def _tokens_fast(text: str) -> list[dict[str, list[str]]]:
    return [item[2] for item in ris_tags(text, "x") if isinstance(item, tuple)]


def test_fast_tokenizer_agrees_with_rispy_on_fixtures() -> None:
    for name in ("hsg.ris", "no_er.ris"):
        text = (FIXTURES / name).read_text()
        assert _tokens_fast(text) == tokens_by_rispy(text)


@needs_shared
@pytest.mark.parametrize("path", corpus_files(".ris"), ids=lambda p: p.name)
def test_fast_tokenizer_agrees_with_rispy_on_corpus(path: Path) -> None:
    """The RIS fast path must give exactly what rispy gives, tag by tag, line by line."""
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    assert _tokens_fast(text) == tokens_by_rispy(text), path.relative_to(CORPUS)


def test_pages_numbered_within_a_section_keep_their_end_page():
    """Scopus (revtools' restoration_scopus.ris, record 229): SP 'S21-1', EP 'S21-8' was stored 'S21--S21'."""
    from ingest.readers.ris import read_ris

    text = b"TY  - JOUR\nTI  - A supplement article\nSP  - S21-1\nEP  - S21-8\nER  - \n"
    assert read_ris(text, "x.ris").records[0].pages == "S21-1--S21-8"
    text = b"TY  - JOUR\nTI  - A plain article\nSP  - 561\nEP  - 567\nER  - \n"
    assert read_ris(text, "x.ris").records[0].pages == "561--567"


def test_ovid_puts_the_nlm_journal_id_where_the_issue_goes():
    """Ovid MEDLINE's RIS (ESHackathon/CiteSource's medline_84.ris: 29 of 84 records) writes the journal subset
    and the NLM journal ID in IS: "eag, 7805975" was the issue (and a merge conflict with PubMed's real issue)."""
    from ingest.readers.ris import read_ris

    def read(issue: str):  # type: ignore[no-untyped-def]
        text = f"TY  - JOUR\nTI  - An Ovid record\nVL  - 12\nIS  - {issue}\nER  - \n".encode()
        return read_ris(text, "ovid.ris").records[0]

    for issue, nlm in (("eag, 7805975", "7805975"), ("101676033", "101676033"), ("0401664, du5", "0401664"),
                       ("jmf, 2985188r", "2985188r")):
        record = read(issue)
        assert (record.issue, record.extra.get("nlm_id")) == ("", nlm)
    for issue in ("7", "24", "1-2", "Suppl 3", "9783319956299"):  # issues (and an ISBN) stay as written
        assert read(issue).issue == issue and "nlm_id" not in read(issue).extra
