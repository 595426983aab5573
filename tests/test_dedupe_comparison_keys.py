"""Normalization for matching: every variant a source introduces folds to the same key, traps stay apart."""

from __future__ import annotations

import pytest

from library.dedupe.comparison_keys import (
    doi_key,
    first_page,
    fold,
    journal_main,
    journal_tokens,
    last_page,
    notice_kind,
    title_key,
    title_numbers,
)
from library.dedupe.scoring import journal_relation, surname_overlap
from library.dedupe.table import build_table, fold_many
from library.model import Author, Record


@pytest.mark.parametrize(("a", "b"), [
    ("Oil-Based or Water-Based Contrast for Hysterosalpingography",
     "OIL-BASED OR WATER-BASED CONTRAST FOR HYSTEROSALPINGOGRAPHY."),
    ("Efficacy of batroxobin. [Chinese]", "Efficacy of batroxobin"),
    ("[A study on mycobacterium vaccine in tuberculous pleurisy]", "A study on mycobacterium vaccine in tuberculous "
     "pleurisy"),
    ("Management of histologic abnormalities of the cervix. [Review] [43 refs]",
     "Management of histologic abnormalities of the cervix"),
    ("HPV testing after CIN 3: a meta-analysis (Provisional abstract)", "HPV testing after CIN 3: a meta-analysis"),
    ("Eculizumab for atypical HUS.[Erratum appears in N Engl J Med. 2009 Jun 4;360(23):2487 Note: Saez",
     "Eculizumab for atypical HUS"),
    ("TNF-α blockade in Crohn’s disease", "TNF-alpha blockade in Crohn's disease"),
    ("Étude de la perméabilité tubaire", "Etude de la permeabilite tubaire"),
    ("<i>Chlamydia</i> antibody testing", "Chlamydia antibody testing"),
])
def test_title_variants_fold_to_one_key(a, b):
    assert title_key(a) == title_key(b)


def test_fold_keeps_other_scripts():
    """A Cyrillic title must not fold to '' (it would then equal every other empty title)."""
    assert fold("ЗАЙНЯТІСТЬ І МОТИВАЦІЯ") != ""
    assert fold("ЗАЙНЯТІСТЬ") != fold("МОТИВАЦІЯ")


def test_fold_many_matches_fold():
    values = ["Héllo Wörld – test", "Ünïcode & ASCII", "", "ЗАЙНЯТІСТЬ І", "Gynecol. Obstet. (Paris)",
              "Obstetrics & Gynecology", "A&B"]
    assert fold_many(values) == [fold(v) for v in values]
    assert fold_many(values * 300) == [fold(v) for v in values] * 300  # a long list goes through Arrow's kernels


@pytest.mark.parametrize(("title", "kind"), [
    ("Erratum: Oil-based contrast for HSG", "erratum"),
    ("Correction to: Tubal flushing for subfertility", "erratum"),
    ("Eculizumab for Atypical Hemolytic-Uremic Syndrome (vol 360, pg 542, 2009)", "erratum"),
    ("Reply to: Oil-based contrast for HSG", "reply"),
    ("Atypical hemolytic uremic syndrome - Reply", "reply"),
    ("Re: Oil-based contrast for HSG", "comment"),
    ("Comment on: Oil-based contrast for HSG", "comment"),
    ("Notice of retraction: Oil-based contrast for HSG", "retraction"),
    ("H2Oil: study protocol for a randomised controlled trial", "protocol"),
    ("Oil-based contrast for HSG.[Erratum appears in N Engl J Med 2017]", ""),  # MEDLINE note on the paper itself
    ("Correction: Tubal flushing for subfertility", "erratum"),
    ("Retraction: Oil-based contrast for HSG", "retraction"),
    ("Response to treatment with clomiphene in PCOS", ""),  # ordinary titles that start like notices
    ("Correction of proximal tubal occlusion by catheterization", ""),
    ("Re-operation rates after tubal surgery", ""),
    ("Retraction pocket of the tympanic membrane", ""),
    ("Oil-based contrast for HSG", ""),
])
def test_notice_kinds(title, kind):
    assert notice_kind(title, title_key(title)) == kind


