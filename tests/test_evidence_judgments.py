"""Issue 15: topics that state their concept, species, preclinical designs, facts vs suggestions, reasons kept with
every automatic value, levels capped by the design, and the editor's accept / reject of suggestions."""

from __future__ import annotations

import json
import shutil

import pytest

from library import Library
from library.cli import main
from library.evidence.checks import evidence_problems, record_problems
from library.evidence.classify import classify, classify_record, explain, match_topics
from library.evidence.design import detect_design
from library.evidence.editor import (
    InvalidValueError,
    accept_topic,
    level_from_form,
    reject_topic,
    set_field,
)
from library.evidence.evaluate import pubtype_designs
from library.evidence.level import level_problem
from library.evidence.reasons import parse_reasons, reason_item
from library.evidence.species import detect_species
from library.evidence.taxonomy import TaxonomyError, default_taxonomy_path, load_taxonomy, parse_taxonomy
from library.model import Record

from .conftest import REFERENCES

TUBAL = "Diagnostics > Tubal patency"


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(default_taxonomy_path())


def rec(**fields) -> Record:
    return Record(key="x", **fields)


# --- the concept of a topic: anchors, inherited exclusions, species -------------------------------------------
@pytest.mark.parametrize("record", [
    rec(title="Laparoscopic liver resection for huge hepatocellular carcinoma",
        abstract="Laparoscopic liver resection was compared with open surgery. Diagnosis was confirmed at laparoscopy."),
    rec(title="Lipiodol as an imaging biomarker for liver tumor response to transarterial chemoembolization",
        abstract="Lipiodol deposition after conventional TACE; contrast media and intravasation were recorded."),
    rec(title="Radiobiological impact of gadolinium neutron capture from proton therapy",
        abstract="Radiation dose and effective dose were modelled for HSG cell-line survival data."),
    rec(title="Electrofulguration vs tubal occlusion using silastic rings",
        mesh=["Sterilization, Tubal/*adverse effects", "Fallopian Tubes/*surgery", "Humans"]),
    rec(title="Mechanical thrombectomy in large vessel occlusion stroke",
        abstract="Recanalization was achieved in 80%. Proximal occlusion of the middle cerebral artery."),
    rec(title="Enzootic abortion among ewes", abstract="Chlamydia antibodies were found in 40% of the sheep.",
        mesh=["Animals", "Sheep", "Abortion, Veterinary/*epidemiology", "Chlamydiaceae Infections"]),
    rec(title="Radiation exposure of interventional cardiologists", abstract="Effective dose and fluoroscopy time."),
])
def test_the_issues_false_positives_have_no_tubal_topic(record, taxonomy):
    result = classify(record, taxonomy)
    tubal = [t for t in result.topics + result.suggested
             if t.startswith((TUBAL, "Infertility > Tubal factor", "Surgery > Tubal catheterization"))]
    assert tubal == [], explain(record, taxonomy)


def test_sterilization_is_contraception_not_tubal_patency(taxonomy):
    record = rec(title="Tubal occlusion with silastic rings for female sterilization")
    assert match_topics(record, taxonomy) == ["Contraception"]
    lines = explain(record, taxonomy)
    assert any(line.startswith(f"not {TUBAL}: found title 'tubal occlusion'") and "excluded by 'sterilization'" in line
               for line in lines), lines


def test_a_child_needs_its_parents_concept(taxonomy):
    assert match_topics(rec(title="Diagnostic laparoscopy with chromopertubation in infertile women"), taxonomy) == [
        f"{TUBAL} > Laparoscopy with chromopertubation"]
    assert match_topics(rec(title="Ovarian dose during hysterosalpingography"), taxonomy) == [
        f"{TUBAL} > HSG > Radiation exposure"]
    assert match_topics(rec(title="Ovarian dose during pelvic CT"), taxonomy) == []


