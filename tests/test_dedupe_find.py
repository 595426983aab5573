"""find_duplicates / match_incoming: every copy found, the known traps never merged, bad input harmless."""

from __future__ import annotations

import numpy as np
import pytest

from library.dedupe import Decisions, find_duplicates, match_incoming
from library.dedupe.blocking import BLOCK_CAP, candidate_pairs
from library.dedupe.clusters import constrained_clusters
from library.dedupe.table import build_table
from library.model import Author, Record

DREYER = [Author("Dreyer", "Kim"), Author("van Rijswijk", "Joukje"), Author("Mijatovic", "Velja"),
          Author("Mol", "Ben W. J.")]


def paper(key: str, **changes: object) -> Record:
    record = Record(key=key, authors=list(DREYER), title="Oil-Based or Water-Based Contrast for Hysterosalpingography "
                    "in Infertile Women", journal="New England Journal of Medicine", year=2017, volume="376",
                    issue="21", pages="2043--2052", doi="10.1056/NEJMoa1612337", pmid="28520519")
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def decision_of(result, a: str, b: str) -> str:
    if any({a, b} <= set(c.keys) for c in result.clusters):
        return "auto"
    for name in ("review", "vetoed"):
        if any({p.a, p.b} == {a, b} for p in getattr(result, name)):
            return name
    return "none"


def test_empty_and_single_record_libraries():
    for records in ([], [paper("a")], [Record(key="x")]):
        result = find_duplicates(records)
        assert result.clusters == [] and result.review == [] and result.records == len(records)
    assert match_incoming([], [paper("a")]) == [] and match_incoming([paper("a")], []) == []


def test_same_doi_is_one_study_whatever_the_spelling():
    copy = paper("b", doi="https://doi.org/10.1056/nejmoa1612337", pmid="", title=paper("x").title.upper(),
                 journal="N Engl J Med", authors=[Author("Dreyer", "K.")])
    result = find_duplicates([paper("a"), copy])
    assert [c.keys for c in result.clusters] == [("a", "b")]
    assert result.clusters[0].pairs[0].tier == "identifier"
    assert "same DOI" in result.clusters[0].pairs[0].reasons


def test_same_pmid_without_doi():
    result = find_duplicates([paper("a", doi=""), paper("b", doi="", title="Oil-based or water-based contrast for "
                                                        "hysterosalpingography in infertile women.")])
    assert decision_of(result, "a", "b") == "auto"


def test_fuzzy_copy_without_identifiers_is_merged():
    """Abbreviated journal, initials, no DOI/PMID, title case, MEDLINE page format: still one study."""
    copy = paper("b", doi="", pmid="", journal="N Engl J Med", pages="2043-52", issue="",
                 authors=[Author("Dreyer", "K"), Author("van Rijswijk", "J"), Author("Mijatovic", "V")],
                 title="Oil-based or water-based contrast for hysterosalpingography in infertile women.")
    result = find_duplicates([paper("a", doi="", pmid=""), copy])
    assert decision_of(result, "a", "b") == "auto"
    assert result.clusters[0].pairs[0].tier == "fuzzy"


def test_different_dois_are_never_merged():
    result = find_duplicates([paper("a"), paper("b", doi="10.1056/NEJMoa9999999", pmid="")])
    assert decision_of(result, "a", "b") == "vetoed"
    assert "different DOIs" in result.vetoed[0].reasons


@pytest.mark.parametrize("title", [
    "Erratum: Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women",
    "Reply to: Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women",
    "Re: Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women",
    "Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women: study protocol for a "
    "randomised trial",
])
def test_notices_about_a_paper_are_vetoed(title):
    notice = paper("b", title=title, doi="", pmid="", volume="377", pages="2400")
    result = find_duplicates([paper("a", doi="", pmid=""), notice])
    assert decision_of(result, "a", "b") == "vetoed"


def test_part_1_and_part_2_are_different_papers():
    one = paper("a", doi="", pmid="", title="Tubal flushing for subfertility, part 1: the evidence", pages="100--108")
    two = paper("b", doi="", pmid="", title="Tubal flushing for subfertility, part 2: the evidence", pages="100--108")
    assert decision_of(find_duplicates([one, two]), "a", "b") == "vetoed"


def test_chapters_sharing_the_book_doi_are_vetoed():
    book = {"doi": "10.1007/978-3-030-12345-6", "pmid": "", "entry_type": "incollection", "journal": "",
            "booktitle": "Infertility in Practice", "volume": "", "issue": ""}
    one = paper("a", title="Hysterosalpingography: technique and pitfalls", pages="11--20", **book)
    two = paper("b", title="Saline infusion sonography in the infertility work-up", pages="21--35", **book)
    result = find_duplicates([one, two])
    assert decision_of(result, "a", "b") == "vetoed"
    assert any("container DOI" in r for r in result.vetoed[0].reasons)


