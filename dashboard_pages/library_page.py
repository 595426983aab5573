"""Library view: filters (kept in the address bar, so a filtered view is a shareable link), the table, export."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import cast

import numpy as np
import pandas as pd
import streamlit as st

from library import Library
from library.frame import FrameQuery
from library.search import UnknownFilterError, Vocabulary, parse_search, resolve_topic
from library.views import (
    DEFAULT_SORT,
    SORTS,
    VERIFICATION_OPTIONS,
    facet_values,
    filter_positions,
    params_from_query,
    parse_params,
    sort_positions,
    studies,
    study_label,
    table_view,
    topic_options,
)

from . import catalog, exports, filter_choices
from .session import frame_token, md, open_study

PAGE_SIZE = 50
_HEADER_PX, _ROW_PX, _ROWS_SHOWN = 38, 78, 12  # 78 px rows wrap long titles (4 lines); 12 rows before it scrolls
_LIST_FILTERS = ("topic", "entry", "design", "level", "stance", "verification")
_KEYS = {name: f"f_{name}" for name in (*_LIST_FILTERS, "q", "years", "sort")}
_VERIFICATION_LABELS = {"verified": "Verified against the source", "unverified": "Needs checking",
                        "unknown": "Not recorded"}
_KEEP = ("view",)  # parameters that belong to other parts of the page


def _url() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in st.query_params}


@st.cache_resource(max_entries=16, show_spinner=False)
def _matching(_frame: pd.DataFrame, token: str, params_json: str, _vocabulary: Vocabulary | None,
              vocabulary_token: str) -> np.ndarray:
    """Positions of the matching rows (file order), cached per frame version, taxonomy and filter, whatever the
    sort: changing the sort re-orders these instead of searching again."""
    params = json.loads(params_json)
    params.pop("sort", None)
    query = replace(parse_params(params).query, vocabulary=_vocabulary)
    return filter_positions(_frame, query)


@st.cache_resource(max_entries=16, show_spinner=False)
def _filtered(_frame: pd.DataFrame, token: str, params_json: str, _vocabulary: Vocabulary | None,
              vocabulary_token: str) -> np.ndarray:
    """Positions of the matching rows in display order, cached per frame version, taxonomy and query: a rerun
    that does not change the filter (paging, opening a study, coming back) costs nothing here. The search knows
    the taxonomy's names and synonyms and ranks its hits (library.search, shared with ``reflib search``)."""
    parsed = parse_params(json.loads(params_json))
    filter_only = json.dumps({k: v for k, v in json.loads(params_json).items() if k != "sort"}, sort_keys=True)
    found = _matching(_frame, token, filter_only, _vocabulary, vocabulary_token)
    return sort_positions(_frame, found, parsed.sort, parse_search(parsed.query.query, _vocabulary))


@st.cache_resource(max_entries=8, show_spinner=False)
def _options(_frame: pd.DataFrame, token: str, taxonomy: tuple[str, ...], entries: tuple[str, ...]
             ) -> dict[str, list[str]]:
    """The choices of the topic, entry and verification filters, once per frame version (scanning 100k list cells
    on each rerun would not do); design, level and stance: :mod:`.filter_choices`."""
    frame = _frame
    return {
        "topic": topic_options(frame, taxonomy),
        "entry": facet_values(frame, "entries", entries),
        "verification": list(VERIFICATION_OPTIONS),
    }


def _topic_of_link(text: str, present: list[str]) -> str:
    """A topic from a link as the command line reads one: its path, id, last segment or a synonym ("HSG")."""
    if text in present:
        return text
    try:
        return resolve_topic(text, catalog.taxonomy(), present, catalog.vocabulary()[0])
    except UnknownFilterError:
        return text  # not a topic of this library: reported with the others


def _seed_widgets(url: dict[str, list[str]], options: dict[str, list[str]], years: tuple[int, int] | None) -> None:
    """First render (or coming back from a study): the widgets start from the address bar."""
    if any(key in st.session_state for key in _KEYS.values()):
        return
    parsed = parse_params(url)
    for problem in parsed.problems:
        st.toast(md(problem))  # the values come from a link anyone can craft
    query = parsed.query
    wanted = {"topic": query.topics, "entry": query.entries, "design": query.designs, "level": query.levels,
              "stance": query.stances, "verification": tuple(url.get("verification", ()))}
    wanted["topic"] = tuple(_topic_of_link(t, options["topic"]) for t in query.topics)
    for name, values in wanted.items():
        allowed = [v for v in values if v in options[name]]
        if len(allowed) < len(values):
            st.toast(f"Ignored {name} values from the link that this library does not have.")
        st.session_state[_KEYS[name]] = allowed
    st.session_state[_KEYS["q"]] = query.query
    st.session_state[_KEYS["sort"]] = parsed.sort
    if years is not None:
        low = max(years[0], min(query.year_from or years[0], years[1]))
        high = min(years[1], max(query.year_to or years[1], years[0]))
        st.session_state[_KEYS["years"]] = (low, high)