def test_exclude_is_inherited_unless_is_not():
    tax = parse_taxonomy("""
[[topic]]
id = "a"
name = "A"
anchors = ['alpha']
exclude = ['omega']
patterns = ['alpha']
[[topic]]
id = "b"
name = "B"
parent = "a"
patterns = ['beta']
unless = ['gamma']
[[topic]]
id = "c"
name = "C"
parent = "b"
patterns = ['delta']
""")
    assert match_topics(rec(title="beta"), tax) == []  # no anchor of A
    assert match_topics(rec(title="alpha beta"), tax) == ["A > B"]
    assert match_topics(rec(title="alpha beta omega"), tax) == []  # A's exclusion holds for its subtopics
    assert match_topics(rec(title="alpha beta gamma"), tax) == ["A"]  # B's `unless` drops B only ...
    assert match_topics(rec(title="alpha beta gamma delta"), tax) == ["A > B > C"]  # ... not its children


def test_species_human_topics_skip_animal_and_in_vitro_studies():
    text = '[[topic]]\nid = "p"\nname = "P"\npatterns = ["polycystic ovar"]\n'
    human, anything = parse_taxonomy(text), parse_taxonomy(text + 'species = "any"\n')
    mice = rec(title="Polycystic ovary syndrome in mice", mesh=["Animals", "Mice", "Polycystic Ovary Syndrome*"])
    assert match_topics(mice, human) == [] and match_topics(mice, anything) == ["P"]
    with pytest.raises(TaxonomyError, match="species of 'p' must be one of human, any"):
        parse_taxonomy(text + 'species = "mice"\n')


def test_taxonomy_keys_are_validated_with_hints_and_synonyms_reach_the_tree(taxonomy):
    with pytest.raises(TaxonomyError, match="unknown key 'anchor' \\(did you mean 'anchors'\\?\\)"):
        parse_taxonomy('[[topic]]\nid = "p"\nname = "P"\nanchor = ["x"]\n')
    hsg = next(n for n in taxonomy.tree() if n["name"] == "Diagnostics")["children"][0]["children"][0]
    assert hsg["name"] == "HSG" and "hysterosalpingography" in hsg["synonyms"]


# --- species and the preclinical design ---------------------------------------------------------------------
@pytest.mark.parametrize("record,kind", [
    (rec(mesh=["Animals", "Rats", "Female"]), "animal"),
    (rec(mesh=["Humans", "Adult", "Female"]), "human"),
    (rec(mesh=["Humans", "Cells, Cultured", "Female"]), "in-vitro"),
    (rec(mesh=["Animals", "Humans", "Rabbits"], title="Assay of contraceptive steroids in rabbits"), "animal"),
    (rec(title="Spermatogenesis in the mouse testis", abstract="Male mice were treated."), "animal"),
    (rec(title="A trial", abstract="Rats and mice are models, but 200 women were randomized; patients gave consent. "
         "Women with PCOS were enrolled."), ""),
    (rec(title="Outcome of in vitro fertilization in women over 40", abstract="Cycles of 300 patients."), ""),
    (rec(title="Knockdown of X in cultured granulosa cells", abstract="Cells were transfected with siRNA; western blot "
         "and RT-qPCR showed ..."), "in-vitro"),
    (rec(title="Uterine infection after calving", journal="Theriogenology"), "animal"),
    # "in vivo" measured in a trial in people is not laboratory work (a Cohen 2006 record, found by a QA run)
    (rec(title="The effect of cetirizine on histamine release in human skin in vivo assessed by microdialysis",
         abstract="We conducted a placebo-controlled double-blind trial in ten normal volunteers."), "human"),
    (rec(title="A double-blind, randomized, placebo-controlled study of pimobendan in dogs with cardiomyopathy",
         abstract="Dogs were randomized; dogs given pimobendan lived longer."), "animal"),
])
def test_species(record, kind):
    assert detect_species(record).kind == kind