def test_conference_abstract_and_full_paper_are_never_merged():
    """Another journal, volume and pages: a title+year+author match that every locator contradicts."""
    abstract = paper("b", doi="", pmid="", journal="Fertility and Sterility", year=2016, volume="106",
                     pages="e12", issue="3")
    result = find_duplicates([paper("a", doi="", pmid=""), abstract])
    assert decision_of(result, "a", "b") == "vetoed"
    assert any("different journal and volume" in r for r in result.vetoed[0].reasons)
    one_locator = paper("c", doi="", pmid="", volume="377")  # only the volume differs: a typo, or not
    result = find_duplicates([paper("a", doi="", pmid=""), one_locator])
    assert decision_of(result, "a", "c") == "review"
    assert any("different volumes" in r for r in result.review[0].reasons)
    # another journal name with the same volume and page range is a transliteration or database spelling
    # ("Chung-Hua Chung Liu Tsa Chih" / "Zhonghua zhong liu za zhi"), not another venue
    spelled = paper("d", doi="", pmid="", journal="NEJM Medical Journal")
    assert decision_of(find_duplicates([paper("a", doi="", pmid=""), spelled]), "a", "d") == "auto"


def test_same_title_by_other_people_elsewhere_is_no_match():
    other = paper("b", doi="", pmid="", authors=[Author("Chen", "W"), Author("Patel", "P")],
                  journal="Radiology", year=2019, volume="290", pages="1--9")
    assert decision_of(find_duplicates([paper("a", doi="", pmid=""), other]), "a", "b") in ("none", "vetoed")


def test_missing_fields_never_count_as_agreement():
    """Two records with no title (or no authors, or no year) are not matched on what they lack."""
    records = [Record(key="a", authors=[Author("Smith", "J")], year=2021),
               Record(key="b", authors=[Author("Smith", "J")], year=2021),
               Record(key="c", title="Hysterosalpingography"), Record(key="d", title="Hysterosalpingography"),
               Record(key="e"), Record(key="f"), paper("g", authors=[], doi="", pmid=""),
               paper("h", year=None, doi="", pmid="")]
    result = find_duplicates(records)
    assert result.clusters == []
    assert decision_of(result, "a", "b") == "none" and decision_of(result, "e", "f") == "none"
    assert decision_of(result, "c", "d") != "auto"  # a two-word generic title says too little


def test_a_veto_stops_transitive_merging():
    """a~b and b~c look like duplicates, but a and c were vetoed: they must not end in one cluster."""
    groups = constrained_clusters(3, [(0.9, 0, 1), (0.8, 1, 2)], [(0, 2)])
    assert groups == [[0, 1]]
    one = paper("a", pmid="")
    middle = paper("b", doi="", pmid="")
    other = paper("c", doi="10.1056/NEJMoa0000001", pmid="")
    result = find_duplicates([one, middle, other])
    assert not any({"a", "c"} <= set(c.keys) for c in result.clusters)


def test_rejected_pair_is_never_proposed_and_accepted_pair_is_merged():
    abstract = paper("b", doi="", pmid="", journal="Fertility and Sterility", year=2016, volume="106", pages="e12")
    decisions = Decisions()
    decisions.reject("a", "b")
    result = find_duplicates([paper("a", doi="", pmid=""), abstract], decisions)
    assert result.review == [] and result.clusters == []
    decisions.accept("a", "b")
    result = find_duplicates([paper("a", doi="", pmid=""), abstract], decisions)
    assert [c.keys for c in result.clusters] == [("a", "b")]
    assert result.clusters[0].pairs[0].tier == "editor"


def test_match_incoming_prefers_auto_and_names_existing_key():
    existing = [paper("dreyer2017"), paper("other", title="Tubal flushing with oil", doi="10.1/other", pmid="")]
    incoming = [paper("", doi="", pmid="", journal="N Engl J Med"),
                Record(key="new", title="Something else entirely about laparoscopy", year=2001)]
    matches = match_incoming(incoming, existing)
    assert [(m.index, m.key, m.decision) for m in matches] == [(0, "dreyer2017", "auto")]
    assert matches[0].evidence.b == "incoming[0]"


def test_blocking_is_bounded_on_a_pathological_block():
    """1,000 records sharing first author and year must not produce ~500k candidate pairs."""
    records = [Record(key=f"r{i}", authors=[Author("Smith", "J")], year=2020,
                      title=f"Study number {i} of tubal patency in women", pages=str(i)) for i in range(1000)]
    pairs = candidate_pairs(build_table(records))
    assert len(pairs) <= 1000 * BLOCK_CAP
    assert np.all(pairs[:, 0] < pairs[:, 1])


