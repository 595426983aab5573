"""`reflib check`: evidence and link problems, with lines, kinds and exit codes."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest

from library import Library
from library.cli import main
from library.evidence.checks import evidence_problems, record_problems
from library.model import Record

from .conftest import FIXTURES, REFERENCES

EVIDENCE = FIXTURES / "evidence"


@pytest.fixture(autouse=True)
def _bundled_files(monkeypatch):
    monkeypatch.delenv("REFLIB_TAXONOMY", raising=False)
    monkeypatch.delenv("REFLIB_ENCYCLOPEDIA", raising=False)


def problems(path) -> list[tuple[int, str, str, str]]:
    lib = Library.load(path, use_cache=False)
    return [(p["line"], p["kind"], p["key"], p["message"]) for p in evidence_problems(lib)]


def test_every_kind_of_problem_with_its_line():
    found = problems(EVIDENCE / "problems.bib")
    assert found == [
        (3, "unknown-entry", "unknownlinks2020", "cited in unknown encyclopedia entry 'nope'"),
        (3, "unknown-topic", "unknownlinks2020", "topic 'Diagnostics > Made up' is not in the taxonomy"),
        (3, "missing-identifier", "unknownlinks2020", "no DOI, PMID, PMCID, ISBN or URL"),
        (3, "unverified", "unknownlinks2020", "still to verify: year, journal"),
        (13, "no-topic", "notopic2021", "no topic (tag one with `reflib tag`, or run `reflib classify`)"),
        (22, "retracted-cited", "retracted2019", "retracted but still cited in hysterosalpingogram"),
        (33, "unknown-topic", "badvalues2022",
         "automatic topics no longer in the taxonomy: Endometriosis > Retired topic (run `reflib classify`)"),
        (33, "invalid-value", "badvalues2022", "design 'trial' is not one of: systematic-review, scoping-review, meta-analysis, "
         "rct, "
         "non-randomized-trial, cohort, case-control, cross-sectional, diagnostic-accuracy, case-series, "
         "case-report, guideline, narrative-review, editorial, protocol, preclinical, other"),
        (33, "invalid-value", "badvalues2022", "level: evidence level 'level 2' must look like 'OCEBM2011 <question> "
         "<1-5>' with question one of therapy, diagnosis, prognosis, harm, screening"),
        (33, "invalid-value", "badvalues2022", "stance 'angry' is not one of: supportive, neutral, critical, hostile"),
        (33, "invalid-value", "badvalues2022", "relevance 9 is not between 1 and 5"),
        (33, "citation-number", "badvalues2022",
         "cited in 'hysteroscopy' without a number (relink with `reflib link KEY SLUG --as cited --number N`)"),
        (33, "citation-number", "badvalues2022",
         "citation #1 of 'hysterosalpingogram' is also 'retracted2019'; each number is one source"),
    ]


def test_clean_library_has_no_problems():
    assert problems(EVIDENCE / "clean.bib") == []


def test_references_bib_only_lacks_identifiers_and_verification():
    """The bundled library is fully tagged and linked; what is left are facts nobody could find yet."""
    kinds = Counter(kind for _, kind, _, _ in problems(REFERENCES))
    assert set(kinds) == {"unverified", "missing-identifier"}
    assert kinds["missing-identifier"] == 11


def test_record_problems_is_pure_and_reads_no_files():
    record = Record(key="k", title="t", doi="10.1/x", topics=["Endometriosis"], retracted=True)
    assert record_problems(record, None, None) == []
    record.unverified = "pages"
    assert record_problems(record, None, None) == [("unverified", "still to verify: pages")]


def test_broken_taxonomy_and_entry_topics_are_reported_with_file_lines(tmp_path):
    bib = tmp_path / "lib.bib"
    shutil.copyfile(EVIDENCE / "clean.bib", bib)
    (tmp_path / "taxonomy.toml").write_text('[[topic]]\nid = "a"\nname = "A"\n\n[[topic]]\nid = "a"\nname = "B"\n')
    (tmp_path / "encyclopedia.toml").write_text('[[entry]]\nslug = "hysterosalpingogram"\ntitle = "HSG"\n'
                                                'topics = ["Diagnostics > Nowhere"]\n')
    found = problems(bib)
    assert found[0] == (0, "taxonomy", "", f"{tmp_path / 'taxonomy.toml'}:6: duplicate topic id 'a' (first at line 2)")
    assert len(found) == 1  # without a taxonomy, topics cannot be checked; links still are (and are fine)
    (tmp_path / "taxonomy.toml").unlink()  # now the bundled taxonomy applies
    assert problems(bib) == [(0, "entry-topic", "", f"{tmp_path / 'encyclopedia.toml'}:1: entry "
                              "'hysterosalpingogram' names topic 'Diagnostics > Nowhere', which is not in the taxonomy")]
    (tmp_path / "encyclopedia.toml").write_text('[[entry]]\nslug = "x"\ntitle = "X"\nrelated = ["y"]\n')
    assert problems(bib) == [  # links cannot be checked against a broken entries file
        (0, "entries", "", f"{tmp_path / 'encyclopedia.toml'}:4: entry 'x' names unknown related entry 'y'")]
    (tmp_path / "encyclopedia.toml").write_text('[[entry]]\nslug = "x"\ntitle = "X"\n')
    assert problems(bib) == [
        (3, "unknown-entry", "clean2020", "cited in unknown encyclopedia entry 'hysterosalpingogram'")]


def test_cli_check_exit_codes_and_output(capsys):
    assert main(["--bib", str(EVIDENCE / "clean.bib"), "check"]) == 0
    assert capsys.readouterr().out == "no problems found\n"
    assert main(["--bib", str(EVIDENCE / "problems.bib"), "check"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f"{EVIDENCE / 'problems.bib'}:3 [unknownlinks2020]: unknown-entry: "
                        "cited in unknown encyclopedia entry 'nope'")
    assert lines[-1] == "13 problem(s)"
    assert main(["--bib", str(EVIDENCE / "problems.bib"), "check", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert {p["kind"] for p in data} >= {"unknown-entry", "unknown-topic", "no-topic", "missing-identifier",
                                         "unverified", "retracted-cited", "invalid-value", "citation-number"}


def test_new_problem_after_an_edit_is_found(tmp_path, capsys):
    bib = tmp_path / "references.bib"
    shutil.copyfile(EVIDENCE / "clean.bib", bib)
    lib = Library.load(bib)
    record = lib.get("clean2020")
    record.retracted = True
    lib.update(record)
    lib.save()
    assert main(["--bib", str(bib), "check"]) == 1
    assert "retracted-cited: retracted but still cited in hysterosalpingogram" in capsys.readouterr().out


def test_relation_to_a_key_not_in_the_library_is_reported(tmp_path):
    from library.evidence.checks import relation_problems
    from library.model import Relation

    record = Record(key="a", relations=[Relation("erratum-of", "b"), Relation("erratum-of", "gone"),
                                        Relation("sibling-of", "b"), Relation("lonely")])
    assert relation_problems(record, {"a", "b"}) == [
        ("unknown-relation", "erratum-of 'gone': no record with that key in the library"),
        ("invalid-value", "relation kind 'sibling-of' is not one of: erratum-of, retraction-of, concern-about, "
                          "comment-on, reply-to, protocol-of, abstract-of, version-of"),
        ("unknown-relation", "relation 'lonely' names no record (write `KIND KEY`)")]
    bib = tmp_path / "references.bib"
    shutil.copyfile(EVIDENCE / "clean.bib", bib)
    lib = Library.load(bib)
    key = lib.keys()[0] if isinstance(lib.keys(), list) else next(iter(lib.keys()))
    record = lib.get(key)
    record.relations = [Relation("reply-to", "nosuchkey2020")]
    lib.update(record)
    lib.save()
    found = [p for p in problems(bib) if p[1] == "unknown-relation"]
    assert found == [(found[0][0], "unknown-relation", key, "reply-to 'nosuchkey2020': no record with that key in "
                                                            "the library")]


def test_a_superscript_digit_in_a_number_field_is_reported_not_a_crash(tmp_path, capsys):
    """'²' is a digit to str.isdigit but not to int(): pasted from an entry's text (a superscript citation
    number) it made every command on the library fail with "unexpected error", `check` among them."""
    bib = tmp_path / "references.bib"
    bib.write_text("@article{super2020,\n  title = {Oil-based contrast at hysterosalpingography},\n"
                   "  year = {2020},\n  doi = {10.1056/NEJMoa1612337},\n  relevance = {²},\n"
                   "  cited_in = {hysterosalpingogram#²},\n  unverified = {none}\n}\n", encoding="utf-8")
    before = bib.read_bytes()
    assert main(["--bib", str(bib), "check"]) == 1
    out = capsys.readouterr().out
    assert "[super2020]: invalid-value: relevance '²' is not a number from 1 to 5" in out
    assert "[super2020]: citation-number: cited in 'hysterosalpingogram' without a number" in out
    assert bib.read_bytes() == before
    record = Library.load(bib, use_cache=False).get("super2020")
    assert record.relevance is None and record.cited_in()[0].number is None


def test_citation_number_zero_is_reported_as_no_number(tmp_path, capsys):
    """Numbers start at 1 (`reflib link --number 0` is refused); a hand-written '#0' was read as number 0, which
    `check` did not report, `entry show` printed as '0.' and the next save wrote back without a number."""
    bib = tmp_path / "references.bib"
    bib.write_text("@article{zero2020,\n  title = {Oil-based contrast at hysterosalpingography},\n"
                   "  year = {2020},\n  doi = {10.1056/NEJMoa1612337},\n"
                   "  cited_in = {hysterosalpingogram#0},\n  unverified = {none}\n}\n", encoding="utf-8")
    assert main(["--bib", str(bib), "check"]) == 1
    assert ("[zero2020]: citation-number: cited in 'hysterosalpingogram' without a number"
            in capsys.readouterr().out)
    assert main(["--bib", str(bib), "entry", "show", "hysterosalpingogram", "--format", "json"]) == 0
    assert [c["number"] for c in json.loads(capsys.readouterr().out)["cited"]] == [None]


TWO_NUMBERS = """@article{{{key},
  author = {{Dreyer, Kim and van Rijswijk, Joukje}},
  title = {{{title}}},
  journal = {{N Engl J Med}},
  year = {{2017}},
  volume = {{376}},
  pages = {{2043--2052}},
  doi = {{10.1056/NEJMoa1612337}},
  topics = {{Diagnostics > Tubal patency > HSG}},
  cited_in = {{{cited}}},
  unverified = {{none}}
}}
"""


def test_a_study_cited_under_two_numbers_of_one_entry_is_reported(tmp_path, capsys):
    """One source, one number: `cited_in = {hsg#1; hsg#3}` (a merge of duplicates gives it) was not reported,
    though the entry's text then has two superscripts for one study."""
    bib = tmp_path / "references.bib"
    bib.write_text(TWO_NUMBERS.format(key="twice2017", title="Oil-based contrast",
                                      cited="hysterosalpingogram#1; hysterosalpingogram#3"), encoding="utf-8")
    assert problems(bib) == [
        (1, "citation-number", "twice2017", "cited in 'hysterosalpingogram' as #1 and #3: one source, one number "
         "(renumber the entry's text, then `reflib unlink twice2017 hysterosalpingogram --as cited` and link it "
         "again with `--number N`)")]
    assert main(["--bib", str(bib), "check"]) == 1
    assert "[twice2017]: citation-number: cited in 'hysterosalpingogram' as #1 and #3" in capsys.readouterr().out


