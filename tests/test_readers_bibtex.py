"""BibTeX/BibLaTeX reader: macros, crossref, LaTeX decoding, protected words, damage kept local."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.readers.bibtex import read_bibtex
from library.model import Author

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def _read(text: str):  # type: ignore[no-untyped-def]
    return read_bibtex(text.encode("utf-8"), "test.bib")


def test_fixture_file_fields() -> None:
    result = read_bibtex((FIXTURES / "hsg.bib").read_bytes(), "hsg.bib")
    assert result.problems == []
    by_key = {r.key: r for r in result.records}
    assert list(by_key) == ["Dreyer2017", "fang2018", "perisinakis2003", "proc2003", "acog2019"]
    dreyer = by_key["Dreyer2017"]
    assert dreyer.journal == "New England Journal of Medicine"  # @string macro
    assert dreyer.month == "May"  # month macro
    assert dreyer.title == "Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women"
    assert dreyer.authors[3] == Author("Goddijn", "Mariëtte")  # {\"e} decoded
    assert (dreyer.pages, dreyer.doi, dreyer.pmid) == ("2043--2052", "10.1056/NEJMoa1612337", "28520519")
    assert "owner" not in dreyer.extra and "timestamp" not in dreyer.extra  # JabRef bookkeeping dropped


def test_biblatex_aliases() -> None:
    fang = read_bibtex((FIXTURES / "hsg.bib").read_bytes(), "hsg.bib").records[1]
    assert (fang.journal, fang.year, fang.month) == ("Fertility and Sterility", 2018, "July")  # journaltitle, date
    assert fang.pmid == "29908778"  # eprint + eprinttype = pubmed
    assert fang.language == "en"  # langid english
    assert fang.pages == "153--160.e3"
    assert "date" not in fang.extra and "eprint" not in fang.extra


def test_crossref_inheritance() -> None:
    records = read_bibtex((FIXTURES / "hsg.bib").read_bytes(), "hsg.bib").records
    child = records[2]
    assert child.booktitle == "Proceedings of the European Congress of Radiology"  # parent title -> booktitle
    assert (child.year, child.publisher) == (2003, "Springer")
    assert "crossref" not in child.extra
    assert records[4].authors == [Author(literal="American College of Obstetricians and Gynecologists")]
    assert (records[4].entry_type, records[4].urldate) == ("online", "2019-05-01")


def test_protected_words_keep_their_case() -> None:
    record = _read("@article{a, title = {{HSG} versus {SIS} in {F}allopian tube {\\emph{patency}}}}").records[0]
    assert record.title == "HSG versus SIS in Fallopian tube patency"


def test_latex_commands_and_concatenation() -> None:
    text = ('@string{j = "Ultrasound in Obstetrics "}\n'
            '@article{a, author = {Sch{\\"o}nberger, J{\\\'e}r{\\^o}me and M\\\'{a}rquez, Ana},\n'
            '  journal = j # "{\\&} Gynecology", title = {Dose in $\\mu$Gy --- a review}, year = "2019"}\n')
    record = _read(text).records[0]
    assert [a.family for a in record.authors] == ["Schönberger", "Márquez"]
    assert record.authors[0].given == "Jérôme"
    assert record.journal == "Ultrasound in Obstetrics & Gynecology"
    assert record.title == "Dose in μGy — a review"


def test_unbalanced_braces_reported_and_rest_read() -> None:
    result = read_bibtex((FIXTURES / "bad_braces.bib").read_bytes(), "bad_braces.bib")
    assert [r.key for r in result.records] == ["good1", "good2"]
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert (problem.line, problem.record) == (8, 2)
    assert "broken" in problem.message and "unbalanced braces" in problem.message
    assert str(problem).startswith("bad_braces.bib (line 8, record 2)")


def test_entry_closed_early_is_not_silently_truncated() -> None:
    result = _read("@article{a,\n title = {Foo}},\n year = {2000}\n}\n@article{b, title={Bar}}\n")
    assert [r.key for r in result.records] == ["b"]
    assert "closed early" in result.problems[0].message


def test_invalid_doi_kept_and_reported() -> None:
    result = _read("@article{a, title={T}, doi={10.1000}}")
    assert result.records[0].doi == "10.1000"
    assert "invalid DOI" in result.problems[0].message and result.problems[0].record == 1


def test_missing_crossref_parent_reported() -> None:
    result = _read("@inproceedings{a, title={T}, crossref={nowhere}}")
    assert result.records[0].title == "T"
    assert "nowhere" in result.problems[0].message


def test_parenthesized_entry_and_comments() -> None:
    result = _read("@comment{ignored}\n@preamble{\"x\"}\n@article(a, title = {Round}, year = 1999)\n")
    assert [(r.key, r.title, r.year) for r in result.records] == [("a", "Round", 1999)]


def test_damage_of_each_kind_stays_in_its_entry() -> None:
    text = ("@article{ok1, title = {One}}\n"
            "@article{noeq, title {Two}}\n"  # a field without '='
            "@article{open, title = {Three},\n"  # the entry's own brace is never closed
            "  year = 2001\n"
            "@article{ok2, title = {Four}}\n"
            "@article{inner, title = {Five {never closed,\n"
            "  year = {2002}\n"
            "}\n"
            "@article{ok3, title = {Six}}\n")
    result = _read(text)
    assert [(r.key, r.title) for r in result.records] == [("ok1", "One"), ("ok2", "Four"), ("ok3", "Six")]
    assert [(p.line, p.record) for p in result.problems] == [(2, 2), (3, 3), (6, 5)]
    noeq, unclosed, inner = (p.message for p in result.problems)
    assert noeq.startswith("@article{noeq}: not a well-formed entry") and noeq.endswith("entry skipped")
    assert unclosed.startswith("@article{open}: entry not closed: '}' missing") and "(near line 4)" in unclosed
    assert inner.startswith("@article{inner}: unbalanced braces: '{' never closed (near line 6)")


def test_comment_lines_between_fields_and_repeated_fields() -> None:
    text = ("@article{a,\n"
            "  % a JabRef-style note on its own line\n"
            "  title = {First},\n"
            "  title = {Second},\n"  # BibTeX keeps the first of repeated fields
            "  year = 2001\n"
            "}\n")
    result = _read(text)
    assert result.problems == []
    record = result.records[0]
    assert (record.title, record.year) == ("First", 2001)
    assert not any("%" in name for name in record.extra)


def test_string_macros_in_parentheses_and_file_order() -> None:
    text = ('@string(first = "Fertility")\n'
            '@STRING{second = first # " and Sterility"}\n'
            "@ article {a, journal = second, note = later, month = jun}\n"
            "@string{later = {defined after its use}}\n")
    record = _read(text).records[0]
    assert (record.key, record.journal, record.month) == ("a", "Fertility and Sterility", "June")
    assert record.note == "defined after its use"  # entries see every macro of the file


@pytest.mark.slow  # about a second or more: run by make test, not make unit
def test_importer_reads_each_entry_as_the_store_does() -> None:
    """One tokenizer: every entry the store's splitter reads has the same key and fields in the importer."""
    from ingest.readers.bibtex import parse_entries
    from library.bibfile import parse_chunk

    from .conftest import FIXTURES as ALL_FIXTURES
    from .conftest import REFERENCES, corpus_files

    compared = 0
    for path in [REFERENCES, ALL_FIXTURES / "mixed.bib", FIXTURES / "hsg.bib", *corpus_files(".bib")]:
        text = path.read_bytes().decode("utf-8", "replace")
        entries, _, _ = parse_entries(text, path.name)
        store = [b for b in parse_chunk(text) if b.kind == "entry"]
        if any(b.kind == "malformed" for b in parse_chunk(text)) or len(store) != len(entries):
            continue  # the store merges a broken block with what follows; the importer skips it alone
        for raw, block in zip(entries, store, strict=True):
            names = [n.lower().splitlines()[-1].strip() if "%" in n else n.lower() for n, _ in block.fields]  # comments dropped
            assert (raw.key, raw.fields) == (block.key, list(zip(names, [v for _, v in block.fields]))), path
            compared += 1
    assert compared > 1000 if corpus_files(".bib") else compared > 20  # the bundled library alone has 36
