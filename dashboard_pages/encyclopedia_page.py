"""Encyclopedia view: an entry's reference lists as the encyclopedia shows them, the evidence map, studies per year."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from library import Library, Record
from library.views import (
    UNCLASSIFIED,
    design_label,
    design_short,
    evidence_map,
    level_label,
    map_cell_positions,
    safe_url,
    studies,
    studies_per_year,
    study_label,
)

from . import catalog
from .session import frame_token, md, open_entry


def _open_from_entry(key: str, slug: str) -> None:
    """Leave the encyclopedia view for the study; the address then reads ?study=KEY&from=entry:SLUG, so the
    study's back button and breadcrumb return to this entry."""
    st.session_state["nav_view"] = "library"
    st.query_params.clear()
    st.query_params["study"] = key
    st.query_params["from"] = f"entry:{slug}"


def _reference(record: Record, number: str, slug: str) -> None:
    text, button = st.columns([4, 1], vertical_alignment="center")
    author = record.first_author_family() or "Anon."
    text.markdown(f"{number}{md(record.title or '(untitled)')}  \n"
                  f":gray[{md(author)} {record.year or 'n.d.'} · {md(design_label(record.effective_design))} · "
                  f"{md(level_label(record.effective_level))}]")
    button.button("Read", key=f"ref-{slug}-{record.key}", on_click=_open_from_entry, args=(record.key, slug),
                  help="Open this study")


def _reference_lists(lib: Library, slug: str) -> list[str]:
    """The entry's two lists as the encyclopedia shows them; returns the keys of the studies in them."""
    block = catalog.reference_block(lib, slug)
    cited, discussed = st.columns(2, gap="large")
    with cited:
        st.markdown("## Cited in this entry")
        if not block.cited:
            st.caption("No study in the library is cited by this entry yet.")
        for number, record in block.cited:
            _reference(record, f"{number}\\. " if number else "", slug)
    with discussed:
        st.markdown("## Discussed in — Research library")
        if not block.discussed:
            st.caption("No study in the library is discussed in this entry yet.")
        for record in block.discussed:
            _reference(record, "", slug)
        pending = block.pending
        if pending:
            st.markdown("**Not yet in the research library**")
            for title in pending:
                st.markdown(f"- {md(title)}")
    return list(dict.fromkeys([r.key for _, r in block.cited] + [r.key for r in block.discussed]))


