"""The choices of the library's design, evidence level and stance filters: the values its studies have, each
labelled with how many studies choosing it lists ("RCT (12)"), plus the values chosen now even when no study has
them (a shared link or an earlier choice never loses its filter; the count then says 0).

Only the label carries the count: the value kept in the session and in the address is the value itself
(``rct``). Streamlit's multiselect, though, keeps the *labels* in the browser and sends them back on every rerun;
when a count changes under a chosen value (another editor saved the file), the value is set again through the
session state, so that the browser gets the new label instead of sending back one that no choice has any more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st

from library.evidence.level import parse_level
from library.frame import filter_counts
from library.views import DESIGN_ORDER, STANCES, design_short, facet_values, level_label, parse_params

__all__ = ["COUNTED", "counted_choices", "label"]

COUNTED = ("design", "level", "stance")
_SHOWN = "_filter_labels"  # {filter: {value: label}} as the browser last got them
_DESIGN_RANK = {design: n for n, design in enumerate(DESIGN_ORDER)}
_ORDER: dict[str, Callable[[str], tuple[object, str]]] = {
    "design": lambda v: (_DESIGN_RANK.get(v, len(_DESIGN_RANK)), v),  # the vocabulary's order, then the others
    "level": lambda v: (level_label(v), v),
    "stance": lambda v: (STANCES.index(v) if v in STANCES else len(STANCES), v),
}
_NAMES: dict[str, Callable[[str], str]] = {"design": design_short, "level": level_label, "stance": str.capitalize}


@st.cache_resource(max_entries=8, show_spinner=False)
def _present(_frame: pd.DataFrame, token: str) -> dict[str, dict[str, int]]:
    """The values some study has, each with the number of studies the filter finds with it (its own matching
    rule), in display order; once per frame version."""
    candidates = {"design": facet_values(_frame, "design", DESIGN_ORDER), "level": facet_values(_frame, "level"),
                  "stance": list(STANCES)}  # a stance outside the vocabulary could not be kept in a link
    out = {}
    for name, values in candidates.items():
        found = {value: n for value, n in filter_counts(_frame, name, values).items() if n}
        out[name] = {value: found[value] for value in sorted(found, key=_ORDER[name])}
    return out


def _known(name: str, value: str) -> bool:
    """A value of the filter's vocabulary: a link may hold it even when no study has it now."""
    if name == "design":
        return value in DESIGN_ORDER
    if name == "stance":
        return value in STANCES
    try:
        parse_level(value)
    except ValueError:
        return False
    return True


def _chosen(url: Mapping[str, list[str]], keys: Mapping[str, str], present: dict[str, dict[str, int]],
            seeded: bool) -> dict[str, list[str]]:
    """The values chosen now: in this session's filters, else (first render, or back from a study) in the
    address. Only values a choice can have: a study's, the vocabulary's, or a choice shown on the last run."""
    if seeded:
        shown = st.session_state.get(_SHOWN, {})
        chosen = {name: list(st.session_state.get(keys[name]) or ()) for name in COUNTED}
        return {name: [v for v in values if v in present[name] or v in shown.get(name, {}) or _known(name, v)]
                for name, values in chosen.items()}
    query = parse_params(url).query
    linked = {"design": query.designs, "level": query.levels, "stance": query.stances}
    return {name: [v for v in values if v in present[name] or _known(name, v)] for name, values in linked.items()}


def _with_chosen(frame: pd.DataFrame, present: dict[str, dict[str, int]], chosen: Mapping[str, list[str]]
                ) -> dict[str, dict[str, int]]:
    """The choices: the values studies have plus the chosen ones they do not (counted: 0, or what the filter's
    matching rule finds), in display order."""
    out = {}
    for name, found in present.items():
        extra = [value for value in dict.fromkeys(chosen.get(name, ())) if value not in found]
        if not extra:
            out[name] = found
            continue
        merged = found | filter_counts(frame, name, extra)
        out[name] = {value: merged[value] for value in sorted(merged, key=_ORDER[name])}
    return out


def label(name: str, value: str, counts: Mapping[str, int]) -> str:
    """'RCT (12)': the filter's name for the value and the number of studies choosing it lists."""
    return f"{_NAMES[name](value)} ({counts.get(value, 0):,})"


def _keep_labels_in_step(keys: Mapping[str, str], chosen: Mapping[str, list[str]],
                         choices: dict[str, dict[str, int]], seeded: bool) -> None:
    shown = st.session_state.get(_SHOWN, {})
    for name in COUNTED:
        before = shown.get(name, {})
        if seeded and keys[name] in st.session_state and any(
                value in before and before[value] != label(name, value, choices[name]) for value in chosen[name]):
            st.session_state[keys[name]] = list(chosen[name])  # the browser gets the new labels
    st.session_state[_SHOWN] = {name: {value: label(name, value, counts) for value in counts}
                                for name, counts in choices.items()}


def counted_choices(frame: pd.DataFrame, token: str, url: Mapping[str, list[str]], keys: Mapping[str, str]
                    ) -> dict[str, dict[str, int]]:
    """{filter: {value: count}} in display order, for the design, level and stance filters of this run (before
    their widgets are drawn: it may set their values again, see the module's docstring)."""
    present = _present(frame, token)
    seeded = any(key in st.session_state for key in keys.values())
    chosen = _chosen(url, keys, present, seeded)
    choices = _with_chosen(frame, present, chosen)
    _keep_labels_in_step(keys, chosen, choices, seeded)
    return choices