def test_animal_studies_are_preclinical_never_rct_and_get_no_level(taxonomy):
    record = rec(title="A randomized controlled trial of metformin in rats with polycystic ovaries",
                 pubtypes=["Randomized Controlled Trial"], mesh=["Animals", "Rats", "Polycystic Ovary Syndrome*"])
    design = detect_design(record)
    assert design.design == "preclinical"
    assert "MeSH 'Animals' without 'Humans'" in design.reason and "the design rules alone said rct" in design.reason
    record.topics = ["PCOS"]  # even with a topic an editor gave it, an animal study gets no OCEBM level
    record.design = "rct"
    result = classify(record, taxonomy)
    assert result.level == "" and "not human clinical evidence" in result.level_reason
    review = rec(title="Animal models of endometriosis: a review", pubtypes=["Review"], mesh=["Animals", "Mice"])
    assert detect_design(review).design == "narrative-review"


def test_design_agreement_with_publication_types():
    assert pubtype_designs(["Journal Article", "Review"]) >= {"narrative-review", "systematic-review"}
    assert pubtype_designs(["Letter", "Case Reports"]) == {"editorial", "case-report", "case-series"}
    assert pubtype_designs(["Journal Article", "Comparative Study"]) == frozenset()


# --- facts and suggestions ----------------------------------------------------------------------------------
def test_where_the_evidence_is_decides_fact_or_suggestion(taxonomy):
    passing = rec(title="Rheumatoid arthritis outcomes", abstract="Women with osteoporosis were excluded.")
    result = classify(passing, taxonomy)
    assert result.topics == [] and result.suggested == ["Bone Health"]
    assert "weak evidence: a suggestion" in result.topic_reasons["Bone Health"]
    assert match_topics(rec(title="Osteoporosis after menopause"), taxonomy) == [
        "Perimenopause/Menopause", "Bone Health"]
    assert match_topics(rec(mesh=["Osteoporosis*", "Humans"]), taxonomy) == ["Bone Health"]  # major MeSH
    minor = rec(title="Asthma drug complications", mesh=["Osteoporosis", "Humans", "Asthma*"])
    assert classify(minor, taxonomy).suggested == ["Bone Health"]  # a minor heading alone
    twice = rec(title="Rheumatoid arthritis", abstract="Osteoporosis was common. Osteoporosis predicted falls.")
    assert match_topics(twice, taxonomy) == ["Bone Health"]
    indexed = rec(title="Rheumatoid arthritis", abstract=twice.abstract, mesh=["Arthritis, Rheumatoid*", "Humans"])
    assert classify(indexed, taxonomy).suggested == ["Bone Health"]  # NLM indexed it without a bone heading


def test_rejected_topics_and_their_subtopics_never_come_back(taxonomy):
    record = rec(title="Oil-based contrast at hysterosalpingography: pain and pregnancy rates")
    first = classify_record(record, taxonomy)
    assert f"{TUBAL} > HSG > Contrast media" in first.topics_auto
    rejected = reject_topic(first, taxonomy, "HSG")
    assert rejected.topics_rejected == [f"{TUBAL} > HSG"]
    assert not [t for t in rejected.topics_auto if t.startswith(f"{TUBAL} > HSG")]
    again = classify_record(rejected, taxonomy)
    assert not [t for t in again.topics_auto + again.topics_suggested if t.startswith(f"{TUBAL} > HSG")]
    assert any(line.startswith(f"not {TUBAL} > HSG > Contrast media: rejected by an editor")
               for line in explain(again, taxonomy))
    accepted = accept_topic(again, taxonomy, "Contrast media")  # accepting overrides an earlier "no"
    assert f"{TUBAL} > HSG > Contrast media" in accepted.topics and accepted.topics_rejected == []
    with pytest.raises(InvalidValueError, match="is a manual topic"):
        reject_topic(accepted, taxonomy, "Contrast media")