@st.cache_resource(max_entries=16, show_spinner=False)
def _map_and_years(_frame: pd.DataFrame, token: str, scope: str, depth: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both charts' data, once per frame version, scope and detail (they scan every study's topics)."""
    return evidence_map(_frame, depth), studies_per_year(_frame, 1 if depth <= 2 else 2)


def _design_name(design: str) -> str:
    return design_short(design) if design != UNCLASSIFIED else "Not classified"


def _evidence_map(table: pd.DataFrame, key: str) -> tuple[str, str] | None:
    """The map (every row labelled, whole topic names); returns the (topic, design) cell the user clicked."""
    if table.empty:
        st.caption("No study in this selection has a topic yet.")
        return None
    long = table.reset_index().melt(id_vars="topic", var_name="slug", value_name="studies")
    long = long[long["studies"] > 0]
    long["design"] = long["slug"].map(_design_name)
    order = [_design_name(d) for d in table.columns]
    topics = list(table.index)
    cell = alt.selection_point(fields=["topic", "slug"], name="cell", on="click", clear="dblclick")
    base = alt.Chart(long).encode(
        x=alt.X("design:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30, orient="top", labelOverlap=False,
                                                                  labelFontSize=12, labelLimit=0)),
        y=alt.Y("topic:N", sort=topics, title=None, scale=alt.Scale(domain=topics),
                axis=alt.Axis(labelLimit=0, labelFontSize=12, labelOverlap=False)),
    )
    heat = base.mark_rect(cornerRadius=3, cursor="pointer").encode(
        color=alt.Color("studies:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=["topic", "design", "studies"]).add_params(cell)
    labels = base.mark_text(fontSize=13).encode(
        text="studies:Q",
        color=alt.condition(alt.datum.studies > table.to_numpy().max() / 2, alt.value("white"), alt.value("black")))
    event = st.altair_chart((heat + labels).properties(height=max(160, 40 * len(table) + 60)), width="stretch",
                            on_select="rerun", selection_mode="cell", key=key)
    st.caption("Click a cell to list its studies.")
    with st.expander("Evidence map as a table"):
        st.dataframe(table.rename(columns=_design_name))
    chosen = (event.get("selection", {}) or {}).get("cell") if event else None
    if chosen:
        first = chosen[0]
        return str(first.get("topic", "")), str(first.get("slug", ""))
    return None


def _cell_studies(frame: pd.DataFrame, cell: tuple[str, str], depth: int, slug: str | None) -> None:
    topic, design = cell
    rows = map_cell_positions(frame, topic, design, depth)
    st.markdown(f"**{len(rows)} {'study' if len(rows) == 1 else 'studies'}: {md(topic)} · "
                f"{md(_design_name(design))}**")
    for position in rows[:50]:
        row = frame.iloc[int(position)]
        st.button(md(study_label(row)), key=f"cell-{row['key']}", type="tertiary", on_click=_open_from_entry,
                  args=(str(row["key"]), slug or ""), help="Open this study")


def _per_year(counts: pd.DataFrame) -> None:
    if counts.empty:
        st.caption("No dated study with a topic in this selection.")
        return
    chart = alt.Chart(counts).mark_bar().encode(
        x=alt.X("year:O", title="Publication year"),
        y=alt.Y("studies:Q", title="Studies"),
        color=alt.Color("topic:N", title="Topic", legend=alt.Legend(orient="bottom", columns=2, labelLimit=0,
                                                                    symbolLimit=0)),
        tooltip=["year", "topic", "studies"])
    st.altair_chart(chart.properties(height=320), width="stretch")


def _related_entries(slugs: tuple[str, ...], titles: dict[str, str]) -> None:
    known = [s for s in slugs if s in titles]
    if not known:
        return
    st.markdown("**Related terms**")
    with st.container(horizontal=True, gap="small"):
        for related in known:
            st.button(md(titles[related]), key=f"related-entry-{related}", on_click=open_entry, args=(related,),
                      icon=":material/menu_book:")


def render(lib: Library) -> None:
    encyclopedia = catalog.entries()
    titles = catalog.entry_titles()
    slugs = list(dict.fromkeys([*titles, *catalog.linked_slugs(lib)]))
    if not slugs:
        st.info("No encyclopedia entry is defined and no study is linked to one yet.", icon=":material/menu_book:")
    slug = None
    if slugs:
        wanted = st.query_params.get("entry")
        if st.session_state.get("enc_entry") not in slugs:
            st.session_state["enc_entry"] = wanted if wanted in slugs else slugs[0]
        slug = st.selectbox("Encyclopedia entry", slugs, key="enc_entry", format_func=lambda s: titles.get(s, s))
        if st.query_params.get("entry") != slug:
            st.query_params["entry"] = slug
    else:
        st.title("Encyclopedia", anchor=False)
    linked: list[str] = []
    if slug:
        entry = encyclopedia.get(slug) if encyclopedia is not None else None
        st.title(md(titles.get(slug, slug)), anchor=False)
        st.set_page_config(page_title=f"{titles.get(slug, slug)[:90]} — Encyclopedia — reflib")
        if entry is None:
            st.warning(f"Studies link to {md(slug)}, but encyclopedia.toml has no such entry.")
        else:
            if entry.status != "published":
                st.badge(md(entry.status.capitalize()), color="orange")
            if entry.summary:
                st.markdown(md(entry.summary))
            if safe_url(entry.url):
                st.markdown(f"[:material/open_in_new: Read the entry in the encyclopedia]({safe_url(entry.url)})")
            _related_entries(entry.related, titles)
        linked = _reference_lists(lib, slug)
    st.divider()
    st.markdown("## Evidence map")
    scope_col, depth_col = st.columns([2, 1])
    scopes = ["library", "entry"] if slug else ["library"]
    scope = scope_col.segmented_control(
        "Studies", scopes, default="library", key="enc_scope", required=True,
        format_func={"library": "Whole library", "entry": "This entry's studies"}.__getitem__)
    depth = depth_col.select_slider("Topic detail", options=[1, 2, 3, 4], value=3, key="enc_depth")
    frame = lib.frame()
    if scope == "entry":
        frame = frame[frame["key"].isin(linked)]
    st.caption(f"{studies(len(frame))}; each counted once per topic and design (a study can sit under several "
               "topics).")
    table, counts = _map_and_years(frame, f"{frame_token(lib)}:{','.join(linked) if scope == 'entry' else ''}",
                                   scope, depth)
    cell = _evidence_map(table, f"enc_map_{scope}_{depth}")
    if cell is not None:
        _cell_studies(frame, cell, depth, slug)
    st.markdown("## Studies per year by topic")
    _per_year(counts)
