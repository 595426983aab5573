"""Related records (errata, replies, comments, protocols, meeting abstracts) are found and never merged; the
detection fixes found on the labelled sets (page variants, supplements, swapped names ...) merge real copies
without merging the traps next to them."""

from __future__ import annotations

import pytest

from library.dedupe import Decisions, Related, find_duplicates, match_incoming
from library.dedupe.comparison_keys import first_page, issue_key, page_set, strip_notes, volume_number
from library.dedupe.notices import looks_like_abstract, notice_pointers, notice_subject
from library.model import Author, Record

from .test_dedupe_find import decision_of, paper

AHUS = "Anti-factor H autoantibodies in a fifth renal transplant recipient with atypical hemolytic uremic syndrome"
PEOPLE = [Author("Le Quintrec", "M"), Author("Zuber", "J"), Author("Noel", "L H"), Author("Thervet", "E")]


def article(key: str, **fields: object) -> Record:
    values: dict[str, object] = {"title": AHUS, "authors": list(PEOPLE), "journal": "American Journal of "
                                 "Transplantation", "year": 2009, "volume": "9", "issue": "5", "pages": "1223--1229"}
    values.update(fields)
    return Record(key=key, **values)  # type: ignore[arg-type]


def links(result) -> set[tuple[str, str, str]]:
    return {(r.a, r.kind, r.b) for r in result.related}


def assert_no_link_is_merged(result) -> None:
    merged = result.auto_pairs()
    for link in result.related:
        assert tuple(sorted((link.a, link.b))) not in merged, link
        assert not any({link.a, link.b} <= set(c.keys) for c in result.clusters), link


# --- normalization ----------------------------------------------------------------------------------------------
def test_nested_erratum_note_is_stripped():
    title = ("Eculizumab for atypical hemolytic-uremic syndrome.[Erratum appears in N Engl J Med. 2009 Jun 4;"
             "360(23):2487 Note: Philipp, Thomas [added]]")
    assert strip_notes(title) == "Eculizumab for atypical hemolytic-uremic syndrome"
    assert strip_notes(AHUS + ".[Erratum appears in Am J Transplant. 2009 Sep;9(9):2205 Note: Niauif, P [added]]"
                       ".[Erratum") == AHUS


def test_supplement_issue_without_number_is_no_issue_and_text_is_no_volume():
    assert issue_key("SUPPL") == "" and issue_key("Suppl") == "" and issue_key("Suppl 2") == "2"
    assert volume_number("(Jul)") == "" and volume_number("Ph.D.") == "" and volume_number("030") == "30"


def test_several_page_ranges_and_quoted_pages():
    assert first_page('"233--238, 230--235') == "233"
    assert page_set('"233--238, 230--235, 246--251"') == {"233", "230", "246"}
    assert page_set("233--238+230--235") == {"233", "230"} and page_set("233--238") == frozenset()


@pytest.mark.parametrize(("raw", "kind", "subject"), [
    ("Erratum: Gain-of-function mutations in complement factor B are associated with atypical hemolytic uremic "
     "syndrome (Proceeding of the National Academy of Science of the United States of America (Januar",
     "erratum", "gain of function mutations in complement factor b are associated with atypical hemolytic uremic "
     "syndrome"),
    ("Atypical hemolytic uremic syndrome associated with group A beta hemolytic streptococcus - Reply", "reply",
     "atypical hemolytic uremic syndrome associated with group a beta hemolytic streptococcus"),
    ("Erratum to - How do requirements evolve over time?", "erratum", "how do requirements evolve over time"),
    ("Tubal flushing with oil: study protocol for a randomised trial", "protocol",
     "tubal flushing with oil a randomised trial"),
    ("Reply", "reply", "reply"),  # nothing left: the title itself
])
def test_notice_subject_is_what_the_notice_is_about(raw, kind, subject):
    from library.dedupe.comparison_keys import fold
    assert notice_subject(raw, fold(strip_notes(raw)), kind) == subject