def clear_filters() -> None:
    for name in _LIST_FILTERS:
        st.session_state[_KEYS[name]] = []
    st.session_state[_KEYS["q"]] = ""
    st.session_state.pop(_KEYS["years"], None)


def _year_bounds(frame: pd.DataFrame) -> tuple[int, int] | None:
    years = frame["year"].dropna()
    if years.empty or int(years.min()) == int(years.max()):
        return None
    return int(years.min()), int(years.max())


def _counted_filter(label: str, name: str, options: dict[str, list[str]], counts: dict[str, dict[str, int]]
                    ) -> list[str]:
    """A design, level or stance filter, its choices labelled with their counts; none when no study has a value
    and none is chosen (an empty box is drawn greyed out, and says nothing a missing one does not)."""
    if not options[name]:
        # a value set for a widget that is not drawn would outlive a visit to a study, and coming back the filters
        # would not start again from the address (_seed_widgets)
        st.session_state.pop(_KEYS[name], None)
        return []
    return st.multiselect(label, options[name], key=_KEYS[name],
                          format_func=lambda value: filter_choices.label(name, value, counts[name]))


def _sidebar(frame: pd.DataFrame, options: dict[str, list[str]], counts: dict[str, dict[str, int]],
             years: tuple[int, int] | None) -> FrameQuery:
    titles = catalog.entry_titles()
    with st.sidebar:
        st.markdown("**Filters**")
        q = st.text_input("Search", key=_KEYS["q"], placeholder="e.g. HSG, oil contrast, Dreyer",
                          help="Words in the title, abstract or authors. Topic names and their abbreviations "
                               "or synonyms find the topic too: HSG also finds 'hysterosalpingography' and "
                               "the studies tagged HSG. Best matches (title) come first.")
        topics = st.multiselect("Topic", options["topic"], key=_KEYS["topic"],
                                help="A topic includes its subtopics: 'Diagnostics' also finds "
                                     "'Diagnostics > Tubal patency > HSG'.")
        entries = st.multiselect("Encyclopedia entry", options["entry"], key=_KEYS["entry"],
                                 format_func=lambda slug: titles.get(slug, slug))
        year_from = year_to = None
        if years is not None:
            if _KEYS["years"] not in st.session_state:
                st.session_state[_KEYS["years"]] = years
            low, high = cast("tuple[int, int]",
                             st.slider("Publication year", years[0], years[1], key=_KEYS["years"]))
            year_from = low if low > years[0] else None
            year_to = high if high < years[1] else None
        designs = _counted_filter("Study design", "design", options, counts)
        levels = _counted_filter("Evidence level", "level", options, counts)
        stances = _counted_filter("Stance", "stance", options, counts)
        checks = st.multiselect("Verification", options["verification"], key=_KEYS["verification"],
                                format_func=lambda v: _VERIFICATION_LABELS[v])
        st.button("Clear filters", on_click=clear_filters, icon=":material/filter_alt_off:")
    return FrameQuery(query=q, topics=tuple(topics), entries=tuple(entries), designs=tuple(designs),
                      levels=tuple(levels), stances=tuple(stances),
                      verification=tuple(VERIFICATION_OPTIONS[v] for v in checks),
                      year_from=year_from, year_to=year_to)


def _sync_url(query: FrameQuery, sort: str) -> dict[str, str | list[str]]:
    params = params_from_query(query, sort)
    current = _url()
    wanted: dict[str, str | list[str]] = {k: v for k, v in current.items() if k in _KEEP}
    wanted.update(params)
    normalized = {k: [v] if isinstance(v, str) else list(v) for k, v in wanted.items()}
    if normalized != current:
        st.query_params.from_dict(wanted)
    return params


_COLUMNS = ["Year", "Title", "First author", "Journal", "Design", "Level", "Topics"]
_OPENS = _COLUMNS.index("Title")


def _table(frame: pd.DataFrame, positions: np.ndarray, nonce: int) -> str | None:
    """The page of studies; a click on a title (or the row's box) opens that study. By keyboard: Tab into the
    table, arrow keys move through the rows (in any column but the title), arrow into the title opens the study.
    Widths add up to the ~1,000 px the main area has at a 1400 px window with the sidebar open; rows are tall
    enough that titles wrap onto four lines instead of being cut."""
    view = table_view(frame, positions)
    event = st.dataframe(
        view, key=f"table-{nonce}", on_select="rerun", selection_mode=["single-row", "single-cell"],
        hide_index=True, row_height=_ROW_PX, column_order=_COLUMNS,
        column_config={
            "Year": st.column_config.NumberColumn(format="%d", width=52),
            "Title": st.column_config.TextColumn(width=300, help="Click a title to read the study"),
            "First author": st.column_config.TextColumn(width=100),
            "Journal": st.column_config.TextColumn(width=140),
            "Design": st.column_config.TextColumn(width=96),
            "Level": st.column_config.TextColumn(width=90, help="OCEBM 2011 level and clinical question"),
            "Topics": st.column_config.TextColumn(width=160, help="Last part of each topic; the study page and "
                                                                  "the Topic filter show the whole path"),
        },
        placeholder="", alt="Studies matching the filters",
        height=min(_HEADER_PX + _ROW_PX * len(view), _HEADER_PX + _ROW_PX * _ROWS_SHOWN) + 2)
    return _picked_key(view, event)


