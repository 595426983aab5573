"""The dashboard's evidence judgments through AppTest: reasons on the study page, the level / question-type form,
and suggested topics an editor accepts or rejects (each change checked in the file on disk)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from library import Library
from library.evidence.classify import classify_record
from library.evidence.taxonomy import default_taxonomy_path, load_taxonomy

from .test_dashboard import bib, editor
from .test_dashboard import no_exception as _ok
from .test_dashboard import run_dashboard as dashboard_app

FORM = "FormSubmitter:edit-beverley2019salineair-form-Save changes"
__all__ = ["bib", "editor"]  # the dashboard tests' fixtures: a temp copy of the library, editor mode on or off


def _app(**query: str) -> AppTest:
    return _ok(dashboard_app(**query))


def _texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def _with_abstract(path: Path, key: str, abstract: str) -> None:
    """Give a study an abstract and classify it as an import would."""
    lib = Library.load(path)
    record = lib.get(key)
    record.abstract = abstract
    lib.update(classify_record(record, load_taxonomy(default_taxonomy_path())))
    lib.save()


def test_reader_sees_why_each_automatic_value_is_what_it_is(bib: Path) -> None:
    at = _app(study="dreyer2017oil")
    text = _texts(at)
    assert "Why these automatic values" in [e.label for e in at.expander]
    assert "Contrast media" in text and "title \\'oil\\-based\\'" in text
    assert "publication type \\'Randomized Controlled Trial\\'" in text
    assert "OCEBM 2011 level 2" in text
    assert not any(b.label == "Accept" for b in at.button)  # suggestions are for editors only


def test_choosing_a_question_type_for_a_case_series_derives_level_4(editor: Path) -> None:
    """The reported bug: the level field showed 1 by default and choosing "diagnosis" saved Level 1."""
    at = _app(study="beverley2019salineair")
    at.selectbox(key="edit-beverley2019salineair-question").set_value("diagnosis")
    at.button(key=FORM).click().run()
    assert not at.exception and not at.error
    assert Library.load(editor).get("beverley2019salineair").level == "OCEBM2011 diagnosis 4"
    at.selectbox(key="edit-beverley2019salineair-question").set_value("therapy")  # the question changes again
    at.button(key=FORM).click().run()
    assert Library.load(editor).get("beverley2019salineair").level == "OCEBM2011 therapy 4"  # recomputed


def test_a_level_above_the_design_needs_a_reason(editor: Path) -> None:
    at = _app(study="beverley2019salineair")
    before = editor.read_text()
    at.selectbox(key="edit-beverley2019salineair-question").set_value("diagnosis")
    at.selectbox(key="edit-beverley2019salineair-level").set_value(1)
    at.button(key=FORM).click().run()
    assert "above what a case\\-series study allows" in at.error[0].value
    assert editor.read_text() == before  # refused: nothing written
    at.text_input(key="edit-beverley2019salineair-level-reason").set_value("all consecutive women, blinded readers")
    at.button(key=FORM).click().run()
    record = Library.load(editor).get("beverley2019salineair")
    assert (record.level, record.level_reason) == ("OCEBM2011 diagnosis 1", "all consecutive women, blinded readers")


def test_editor_accepts_and_rejects_suggested_topics(editor: Path) -> None:
    _with_abstract(editor, "fang2018oil", "We pooled trials of women with infertility. One trial excluded women "
                   "with osteoporosis. Another reported dysmenorrhea at baseline.")
    record = Library.load(editor).get("fang2018oil")
    assert record.topics_suggested == ["Menstrual Cycle", "Bone Health"]  # one passing mention each
    at = _app(study="fang2018oil")
    assert "Suggested topics" in _texts(at) and "abstract \\'osteopor\\'" in _texts(at)
    at.button(key="suggest-fang2018oil-accept-1").click().run()  # Bone Health
    record = Library.load(editor).get("fang2018oil")
    assert "Bone Health" in record.topics and record.topics_suggested == ["Menstrual Cycle"]
    at.button(key="suggest-fang2018oil-reject-0").click().run()  # Menstrual Cycle
    record = Library.load(editor).get("fang2018oil")
    assert record.topics_rejected == ["Menstrual Cycle"] and record.topics_suggested == []
    reclassified = classify_record(record, load_taxonomy(default_taxonomy_path()))
    assert reclassified.topics_suggested == [] and "Menstrual Cycle" not in reclassified.topics_auto
    assert "Bone Health" in reclassified.topics  # accepted: manual, never touched by classify


def test_a_level_chosen_without_a_question_type_is_refused_not_dropped(editor: Path) -> None:
    """The level number alone, the question type left 'automatic': the form said "Saved" and stored no level,
    and went on showing the chosen number."""
    at = _app(study="beverley2019salineair")
    before = editor.read_text()
    at.selectbox(key="edit-beverley2019salineair-level").set_value(4)
    at.text_input(key="edit-beverley2019salineair-tldr").set_value("Office saline-air test.")
    at.button(key=FORM).click().run()
    assert not at.exception and not at.success
    assert "question type" in at.error[0].value
    assert editor.read_text() == before  # refused: nothing written


def test_changing_the_design_under_an_automatic_level_says_the_level_no_longer_fits(editor: Path) -> None:
    """`reflib set design` warns when the stored level is above what the new design allows; the form saved
    silently and the page went on showing "Level 1" on a case series."""
    at = _app(study="fang2018oil")
    at.selectbox(key="edit-fang2018oil-design").set_value("case-series")
    at.button(key="FormSubmitter:edit-fang2018oil-form-Save changes").click().run()
    assert not at.exception and not at.error
    assert Library.load(editor).get("fang2018oil").design == "case-series"  # saved
    assert "above what a case\\-series study allows" in at.warning[0].value