def test_pointers_in_title_notes():
    title = "Eculizumab for aHUS.[Erratum appears in N Engl J Med. 2009 Jun 4;360(23):2487 Note: x [added]]"
    assert notice_pointers(title) == (("erratum", "n engl med", 2009, "360", "2487"),)
    assert notice_pointers("Long-term effect [Erratum in: Am J Hematol. 2010 Nov;85(11):911]") == (
        ("erratum", "am hematol", 2010, "85", "911"),)
    assert notice_pointers("A paper [Review] [33 refs]") == () and notice_pointers("No notes") == ()


@pytest.mark.parametrize(("args", "expected"), [
    (("Pediatric Nephrology.Conference: 44th Annual Meeting", "", "", "9", "9", ""), True),
    (("Pediatric Nephrology.Conference: 44th Annual Meeting", "26", "9", "1746-1760", "1746", "1760"), False),
    (("Nephrology Dialysis Transplantation", "31", "Suppl. 1", "i428", "428", ""), True),
    (("International Journal of Gynecological Cancer", "21", "", "S500", "500", ""), True),
    (("Laboratory Investigation", "92", "", "100A-101A", "100", "101"), True),
    (("Fertility and Sterility", "110", "", "e12", "12", ""), True),
    (("PLoS ONE", "7", "", "e43268", "43268", ""), False),
    (("Dissertation Abstracts International", "73", "3-B", "1524", "1524", ""), False),
    (("Americas Conference on Information Systems", "", "", "", "", "", "inproceedings"), False),
    (("Leukemia", "10", "Suppl 2", "S33-38", "33", "38"), False),
])
def test_what_looks_like_a_meeting_abstract(args, expected):
    assert looks_like_abstract(*args) is expected


# --- detection fixes: real copies merge ---------------------------------------------------------------------------
def test_a_single_page_that_is_the_other_copys_last_page_merges():
    result = find_duplicates([article("a", issue="", pages="356--359"), article("b", issue="", pages="359")])
    assert decision_of(result, "a", "b") == "auto"
    assert any("only the last page" in r for r in result.clusters[0].pairs[0].reasons)


def test_an_article_number_against_a_printed_page_merges():
    bmj = {"journal": "BMJ", "volume": "340", "issue": ""}
    result = find_duplicates([article("a", pages="1014", **bmj), article("b", pages="c1804", **bmj)])
    assert decision_of(result, "a", "b") == "auto"


def test_bare_supplement_issue_and_translated_title_merge():
    one = article("a", title="Indications and contraindications for living kidney donations", authors=[
        Author("Andres", "A")], journal="Nefrologia", year=2010, volume="30", issue="SUPPL", pages="30-38")
    two = article("b", title="[Indications and contraindications of living-donor kidney transplantation]. [Spanish]",
                  authors=[Author("Andres", "A")], journal="Nefrologia", year=2010, volume="30", issue="Suppl 2",
                  pages="30-38")
    assert decision_of(find_duplicates([one, two]), "a", "b") == "auto"


def test_names_written_given_name_first_merge_but_other_letters_on_that_page_do_not():
    swapped = article("b", authors=[Author("Luis Ferreira", "Santos A"), Author("Francoise", "Zuber J"),
                                     Author("Otavio", "Noel L H"), Author("Roberto", "Thervet E")])
    real = article("a", authors=[Author("Santos", "A L"), Author("Zuber", "J"), Author("Noel", "L H"),
                                 Author("Thervet", "E")])
    result = find_duplicates([real, swapped])
    assert decision_of(result, "a", "b") == "auto"
    assert any("given-name first" in r for r in result.clusters[0].pairs[0].reasons)
    # two letters under one heading on one page, by other people: never merged
    letter = article("c", authors=[Author("Edey", "Matthew"), Author("Strain", "Lisa"), Author("Ward", "Roy")])
    assert decision_of(find_duplicates([real, letter]), "a", "c") != "auto"


def test_several_page_ranges_in_another_order_merge():
    one = article("a", issue="", pages="233--238, 230--235, 246--251")
    two = article("b", issue="", pages="230--235, 246--251, 233--238")
    assert decision_of(find_duplicates([one, two]), "a", "b") == "auto"


