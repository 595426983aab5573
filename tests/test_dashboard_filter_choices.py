"""The library page's design, evidence level and stance filters through AppTest: the values studies have, each with
its count; a chosen value no study has (any more) is kept with count 0; the stored value is the value, not the
label."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from library import Library
from library.evidence.level import QUESTIONS, SCHEME
from library.views import DESIGN_ORDER, STANCES, design_short, level_label

from .test_dashboard import _count, no_exception, run_dashboard


@pytest.fixture
def bib(references_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REFLIB_BIB", str(references_copy))
    monkeypatch.delenv("REFLIB_EDITOR", raising=False)
    return references_copy


def _set(path: Path, keys: list[str], **fields: str) -> None:
    lib = Library.load(path)
    for key in keys:
        record = lib.get(key)
        for name, value in fields.items():
            setattr(record, name, value)
        lib.update(record)
    lib.save()


def _param(at: AppTest, name: str) -> list[str]:
    value = at.query_params.get(name, [])
    return [value] if isinstance(value, str) else list(value)


def _present(path: Path, column: str) -> dict[str, int]:
    """How many studies have each non-empty value of ``column``, counted with pandas."""
    counts = Library.load(path).frame()[column].value_counts()
    return {str(value): int(n) for value, n in counts.items() if value}


def test_choices_are_the_values_studies_have_each_with_its_count(bib: Path) -> None:
    keys = Library.load(bib).keys()
    _set(bib, keys[:2], stance="critical")
    _set(bib, keys[2:3], stance="supportive")
    designs, levels = _present(bib, "design"), _present(bib, "level")
    at = no_exception(run_dashboard())
    design = at.sidebar.multiselect(key="f_design")
    assert design.options == [f"{design_short(d)} ({designs[d]})" for d in DESIGN_ORDER if d in designs]
    assert len(design.options) < len(DESIGN_ORDER)  # designs no study has are not offered
    level = at.sidebar.multiselect(key="f_level")
    assert level.options == [f"{level_label(v)} ({n})" for v, n in sorted(levels.items(),
                                                                        key=lambda item: (level_label(item[0]), item[0]))]
    assert at.sidebar.multiselect(key="f_stance").options == ["Supportive (1)", "Critical (2)"]

    for value, n in designs.items():  # a count is what choosing the value lists; the address keeps the value
        at.sidebar.multiselect(key="f_design").set_value([value]).run()
        no_exception(at)
        assert _count(at) == n
        assert at.query_params["design"] == value
    at.sidebar.multiselect(key="f_design").set_value([]).run()
    for value, n in levels.items():
        at.sidebar.multiselect(key="f_level").set_value([value]).run()
        assert _count(no_exception(at)) == n
    shared = no_exception(run_dashboard(design=list(designs)[0], stance="critical"))
    assert shared.sidebar.multiselect(key="f_design").value == [list(designs)[0]]
    assert shared.sidebar.multiselect(key="f_stance").value == ["critical"]


def test_a_shared_link_keeps_values_no_study_has_with_count_zero(bib: Path) -> None:
    designs, levels = _present(bib, "design"), _present(bib, "level")
    design = next(d for d in DESIGN_ORDER if d not in designs)
    level = next(f"{SCHEME} {q} {n}" for q in QUESTIONS for n in range(1, 6) if f"{SCHEME} {q} {n}" not in levels)
    stance = next(s for s in STANCES if s not in _present(bib, "stance"))
    at = no_exception(run_dashboard(design=design, level=[level, "not a level"], stance=stance))
    assert at.sidebar.multiselect(key="f_design").value == [design]
    assert f"{design_short(design)} (0)" in at.sidebar.multiselect(key="f_design").options
    assert at.sidebar.multiselect(key="f_level").value == [level]  # a well-formed level is kept, not the other
    assert f"{level_label(level)} (0)" in at.sidebar.multiselect(key="f_level").options
    assert at.sidebar.multiselect(key="f_stance").options == [f"{stance.capitalize()} (0)"]
    assert _count(at) == 0 and "No study matches" in at.info[0].value
    assert _param(at, "design") == [design] and _param(at, "level") == [level]
    assert any("Ignored level" in t.value for t in at.toast)
    at.run()
    assert at.sidebar.multiselect(key="f_design").value == [design]  # still there on the next run
    at.button(key="clear_empty").click().run()
    no_exception(at)
    assert f"{design_short(design)} (0)" not in at.sidebar.multiselect(key="f_design").options
    assert "f_stance" not in [box.key for box in at.sidebar.multiselect]  # no study has a stance: no empty box


def test_a_chosen_value_keeps_its_filter_when_no_study_has_it_any_more(bib: Path) -> None:
    """Another editor's save changes a chosen value's count: the browser keeps the labels and sends them back, so
    it must be sent the new labels of the chosen values, or the choice would be lost."""
    designs = _present(bib, "design")
    gone, kept = "other", "rct"
    assert designs[gone] and designs[kept]
    at = no_exception(run_dashboard())
    at.sidebar.multiselect(key="f_design").set_value([gone, kept]).run()
    assert f"{design_short(gone)} ({designs[gone]})" in at.sidebar.multiselect(key="f_design").options
    frame = Library.load(bib).frame()
    _set(bib, [str(k) for k in frame.loc[frame["design"] == gone, "key"]], design="cohort")
    at.run()
    no_exception(at)
    widget = at.sidebar.multiselect(key="f_design")
    assert widget.value == [gone, kept]
    assert f"{design_short(gone)} (0)" in widget.options
    assert f"Cohort ({designs['cohort'] + designs[gone]})" in widget.options
    assert widget.proto.set_value and list(widget.proto.raw_values) == [f"{design_short(gone)} (0)",
                                                                        f"RCT ({designs[kept]})"]
    assert _param(at, "design") == [gone, kept]
    assert _count(at) == designs[kept]
    at.run()
    assert at.sidebar.multiselect(key="f_design").value == [gone, kept]
