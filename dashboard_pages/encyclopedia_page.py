"""Encyclopedia view: an entry's reference lists as the encyclopedia shows them, the evidence map, studies per year."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from library import Library, Record
from library.views import design_label, design_short, evidence_map, level_label, safe_url, studies, studies_per_year

from . import catalog
from .common import frame_token, md


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
        st.markdown("#### Cited in this entry")
        if not block.cited:
            st.caption("No study in the library is cited by this entry yet.")
        for number, record in block.cited:
            _reference(record, f"{number}\\. " if number else "", slug)
    with discussed:
        st.markdown("#### Discussed in — Research library")
        if not block.discussed:
            st.caption("No study in the library is discussed in this entry yet.")
        for record in block.discussed:
            _reference(record, "", slug)
        pending = block.entry.pending if block.entry is not None else ()
        if pending:
            st.markdown("**Not yet in the research library**")
            for title in pending:
                st.markdown(f"- {md(title)}")
    return list(dict.fromkeys([r.key for _, r in block.cited] + [r.key for r in block.discussed]))


@st.cache_resource(max_entries=16, show_spinner=False)
def _map_and_years(_frame: pd.DataFrame, token: str, scope: str, depth: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both charts' data, once per frame version, scope and detail (they scan every study's topics)."""
    return evidence_map(_frame, depth), studies_per_year(_frame, 1 if depth <= 2 else 2)


def _evidence_map(table: pd.DataFrame) -> None:
    if table.empty:
        st.caption("No study in this selection has a topic yet.")
        return
    long = table.reset_index().melt(id_vars="topic", var_name="design", value_name="studies")
    long = long[long["studies"] > 0]
    long["design"] = long["design"].map(lambda d: design_short(d) if d != "unclassified" else "Not classified")
    order = [design_short(d) if d != "unclassified" else "Not classified" for d in table.columns]
    base = alt.Chart(long).encode(
        x=alt.X("design:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30, orient="top", labelOverlap=False,
                                                                  labelFontSize=12)),
        y=alt.Y("topic:N", title=None, axis=alt.Axis(labelLimit=420, labelFontSize=12)),
    )
    heat = base.mark_rect(cornerRadius=3).encode(
        color=alt.Color("studies:Q", scale=alt.Scale(scheme="blues"), legend=None),
        tooltip=["topic", "design", "studies"])
    labels = base.mark_text(fontSize=13).encode(
        text="studies:Q",
        color=alt.condition(alt.datum.studies > table.to_numpy().max() / 2, alt.value("white"), alt.value("black")))
    st.altair_chart((heat + labels).properties(height=max(120, 28 * len(table))), width="stretch",
                    alt="Evidence map: number of studies per topic and study design")
    with st.expander("Evidence map as a table"):
        st.dataframe(table.rename(columns=lambda d: design_short(d) if d != "unclassified" else "Not classified"))


def _per_year(counts: pd.DataFrame) -> None:
    if counts.empty:
        st.caption("No dated study with a topic in this selection.")
        return
    st.bar_chart(counts, x="year", y="studies", color="topic", x_label="Publication year",
                 y_label="Studies", height=320)


def render(lib: Library) -> None:
    st.title("Encyclopedia")
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
        slug = st.selectbox("Entry", slugs, key="enc_entry", format_func=lambda s: titles.get(s, s))
        if st.query_params.get("entry") != slug:
            st.query_params["entry"] = slug
    linked: list[str] = []
    if slug:
        entry = encyclopedia.get(slug) if encyclopedia is not None else None
        st.markdown(f"## {md(titles.get(slug, slug))}", anchors=False)
        if entry is None:
            st.warning(f"Studies link to {md(slug)}, but encyclopedia.toml has no such entry.")
        else:
            if entry.status != "published":
                st.badge(md(entry.status.capitalize()), color="orange")
            if entry.summary:
                st.markdown(md(entry.summary))
            if safe_url(entry.url):
                st.markdown(f"[:material/open_in_new: Read the entry in the encyclopedia]({safe_url(entry.url)})")
        linked = _reference_lists(lib, slug)
    st.divider()
    st.markdown("### Evidence map")
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
    _evidence_map(table)
    st.markdown("### Studies per year by topic")
    _per_year(counts)