def test_jr_suffix_and_dropped_subtitle():
    one = article("a", title="Optimal therapy of malignant pleural effusions", authors=[Author("Lynch", "T")])
    two = article("b", title="Optimal therapy of malignant pleural effusions: report of a randomized trial of "
                  "bleomycin, tetracycline, and talc", authors=[Author("Lynch Jr", "T J")])
    assert decision_of(find_duplicates([one, two]), "a", "b") == "auto"


def test_a_meeting_supplement_listed_twice_without_authors_or_pages_merges():
    one = Record(key="a", title="Abstracts of the Diabetes UK Professional Conference 2017", year=2017,
                 journal="Diabetic Medicine", volume="34", issue="Supplement 1", authors=[Author("Anonymous")])
    two = Record(key="b", title="Abstracts of the Diabetes UK Professional Conference 2017", year=2017,
                 journal="Diabetic Medicine. Conference: Diabetes UK Professional Conference 2017", volume="34",
                 issue="Supplement 1")
    assert decision_of(find_duplicates([one, two]), "a", "b") == "auto"


def test_protocol_in_one_sources_title_of_the_same_article_merges():
    one = article("a", title="Neoadjuvant chemotherapy in locally advanced stage IIIA and IIIB of non-small-cell "
                  "lung cancer (the Essen concept)", authors=[Author("Eberhardt", "W")])
    two = article("b", title="Neoadjuvant chemotherapy in locally advanced stage IIIA and IIIB of non-small-cell "
                  "lung cancer (treatment protocol of Essen University Hospital)", authors=[Author("Eberhardt", "W")])
    result = find_duplicates([one, two])
    assert decision_of(result, "a", "b") == "auto" and not result.related


# --- related links: found, never merged ----------------------------------------------------------------------------
def test_an_erratum_named_in_the_papers_note_is_related_not_reviewed():
    """MEDLINE's note names the erratum's place; the erratum itself carries the paper's title."""
    paper_ = article("paper", title=AHUS + ". [Erratum appears in Am J Transplant. 2009 Sep;9(9):2205]")
    copy = article("copy", authors=[Author("Quintrec", "M"), *PEOPLE[1:]])
    erratum = article("erratum", issue="9", pages="2205--2205")
    result = find_duplicates([paper_, copy, erratum])
    assert decision_of(result, "paper", "copy") == "auto"
    assert decision_of(result, "paper", "erratum") == "vetoed"
    assert ("erratum", "erratum-of", "paper") in links(result) or ("erratum", "erratum-of", "copy") in links(result)
    assert len(result.related) == 1  # one link per pair of clusters
    assert not any({"erratum"} & {p.a, p.b} for p in result.review)
    assert_no_link_is_merged(result)


def test_an_erratum_in_another_journal_at_that_place_is_not_linked():
    paper_ = article("paper", title=AHUS + ". [Erratum appears in Am J Transplant. 2009 Sep;9(9):2205]")
    other = Record(key="other", title="Something unrelated about kidneys", journal="Kidney International",
                   year=2009, volume="9", pages="2205--2210", authors=[Author("Smith", "J")])
    result = find_duplicates([paper_, other])
    assert not result.related and decision_of(result, "paper", "other") == "none"


@pytest.mark.parametrize(("title", "kind"), [
    ("Erratum: " + AHUS + " (American Journal of Transplantation (2009", "erratum-of"),
    (AHUS + " (vol 9, pg 1223, 2009)", "erratum-of"),
    (AHUS + " - Reply", "reply-to"),
    ("Re: " + AHUS, "comment-on"),
    ("Retraction notice: " + AHUS, "retraction-of"),
])
def test_notices_are_related_to_the_paper(title, kind):
    notice = article("notice", title=title, issue="11", pages="2647", authors=[Author("Someone", "A")])
    result = find_duplicates([article("paper"), notice])
    assert decision_of(result, "paper", "notice") == "vetoed"
    assert links(result) == {("notice", kind, "paper")}
    assert result.related[0].reasons and result.related[0].to_json()["kind"] == kind
    assert_no_link_is_merged(result)