def test_the_importer_merges_a_fuzzy_copy_with_the_same_rules(tmp_path):
    """The importer decides with the dedupe rules: a fuzzy copy (a typo, no identifiers) merges into the record."""
    from ingest.importer import import_records
    from library import Library

    lib = Library.create(tmp_path / "lib.bib")
    lib.add(paper("dreyer2017", doi="", pmid=""))
    copy = paper("src1", doi="", pmid="", journal="N Engl J Med", pages="2043-52",
                 authors=[Author("Dreyer", "K"), Author("van Rijswijk", "J")],
                 title="OIL-BASED OR WATER-BASED CONTRAST FOR HYSTEROSALPINGOGRAFY IN INFERTILE WOMEN.")  # typo
    unrelated = Record(key="src2", title="Laparoscopic chromopertubation in 200 women", year=2012,
                       authors=[Author("Chen", "W")])
    report = import_records(lib, [copy, unrelated])
    assert [(m.key, m.matched_on) for m in report.merged] == [("dreyer2017", "title+year+author")]
    assert len(report.added) == 1 and len(lib) == 2


def test_the_library_frame_gives_the_same_result_as_records(tmp_path):
    """`reflib dedupe` matches on the cached pandas view (no Record objects); it must agree with Records."""
    import shutil

    from library import Library

    from .conftest import FIXTURES

    path = tmp_path / "lib.bib"
    shutil.copyfile(FIXTURES / "dedupe" / "library.bib", path)
    lib = Library.load(path)
    from_frame, from_records = find_duplicates(lib.frame()), find_duplicates(list(lib.records()))
    assert from_frame.to_json() == from_records.to_json()
    assert len(from_frame.clusters) == 2 and len(from_frame.review) == 1


def test_companion_papers_differing_by_one_word_are_not_merged():
    """Same authors, journal and year, a title differing only by 'oil' / 'water': two papers, not a typo."""
    oil = paper("a", doi="", pmid="", pages="", title="Oil-based contrast for hysterosalpingography: a "
                "cost-effectiveness analysis of the H2Oil trial")
    water = paper("b", doi="", pmid="", title="Water-based contrast for hysterosalpingography: a "
                  "cost-effectiveness analysis of the H2Oil trial")
    result = find_duplicates([oil, water])
    assert decision_of(result, "a", "b") == "review"
    assert any("titles differ in wording (oil / water)" in r for r in result.review[0].reasons)
    typo = paper("c", doi="", pmid="", title="Oil-based contrast for hysterosalpingografy: a cost-effectivness "
                 "analysis of the H2Oil trial")
    assert decision_of(find_duplicates([oil, typo]), "a", "c") == "auto"


@pytest.mark.parametrize(("title_a", "title_b"), [
    ("Tubal patency after hysterosalpingography in infertile women", "Tubal patency after hysterosalpingography "
     "in infertile men"),
    ("Radiotherapy for non-small cell lung cancer in the elderly", "Radiotherapy for small cell lung cancer in "
     "the elderly"),
    ("Hysterosalpingography with anaesthesia: a randomised trial", "Hysterosalpingography without anaesthesia: "
     "a randomised trial"),
    ("Part-of-speech tagging from untagged text", "Part-of-speech tagging from tagged text"),
    ("Preoperative anxiety in children undergoing tonsillectomy", "Postoperative anxiety in children undergoing "
     "tonsillectomy"),
])
def test_a_small_edit_that_changes_the_study_is_not_a_typo(title_a, title_b):
    """A word swapped for its opposite or negation is another study: never merged, not even proposed."""
    a = paper("a", doi="", pmid="", pages="", title=title_a)
    b = paper("b", doi="", pmid="", pages="", title=title_b)
    result = find_duplicates([a, b])
    assert decision_of(result, "a", "b") == "vetoed"
    assert any(r.startswith("title words that change the meaning") for r in result.vetoed[0].reasons)


def test_single_page_in_another_issue_at_the_papers_first_page_goes_to_review():
    """An erratum notice that a database lists under the paper's title and first page, in the erratum's issue
    (PNAS 104(25) for a paper in 104(1):240-245): not merged without an editor; nor is the same page range in
    another issue (a mistyped issue, or a column that recurs in every issue: an editor tells)."""
    notice = paper("b", doi="", pmid="", issue="25", pages="2043")
    result = find_duplicates([paper("a", doi="", pmid=""), notice])
    assert decision_of(result, "a", "b") == "review"
    assert any("different issues" in p.reasons for p in result.review)
    typo = paper("c", doi="", pmid="", issue="12")
    assert decision_of(find_duplicates([paper("a", doi="", pmid=""), typo]), "a", "c") == "review"
