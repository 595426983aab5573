"""CSV reader: header mapping, --map, bad rows, wrong header."""

from __future__ import annotations

from pathlib import Path

from ingest.readers.csv import map_header, read_csv
from library.model import Author

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def test_zotero_style_fixture() -> None:
    result = read_csv((FIXTURES / "hsg.csv").read_bytes(), "hsg.csv")
    dreyer, fang = result.records
    assert dreyer.authors == [Author("Dreyer", "Kim"), Author("van Rijswijk", "Joukje")]
    assert (dreyer.entry_type, dreyer.year, dreyer.journal, dreyer.pages, dreyer.keywords) == (
        "article", 2017, "New England Journal of Medicine", "2043--2052", ["hsg", "contrast"])
    assert fang.doi == "10.1016/j.fertnstert.2018.03.021"
    assert len(result.problems) == 1
    assert (result.problems[0].line, result.problems[0].record) == (4, 3)
    assert "12 fields but the header has 11" in result.problems[0].message


def test_wrong_header_is_fatal_and_names_the_columns() -> None:
    result = read_csv((FIXTURES / "bad_header.csv").read_bytes(), "bad_header.csv")
    assert result.records == []
    problem = result.problems[0]
    assert problem.fatal and problem.line == 1
    assert "no title column" in problem.message and "Name, Year, Journal Name" in problem.message


def test_map_option_and_bibtex_like_columns() -> None:
    data = b'"ENTRYTYPE","author","Name","year","journal","pages"\n"article","Dreyer, Kim and Mol, Ben",' \
           b'"Oil or water","2017","NEJM","2043-52"\n'
    assert read_csv(data, "t.csv").problems[0].fatal  # "Name" is not a title column by itself
    record = read_csv(data, "t.csv", columns={"title": "Name"}).records[0]
    assert (record.title, [a.family for a in record.authors], record.pages) == (
        "Oil or water", ["Dreyer", "Mol"], "2043--2052")
    _, problems = map_header(["Title"], {"nonsense": "Title", "doi": "Missing"})
    assert any("unknown field 'nonsense'" in p for p in problems)
    assert any("no column 'Missing'" in p for p in problems)


def test_vancouver_author_lists_and_tsv() -> None:
    data = b"Title\tAuthors\tYear\nA study\tSmith J, Doe AB, van Rijswijk J\t2008.0\n"
    record = read_csv(data, "t.tsv").records[0]
    assert [(a.family, a.given) for a in record.authors] == [("Smith", "J."), ("Doe", "A. B."), ("van Rijswijk", "J.")]
    assert record.year == 2008


def test_given_first_author_lists_with_a_last_and() -> None:
    """PubMed-derived screening sets (asreview Bannach-Brown 2019) write "S. S. Negus, E. M. Morrissey, K. Cheng
    and K. C. Rice": five people, not "Negus, S. S." with the rest as his given names. BibTeX's "Zhai, Q. J. and
    Yue, X. Y." keeps its reading."""
    data = (b'title,authors,year\n'
            b'"Kappa opioids","S. S. Negus, E. M. Morrissey, M. Rosenberg, K. Cheng and K. C. Rice",2010\n'
            b'"Goats","C. J. Carvalho, F. Riet-Correa, and S. M. Silva",2010\n'
            b'"Batroxobin","Zhai, Q. J. and Yue, X. Y. and Hong, Z.",2010\n')
    first, second, third = read_csv(data, "screening.csv").records
    assert [(a.family, a.given) for a in first.authors] == [
        ("Negus", "S. S."), ("Morrissey", "E. M."), ("Rosenberg", "M."), ("Cheng", "K."), ("Rice", "K. C.")]
    assert [a.family for a in second.authors] == ["Carvalho", "Riet-Correa", "Silva"]
    assert [(a.family, a.given) for a in third.authors] == [("Zhai", "Q. J."), ("Yue", "X. Y."), ("Hong", "Z.")]


PUBMED_CSV = """PMID,Title,Authors,Citation,First Author,Journal/Book,Publication Year,Create Date,PMCID,NIHMS ID,DOI
30890123,Oil-based contrast for HSG,"Dreyer K, van Rijswijk J, Mijatovic V",Fertil Steril. 2019 Jun;111(6):1090-1096.e3. doi: 10.1016/j.fertnstert.2019.01.031. Epub 2019 Apr 18.,Dreyer K,Fertil Steril,2019,2019/04/20,,,10.1016/j.fertnstert.2019.01.031
30897123,Tubal flushing,"Smith J, Doe A",PLoS One. 2019 Mar 21;14(3):e0213622. doi: 10.1371/journal.pone.0213622. eCollection 2019.,Smith J,PLoS One,2019,2019/03/22,PMC6428234,,10.1371/journal.pone.0213622
39630001,Ahead of print,Roe P,Fertil Steril. 2024 Dec 3:S0015-0282(24)02345-6. Online ahead of print.,Roe P,Fertil Steril,2024,2024/12/04,,,
29083812,Hysterosalpingography,"Baker A, Jones B","2023 Jan 30. In: StatPearls [Internet]. Treasure Island (FL): StatPearls Publishing; 2025 Jan–.",Baker A,StatPearls Publishing,2023,2017/11/01,,,
"""


def test_pubmeds_csv_export_gives_journal_volume_issue_pages_and_two_authors():
    """PubMed's "Save > CSV" (rows written from its documented summary format): "Journal/Book" was not read, the
    volume, issue and pages live only in "Citation", and two Vancouver names ("Smith J, Doe A") were one person."""
    records = {r.pmid: r for r in read_csv(PUBMED_CSV.encode(), "csv-hsg-set.csv").records}
    oil = records["30890123"]
    assert (oil.journal, oil.volume, oil.issue, oil.pages, oil.month) == (
        "Fertil Steril", "111", "6", "1090--1096.e3", "June")
    plos = records["30897123"]
    assert [a.family for a in plos.authors] == ["Smith", "Doe"]  # before: one author "Smith J" / "Doe A"
    assert (plos.volume, plos.issue, plos.pages) == ("14", "3", "e0213622")
    ahead = records["39630001"]  # no volume yet: the pii is not taken for pages
    assert (ahead.journal, ahead.volume, ahead.pages) == ("Fertil Steril", "", "")
    chapter = records["29083812"]
    assert (chapter.entry_type, chapter.booktitle, chapter.publisher, chapter.journal) == (
        "incollection", "StatPearls", "StatPearls Publishing", "")
    assert [a.family for a in read_csv(b"title,author\nX,\"Smith, John A\"\n", "a.csv").records[0].authors] == [
        "Smith"]  # a single "Family, Given" is still one person