def _picked_key(view: pd.DataFrame, event: object) -> str | None:
    """The study a selection asks for: a ticked row, or a selected cell in the Title column."""
    selection = getattr(event, "selection", None)
    if selection is None:
        return None
    rows = list(getattr(selection, "rows", []) or [])
    if not rows:
        rows = [row for row, column in (getattr(selection, "cells", []) or [])
                if column in (_OPENS, "Title")][:1]
    return str(view.iloc[rows[0]]["key"]) if rows and 0 <= rows[0] < len(view) else None


def _explain_search(text: str, vocabulary: Vocabulary | None) -> None:
    """Say what a search was widened to, so a clinician sees why a study without the word is listed."""
    widened = [term for term in parse_search(text, vocabulary) if term.topics]
    if widened:
        st.caption("Searching also for " + "; ".join(
            md(f"{term.text}: {', '.join(term.alternatives()[:6])} and the topic {' / '.join(term.topics)}")
            for term in widened))


def render(lib: Library, editor: bool) -> None:
    frame = lib.frame()
    st.title("Research library")
    if len(frame) == 0:
        st.info("This library has no studies yet. Editors add them with `reflib import FILE` or "
                + ("on the **Import** page." if editor else "in editor mode (REFLIB_EDITOR=1), page **Import**."),
                icon=":material/library_books:")
        return
    token = frame_token(lib)
    url = _url()
    counts = filter_choices.counted_choices(frame, token, url, _KEYS)
    options = _options(frame, token, tuple(catalog.taxonomy_topics()), tuple(catalog.entry_titles())) | {
        name: list(values) for name, values in counts.items()}
    years = _year_bounds(frame)
    _seed_widgets(url, options, years)
    query = _sidebar(frame, options, counts, years)
    sort = st.session_state.get(_KEYS["sort"], DEFAULT_SORT)
    params = _sync_url(query, sort)
    vocabulary, vocabulary_token = catalog.vocabulary()
    rows = _filtered(frame, token, json.dumps(params, sort_keys=True), vocabulary, vocabulary_token)
    _explain_search(query.query, vocabulary)

    head, sorter = st.columns([3, 1], vertical_alignment="bottom")
    filtered = any(name != "sort" for name in params)  # a sort order alone filters nothing
    head.markdown(f"**{len(rows):,}** of {studies(len(frame))}" + (" match the filters" if filtered else ""))
    sorter.selectbox("Sort", list(SORTS), key=_KEYS["sort"], format_func=SORTS.__getitem__,
                     label_visibility="collapsed")
    if len(rows) == 0:
        st.info("No study matches these filters. Remove a filter or clear them all.", icon=":material/search_off:")
        st.button("Clear filters", key="clear_empty", on_click=clear_filters)
        return

    signature = json.dumps(params, sort_keys=True)
    if st.session_state.get("_page_for") != signature:
        st.session_state["_page_for"] = signature
        st.session_state["f_page"] = 1
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = st.session_state.get("f_page", 1) if pages > 1 else 1
    page = min(max(1, page), pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    st.caption("Click a title to read the study. Keyboard: Tab into the table, move with the arrow keys, an "
               "arrow into the title opens it (or choose the study below). Column headers sort this page; the "
               "address bar keeps the filters, so the link can be shared.")
    nonce = st.session_state.setdefault("_table_nonce", 0)
    picked = _table(frame, shown, nonce)
    if pages > 1:
        st.pagination(pages, key="f_page", max_visible_pages=9)
    if picked:
        st.session_state["_table_nonce"] = nonce + 1
        open_study(picked)
        st.rerun()
    _picker(frame.iloc[shown])
    exports.render(lib, frame, rows, params)


def _picker(rows: pd.DataFrame) -> None:
    labels = {str(r["key"]): study_label(r) for r in rows[["key", "first_author", "year", "title"]]
              .to_dict("records")}
    st.selectbox("Open a study", list(labels), index=None, format_func=labels.__getitem__,
                 placeholder="Choose a study on this page…", key="open_pick", on_change=_open_picked)


def _open_picked() -> None:
    key = st.session_state.get("open_pick")
    st.session_state["open_pick"] = None
    if key:
        open_study(key)
