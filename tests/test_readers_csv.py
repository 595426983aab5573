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