def test_publication_type_marks_an_erratum():
    assert notice_kind("Oil-based contrast", title_key("Oil-based contrast"), ["Published Erratum"]) == "erratum"


def test_title_numbers_tell_series_apart():
    assert title_numbers(title_key("Tubal flushing, part 1")) != title_numbers(title_key("Tubal flushing, part 2"))
    assert title_numbers(title_key("Tubal flushing, Part II")) == title_numbers(title_key("Tubal flushing, part 2"))
    assert "part:2" in title_numbers(title_key("Tubal flushing, part II"))
    assert title_numbers(title_key("Women with vitamin D deficiency: I think")) == frozenset()
    assert title_numbers(title_key("A 12-month follow-up")) == frozenset({"12"})


@pytest.mark.parametrize(("a", "b", "relation"), [
    ("New England Journal of Medicine", "N Engl J Med", "compatible"),
    ("Proceedings of the National Academy of Sciences of the United States of America", "Proc Natl Acad Sci U S A",
     "compatible"),
    ("Surgical Endoscopy", "Surg Endosc", "compatible"),
    ("Seminars in Thrombosis and Hemostasis", "Seminars in Thrombosis & Hemostasis", "same"),
    ("Americas Conference on Information Systems", "Amcis 2017 Proceedings", "compatible"),
    ("Cancer", "Cancer Research", "different"),
    ("Lancet", "Lancet Oncology", "different"),
    ("Fertility and Sterility", "Human Reproduction", "different"),
    ("", "Human Reproduction", "missing"),
])
def test_journal_relation(a, b, relation):
    assert journal_relation(journal_tokens(a), journal_tokens(b)) == relation


def test_journal_main_title_drops_conference_and_parallel_titles():
    assert journal_main("Diabetes. Conference: 70th Scientific Sessions of the ADA") == "diabetes"
    assert journal_main("International journal of cancer.Journal international du cancer") == "international cancer"
    assert journal_main("Ai zheng = Aizheng = Chinese journal of cancer") == "ai zheng"


@pytest.mark.parametrize(("pages", "first", "last"), [
    ("561--567", "561", "567"), ("561-7", "561", "7"), ("S12--S15", "12", "15"), ("e0193972", "193972", ""),
    ("c37--c42", "37", "42"), ("Suppl--29", "", "29"), ("", "", ""),
])
def test_pages(pages, first, last):
    assert (first_page(pages), last_page(pages)) == (first, last)


@pytest.mark.parametrize("raw", ["10.1056/NEJMoa1612337", "https://doi.org/10.1056/nejmoa1612337",
                                 "Doi 10.1056/NEJMoa1612337", "doi:10.1056/NEJMOA1612337."])
def test_doi_key_variants(raw):
    assert doi_key(raw) == "10.1056/nejmoa1612337"


def test_doi_key_percent_encoded():
    assert doi_key("10.1016/S0025-7753%2817%2930624-3") == doi_key("10.1016/s0025-7753(17)30624-3")


def test_surname_overlap_allows_spelling_variants():
    assert surname_overlap(["vanrijswijk", "dreyer"], ["rijswijk", "dreyer", "mol"]) == 1.0
    assert surname_overlap(["smith"], ["jones"]) == 0.0
    assert surname_overlap([], ["jones"]) == -1.0


def test_table_handles_missing_fields_and_collective_authors():
    table = build_table([
        Record(key="a"),
        Record(key="b", title="Tubal flushing", authors=[Author(literal="Anonymous"), Author("Mol", "B")],
               year=2020, pages="100--108", doi="10.1/x", pmid="PMID: 123", pmcid="bad"),
    ])
    assert list(table.title) == ["", "tubal flushing"]
    assert list(table.first_author) == ["", "mol"]  # "Anonymous" is no author
    assert list(table.year) == [-1, 2020]
    assert list(table.pmid) == ["", "123"] and list(table.pmcid) == ["", ""]
