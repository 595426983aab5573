"""Classification: topic rules, design rules, evidence levels, and that editors' values are never touched."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from library import Library
from library.evidence.classify import classify, classify_record, match_topics, most_specific
from library.evidence.design import DESIGNS, detect_design
from library.evidence.evaluate import closure, score_designs, score_topics
from library.evidence.level import LEVEL_TABLE, QUESTIONS, derive_level, parse_level
from library.evidence.taxonomy import default_taxonomy_path, load_taxonomy, parse_taxonomy
from library.model import Record

from .conftest import FIXTURES, REFERENCES

LABELS = FIXTURES / "evidence" / "seed_labels.toml"


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(default_taxonomy_path())


@pytest.fixture(scope="module")
def seeds() -> dict[str, Record]:
    lib = Library.load(REFERENCES, use_cache=False)
    return {r.key: r for r in lib.records()}


@pytest.fixture(scope="module")
def labels() -> dict[str, dict]:
    return tomllib.loads(Path(LABELS).read_text(encoding="utf-8"))


# --- the hand-checked labels ------------------------------------------------------------------------------
def test_labels_cover_every_seed_with_valid_values(labels, seeds, taxonomy):
    assert set(labels) == set(seeds) and len(labels) == 36
    for key, label in labels.items():
        assert label["design"] in DESIGNS, key
        assert label["topics"] and all(t in taxonomy for t in label["topics"]), key
        assert label["why"].strip(), key


def test_rules_reach_the_stated_quality_on_the_seeds(labels, seeds, taxonomy):
    """A floor under the figures `make bench` prints, so a rule edit that breaks the seeds fails here."""
    topics = score_topics({k: match_topics(r, taxonomy) for k, r in seeds.items()},
                          {k: v["topics"] for k, v in labels.items()})
    designs = score_designs({k: detect_design(r).design for k, r in seeds.items()},
                            {k: v["design"] for k, v in labels.items()})
    assert topics.precision >= 0.9 and topics.recall >= 0.8, topics.misses
    assert designs.precision >= 0.9 and designs.recall >= 0.7, designs.misses


# --- manual values are never lost -------------------------------------------------------------------------
def test_classify_record_touches_only_automatic_fields(seeds, taxonomy):
    for record in seeds.values():
        edited = record.copy()
        edited.topics = ["Endometriosis"]
        edited.design = "case-report"
        edited.level = "OCEBM2011 therapy 4"
        result = classify_record(edited, taxonomy)
        assert (result.topics, result.design, result.level) == (["Endometriosis"], "case-report",
                                                                "OCEBM2011 therapy 4")
        for name in ("title", "links", "stance", "relevance", "synopsis", "notes", "unverified", "keywords"):
            assert getattr(result, name) == getattr(edited, name)
        assert classify_record(result, taxonomy) == result  # idempotent


def test_topic_rules_do_not_read_manual_topics(seeds, taxonomy):
    record = seeds["dreyer2017oil"].copy()
    before = match_topics(record, taxonomy)
    record.topics = ["PCOS"]
    record.design = "editorial"
    assert match_topics(record, taxonomy) == before
    assert detect_design(record).design == "rct"


def test_level_follows_the_editors_design_and_topics(seeds, taxonomy):
    record = seeds["karande1997radiation"].copy()
    assert classify(record, taxonomy).level == "OCEBM2011 harm 3"  # editor's design: cohort
    record.design = ""
    assert classify(record, taxonomy).level == ""  # no rule gives a design
    record.design = "rct"
    record.topics = ["Surgery > Tubal catheterization"]
    assert classify(record, taxonomy).level == "OCEBM2011 therapy 2"


# --- topic rules -------------------------------------------------------------------------------------------
def rec(**fields) -> Record:
    return Record(key="x", **fields)


def test_mesh_keyword_pattern_require_and_exclude(taxonomy):
    assert match_topics(rec(mesh=["Hysteroscopy/methods*"]), taxonomy) == ["Diagnostics > Hysteroscopy"]
    assert match_topics(rec(keywords=["HyFoSy"]), taxonomy) == []  # keyword fires, but "require" wants tubes
    assert match_topics(rec(title="HyFoSy for tubal patency"), taxonomy) == [
        "Diagnostics > Tubal patency > SIS vs HSG", "Diagnostics > Tubal patency > HyCoSy and HyFoSy"]
    assert match_topics(rec(title="Hysteroscopic tubal cannulation for proximal tubal obstruction"), taxonomy) == [
        "Infertility > Tubal factor > Proximal tubal obstruction", "Surgery > Tubal catheterization"]
    assert match_topics(rec(title="Water-based contrast media in CT angiography"), taxonomy) == []
    assert match_topics(rec(title="Water-based contrast at HSG"), taxonomy) == [
        "Diagnostics > Tubal patency > HSG > Contrast media"]


def test_abstract_and_case_insensitive(taxonomy):
    record = rec(title="A study", abstract="We measured the OVARIAN DOSE during hysterosalpingography.")
    assert match_topics(record, taxonomy) == ["Diagnostics > Tubal patency > HSG > Radiation exposure"]


def test_female_is_not_male_infertility(taxonomy):
    assert match_topics(rec(title="Tubal factor of female infertility"), taxonomy) == []
    assert match_topics(rec(title="Male infertility and varicocele"), taxonomy) == ["Andrology"]


def test_most_specific_drops_ancestors():
    assert most_specific(["A", "A > B", "C", "A > B > D", "a > b"]) == ["C", "A > B > D"]


def test_rules_from_an_editors_file():
    tax = parse_taxonomy(
        '[[topic]]\nid = "p"\nname = "P"\nmesh = ["Polycystic Ovary Syndrome"]\nkeywords = ["pco*"]\n'
        "patterns = ['\\bPCOS\\b']\nexclude = ['\\bmouse\\b']\n")
    assert match_topics(rec(mesh=["Polycystic Ovary Syndrome*"]), tax) == ["P"]
    assert match_topics(rec(keywords=["PCOS-lean"]), tax) == ["P"]
    assert match_topics(rec(title="pcos in women"), tax) == ["P"]
    assert match_topics(rec(title="PCOS in a mouse model"), tax) == []


# --- design rules ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("record,design", [
    (rec(pubtypes=["Journal Article", "Randomized Controlled Trial"], title="A systematic review"), "rct"),
    (rec(pubtypes=["Review"], title="Diagnostic accuracy of HSG: a review"), "narrative-review"),
    (rec(pubtypes=["Review"], title="Oil contrast: a meta-analysis"), "meta-analysis"),
    (rec(title="Oil contrast: a meta-analysis of randomized controlled trials"), "meta-analysis"),
    (rec(title="A randomized non-inferiority trial"), "rct"),
    (rec(title="A non-randomized controlled trial of flushing"), "non-randomized-trial"),
    (rec(title="Trial protocol for a randomized trial"), "protocol"),
    (rec(doi="10.1002/14651858.CD014968", journal="Cochrane Database Syst Rev"), "protocol"),
    (rec(doi="10.1002/14651858.CD003718.pub5", journal="Cochrane Database Syst Rev"), "systematic-review"),
    (rec(mesh=["Cohort Studies"]), "cohort"),
    (rec(mesh=["Retrospective Studies", "Sensitivity and Specificity"]), "diagnostic-accuracy"),
    (rec(mesh=["Randomized Controlled Trials as Topic"]), ""),
    (rec(abstract="DESIGN: Retrospective cohort study.\n\nSETTING: University clinic."), "cohort"),
    (rec(abstract="Previous meta-analyses disagree. We conducted a randomised controlled trial in 12 clinics."),
     "rct"),
    (rec(title="Hysterosalpingography: a case report"), "case-report"),
    (rec(pubtypes=["Letter", "Comment"]), "editorial"),
    (rec(title="Organ doses calculated with a voxel phantom"), "other"),
    (rec(title="Radiation dose in hysterosalpingography"), ""),
    # a protocol is the study's own: review protocols are protocols, not reviews with results
    (rec(title="Tubal flushing with oil-based contrast: a systematic review protocol."), "protocol"),
    (rec(title="Patient involvement in fertility research: a scoping review protocol"), "protocol"),
    (rec(title="Oil versus water contrast at HSG (H2Oil): design and rationale of a randomised trial"), "protocol"),
    (rec(title="Evidence based disease control in potato production: a systematic map protocol"), "protocol"),
    (rec(abstract="This is a protocol for a multicentre randomised trial of tubal flushing."), "protocol"),
    # ... and a treatment or laboratory protocol named in a design statement does not make one
    (rec(title="Sinusoidal obstruction syndrome after chemotherapy: a case report",
         abstract="We report a case of a nine-year-old boy treated according to the ALL IC-BFM 2009 treatment "
                  "protocol."), "case-report"),
    (rec(abstract="We performed a retrospective cohort analysis of women before and after an outpatient HSG "
                  "protocol was introduced."), "cohort"),
    (rec(abstract="We present a new protocol to transdifferentiate human monocytes into neuronal-like cells."), ""),
    # a correction or retraction notice is not the study its title names; a treatment called correction is a study
    (rec(title="Erratum: Author Correction: oil-based contrast at HSG: a randomized controlled trial"), "editorial"),
    (rec(title="Correction to: Tubal flushing: a systematic review and meta-analysis"), "editorial"),
    (rec(title="RETRACTED: Hysterosalpingography in 300 women: a prospective cohort study"), "editorial"),
    (rec(title="Retraction notice to \"Oil contrast and pregnancy: a cohort study\""), "editorial"),
    (rec(title="Erratum: contrast media", pubtypes=["Randomized Controlled Trial"]), "rct"),  # the notice's own type
    (rec(title="Correction of tubal occlusion by selective salpingography: a randomized trial"), "rct"),
    (rec(title="An overview of systematic reviews of tubal flushing"), "systematic-review"),
    # a scoping review maps the literature: its own design, not a systematic review
    (rec(title="Tubal patency testing in low-resource settings: a scoping review"), "scoping-review"),
    (rec(title="Hysterosalpingography training: a systematic scoping review."), "scoping-review"),
    (rec(abstract="We conducted a scoping review following the JBI guidance for systematic reviews."),
     "scoping-review"),
    (rec(title="Oil contrast: a scoping review", pubtypes=["Scoping Review"]), "scoping-review"),
    (rec(title="HSG pain relief: a scoping review protocol"), "protocol"),
    (rec(title="Flushing and fertility: an umbrella review"), "systematic-review"),
])
def test_design_rules(record, design):
    assert detect_design(record).design == design


def test_design_reason_is_given():
    assert detect_design(rec(pubtypes=["Meta-Analysis"])).reason == "publication type 'Meta-Analysis'"
    assert detect_design(rec(title="Radiation dose")).reason == ""


# --- levels -------------------------------------------------------------------------------------------------
def test_level_table_and_format():
    assert derive_level("rct", "therapy") == "OCEBM2011 therapy 2"
    assert derive_level("meta-analysis", "diagnosis") == "OCEBM2011 diagnosis 1"
    assert derive_level("diagnostic-accuracy", "diagnosis") == "OCEBM2011 diagnosis 2"
    assert derive_level("cohort", "prognosis") == "OCEBM2011 prognosis 3"
    assert derive_level("guideline", "therapy") == derive_level("protocol", "diagnosis") == ""
    assert derive_level("narrative-review", "prognosis") == ""  # OCEBM 2011 has no level 5 for prognosis
    # a scoping review neither appraises nor pools: no level for any question (a systematic review gets 1)
    assert all(derive_level("scoping-review", q) == "" for q in QUESTIONS)
    assert {q for _, q in LEVEL_TABLE} == set(QUESTIONS)
    assert {d for d, _ in LEVEL_TABLE} <= set(DESIGNS)


def test_parse_level():
    level = parse_level("OCEBM2011 harm 4")
    assert (level.question, level.level, level.label()) == ("harm", 4, "Level 4 (harm, OCEBM 2011)")
    for bad in ("2", "OCEBM2011 therapy 7", "OCEBM2011 treatment 2", ""):
        with pytest.raises(ValueError, match="must look like"):
            parse_level(bad)


# --- evaluation ---------------------------------------------------------------------------------------------
def test_scores_exact_and_hierarchical():
    predicted = {"a": ["X > Y"], "b": ["Z"]}
    expected = {"a": ["X > Y > W"], "b": ["Z"]}
    exact = score_topics(predicted, expected)
    assert (exact.true_positive, exact.predicted, exact.expected) == (1, 2, 2)
    assert exact.misses == ["a: +x > y; -x > y > w"]
    hier = score_topics(predicted, expected, hierarchical=True)
    assert (hier.true_positive, hier.predicted, hier.expected) == (3, 3, 4)
    assert hier.precision == 1.0 and hier.recall == 0.75
    assert closure(["A > B"]) == {"a", "a > b"}


def test_design_scores_abstentions_are_not_errors():
    score = score_designs({"a": "rct", "b": "", "c": "cohort"}, {"a": "rct", "b": "cohort", "c": "case-series"})
    assert (score.true_positive, score.predicted, score.expected) == (1, 2, 3)
    one = score_designs({"a": "rct", "b": "rct"}, {"a": "rct", "b": "cohort"}, "rct")
    assert (one.precision, one.recall) == (0.5, 1.0)