def test_a_notice_in_another_journal_years_later_is_not_claimed():
    notice = article("notice", title="Erratum: " + AHUS, journal="Kidney International", year=2014, volume="85",
                     pages="12")
    assert not find_duplicates([article("paper"), notice]).related


def test_protocol_of_the_trial_is_related():
    protocol = paper("p", doi="", pmid="", year=2014, journal="BMC Womens Health", volume="14", pages="54",
                     title="Oil-Based or Water-Based Contrast for Hysterosalpingography in Infertile Women: study "
                     "protocol for a randomised trial")
    results = paper("r", doi="", pmid="", title="Oil-Based or Water-Based Contrast for Hysterosalpingography in "
                    "Infertile Women: a randomised trial")
    result = find_duplicates([protocol, results])
    assert decision_of(result, "p", "r") == "vetoed"
    assert links(result) == {("p", "protocol-of", "r")}


def test_conference_abstract_is_related_and_never_merged():
    abstract = paper("b", doi="", pmid="", journal="Fertility and Sterility", year=2016, volume="106",
                     pages="e12", issue="3")
    result = find_duplicates([paper("a", doi="", pmid=""), abstract])
    assert decision_of(result, "a", "b") == "vetoed"
    assert links(result) == {("b", "abstract-of", "a")}
    assert_no_link_is_merged(result)


def test_single_pages_before_and_after_the_paper_in_the_same_volume():
    paper_ = article("paper", issue="12", pages="1223--1229")
    before = article("before", issue="9", pages="875")
    after = article("after", issue="11", pages="2647--2647")
    result = find_duplicates([paper_, before, after])
    assert ("before", "abstract-of", "paper") in links(result)
    assert ("after", "erratum-of", "paper") in links(result)
    assert any("probably" in r.reasons[0] for r in result.related if r.a == "after")
    assert result.clusters == []  # both stay for an editor: the kinds are a reading of the pages, not a certainty
    assert_no_link_is_merged(result)


def test_article_numbers_say_nothing_about_the_place_in_the_volume():
    paper_ = article("paper", journal="BMJ", volume="337", issue="", pages="969--972")
    numbered = article("numbered", journal="BMJ", volume="337", issue="", pages="a1754")
    result = find_duplicates([paper_, numbered])
    assert not result.related


def test_an_editor_accepting_a_related_pair_merges_it_and_drops_the_link():
    notice = article("notice", title="Erratum: " + AHUS, issue="11", pages="2647")
    decisions = Decisions()
    decisions.accept("paper", "notice")
    result = find_duplicates([article("paper"), notice], decisions)
    assert decision_of(result, "paper", "notice") == "auto" and not result.related


def test_related_links_never_merge_anything_in_a_mixed_library():
    records = [article("paper"), article("copy", journal="Am J Transplant", pages="1223-9"),
               article("erratum", title="Erratum: " + AHUS, issue="11", pages="2647"),
               article("reply", title=AHUS + " - Reply", issue="7", pages="1500", authors=[Author("Other", "B")]),
               article("abstract", journal="Transplantation. Conference: World Transplant Congress", volume="86",
                       issue="2S", pages="312", year=2008),
               article("protocol", title=AHUS + ": study protocol for a cohort study", year=2006, volume="6",
                       pages="100--104")]
    result = find_duplicates(records)
    assert [c.keys for c in result.clusters] == [("paper", "copy")] or [sorted(c.keys) for c in result.clusters] \
        == [["copy", "paper"]]
    kinds = {r.kind for r in result.related}
    assert {"erratum-of", "reply-to", "abstract-of"} <= kinds
    assert all(isinstance(r, Related) for r in result.related)
    assert_no_link_is_merged(result)


def test_an_incoming_erratum_at_the_noted_place_is_not_matched_to_the_paper():
    paper_ = article("paper", title=AHUS + ". [Erratum appears in Am J Transplant. 2009 Sep;9(9):2205]")
    incoming = article("", issue="9", pages="2205")
    assert match_incoming([incoming], [paper_]) == []