# --- reasons ------------------------------------------------------------------------------------------------
def test_reasons_are_stored_and_read_back(taxonomy):
    record = classify_record(rec(title="Ovarian dose during hysterosalpingography; a cross-sectional study",
                                 pubtypes=["Journal Article"]), taxonomy)
    reasons = parse_reasons(record.reasons_auto, record.topics_auto)
    assert reasons.topics == {f"{TUBAL} > HSG > Radiation exposure": "title 'ovarian dose'"}
    assert reasons.design.startswith("cross-sectional: title says")
    assert reasons.level.startswith("OCEBM2011 harm 4: cross-sectional answering a harm question")
    assert all(";" not in item for item in record.reasons_auto)
    tricky = parse_reasons([reason_item("topic", "A: B > C", "title 'x; y'")], ["A: B > C"])
    assert tricky.topics == {"A: B > C": "title 'x, y'"}


def test_bad_input_is_classified_from_what_it_has(taxonomy):
    records = [
        rec(title="HYSTEROSALPINGOGRAPHY WITH OIL-BASED CONTRAST IN INFERTILE WOMEN"),
        rec(title="[Tubal patency testing with hysterosalpingo-foam sonography in subfertile women]", language="nl"),
        rec(title="", abstract=""),
        rec(title="Radiation dose at hysterosalpingography", abstract="word " * 10_000 + "hysterosalpingography"),
    ]
    results = [classify_record(r, taxonomy) for r in records]
    assert results[0].topics_auto == [f"{TUBAL} > HSG > Contrast media"]
    assert f"{TUBAL} > HyCoSy and HyFoSy" in results[1].topics_auto
    assert results[2].topics_auto == [] and results[2].design_auto == ""
    assert results[3].topics_auto == [f"{TUBAL} > HSG > Radiation exposure"]  # from the title


# --- levels -------------------------------------------------------------------------------------------------
def test_levels_never_exceed_the_design_without_a_reason():
    assert level_problem("case-series", "OCEBM2011 diagnosis 4") == ""
    assert "above what a case-series study allows for a diagnosis question (level 4)" in level_problem(
        "case-series", "OCEBM2011 diagnosis 1")
    assert level_problem("case-series", "OCEBM2011 diagnosis 1", "consecutive, blinded") == ""
    assert level_problem("rct", "OCEBM2011 therapy 3") == ""  # graded down: no reason needed
    assert "no OCEBM level" in level_problem("preclinical", "OCEBM2011 therapy 5")
    record = Record(key="k", design="case-series")
    with pytest.raises(InvalidValueError, match="above what a case-series study allows"):
        set_field(record, "level", "diagnosis 1")
    reasoned = set_field(set_field(record, "level_reason", "dramatic effect"), "level", "diagnosis 1")
    assert reasoned.level == "OCEBM2011 diagnosis 1"


def test_the_form_recomputes_the_level_when_the_question_changes():
    # the reported bug: a case series, question type chosen, the level field still at the 1 it showed
    assert level_from_form("case-series", "diagnosis", None, "") == "OCEBM2011 diagnosis 4"
    assert level_from_form("case-series", "diagnosis", 1, "") == "OCEBM2011 diagnosis 1"  # typed: validated later
    assert level_from_form("rct", "prognosis", 2, "OCEBM2011 therapy 2") == "OCEBM2011 prognosis 3"  # untouched
    assert level_from_form("rct", "therapy", 3, "OCEBM2011 therapy 2") == "OCEBM2011 therapy 3"  # graded down
    assert level_from_form("guideline", "therapy", None, "") == ""  # OCEBM gives a guideline no level
    assert level_from_form("rct", "", 1, "OCEBM2011 therapy 1") == ""  # automatic