def test_merging_copies_cited_under_different_numbers_keeps_both_and_check_reports_it(tmp_path, capsys):
    """A merge kept the keeper's number and left the copy's only in provenance: the entry lost its #3 (its text
    still has the superscript) and `check` found nothing. Now the keeper keeps both and `check` says so."""
    bib = tmp_path / "references.bib"
    bib.write_text(TWO_NUMBERS.format(key="dreyer2017a", title="Oil-based contrast in infertile women",
                                      cited="hysterosalpingogram#1") + "\n"
                   + TWO_NUMBERS.format(key="dreyer2017b", title="Oil-Based Contrast in Infertile Women",
                                        cited="hysterosalpingogram#3"), encoding="utf-8")
    assert main(["--bib", str(bib), "dedupe", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "merged dreyer2017b into dreyer2017a" in out
    assert "cited_in: hysterosalpingogram#3 (from dreyer2017b)" in out  # said at the merge
    record = Library.load(bib, use_cache=False).get("dreyer2017a")
    assert [(link.slug, link.number) for link in record.cited_in()] == [("hysterosalpingogram", 1),
                                                                         ("hysterosalpingogram", 3)]
    assert main(["--bib", str(bib), "check"]) == 1
    assert ("[dreyer2017a]: citation-number: cited in 'hysterosalpingogram' as #1 and #3"
            in capsys.readouterr().out)