def test_check_reports_inconsistent_levels(tmp_path, taxonomy):
    path = tmp_path / "references.bib"
    shutil.copyfile(REFERENCES, path)
    lib = Library.load(path)
    record = lib.get("beverley2019salineair")  # a case series
    record.level = "OCEBM2011 diagnosis 1"
    lib.update(record)
    lib.save()
    lib = Library.load(path)
    found = [p for p in evidence_problems(lib) if p["kind"] == "inconsistent-level"]
    assert [(p["key"], p["message"][:40]) for p in found] == [
        ("beverley2019salineair", "Level 1 (diagnosis, OCEBM 2011) is above")]
    record = lib.get("beverley2019salineair")
    record.level_reason = "blinded, consecutive"
    assert not [k for k, _ in record_problems(record, taxonomy, None) if k == "inconsistent-level"]


# --- command line -------------------------------------------------------------------------------------------
def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def bib(tmp_path, monkeypatch):
    monkeypatch.delenv("REFLIB_TAXONOMY", raising=False)
    path = tmp_path / "references.bib"
    shutil.copyfile(REFERENCES, path)
    return path


def test_classify_explain_suggestions_accept_reject(bib, capsys):
    code, out, _ = run(capsys, "--bib", bib, "classify", "--explain", "dreyer2017oil")
    assert code == 0 and out.startswith("dreyer2017oil:\n  species: not stated (treated as human)\n")
    assert "  topic Diagnostics > Tubal patency > HSG > Contrast media: title 'oil-based', title 'water-based'\n" in out
    assert "  design rct: publication type 'Randomized Controlled Trial'\n" in out
    lib = Library.load(bib)
    record = lib.get("fang2018oil")
    record.abstract = "Trials in infertile women. One trial excluded women with osteoporosis."
    lib.update(record)
    lib.save()
    assert run(capsys, "--bib", bib, "classify")[0] == 0
    code, out, err = run(capsys, "--bib", bib, "suggestions")
    assert out == "fang2018oil: Bone Health  (abstract 'osteopor' (weak evidence: a suggestion))\n"
    assert "1 suggestion(s)" in err
    assert run(capsys, "--bib", bib, "reject", "fang2018oil", "bone-health")[0] == 0
    assert run(capsys, "--bib", bib, "classify")[0] == 0
    stored = Library.load(bib).get("fang2018oil")
    assert stored.topics_rejected == ["Bone Health"] and stored.topics_suggested == []
    code, out, _ = run(capsys, "--bib", bib, "search", "--query", "oil", "--json", "--limit", "1")
    first = json.loads(out)[0]
    assert first["reasons"]["topics"] and first["reasons"]["design"]
    code, _, err = run(capsys, "--bib", bib, "accept", "fang2018oil", "No such topic")
    assert code == 1 and "unknown topic" in err


@pytest.mark.parametrize(("title", "editorial"), [
    ("EGFR mutations in lung cancer: correlation with clinical response to gefitinib therapy", False),
    ("T Cell Response to Infliximab in Exposed Patients: A Longitudinal Analysis.", False),
    ("Intestinal Epithelial Regeneration in Response to Ionizing Irradiation.", False),
    ("Response to: Oil-based contrast and pregnancy", True),
    ("Re: Reply to the letter by Dreyer et al.", True),
    ("Tubal flushing and live birth: reply to Smith", True),
    ("Comment on the article by Dreyer et al. on oil-based contrast", True),
    ("A response to the comments on our trial of lipiodol", True),
    ("Letter to the editor regarding hysterosalpingography pain", True),
    ("Making better choices - a response to Walsham", True),  # round 2: an article after the separator
    ("Authors' Reply to Allport and Kerler (2003)", True),
    ("In response to Kaihsu Tai", True),
])
def test_response_to_in_a_title_is_an_editorial_only_where_it_names_the_piece(title: str, editorial: bool) -> None:
    """benchmarks/data/design-editorial-round.md: 43 per 10,000 PubMed records were called editorials because
    "response to" occurred anywhere in their title."""
    guess = detect_design(Record(key="x", title=title))
    assert (guess.design == "editorial") is editorial, guess
