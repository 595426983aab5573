"""Study view: everything the encyclopedia's research library shows for one study, plus design and level.

Every piece of record text goes through :func:`md` (escaped markdown), a code block, or a widget label, so a
title such as ``<img src=x onerror=alert(1)>`` is shown as those characters, never as markup.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from library import Library, Record, UnknownKeyError
from library.views import (
    abstract_sections,
    design_label,
    identifier_links,
    journal_line,
    level_label,
    related_studies,
    study_label,
    study_relations,
)

from . import catalog, citations, editor_form, suggestions
from .common import close_study, frame_token, md, open_study

_ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
_STANCE_COLORS = {"critical": "orange", "hostile": "red", "supportive": "green", "neutral": "gray"}


def _authors(record: Record) -> str:
    names = []
    for author in record.authors:
        name = md(author.literal or " ".join(p for p in (author.given, author.family) if p))
        orcid = author.orcid.removeprefix("https://orcid.org/").strip()
        if _ORCID.match(orcid):
            name += f" [:material/badge: ORCID](https://orcid.org/{orcid})"
        names.append(name)
    return ", ".join(names) if names else "*No authors recorded*"


def _badges(record: Record) -> None:
    with st.container(horizontal=True, gap="small"):
        st.badge(md(design_label(record.effective_design)), icon=":material/science:", color="blue")
        st.badge(md(level_label(record.effective_level)), icon=":material/signal_cellular_alt:", color="violet")
        if record.stance:
            st.badge(md(f"Stance: {record.stance}"), color=_STANCE_COLORS.get(record.stance, "gray"))  # type: ignore[arg-type]
        if record.pmcid:
            st.badge("Free full text (PMC)", icon=":material/lock_open:", color="green")
        if record.verification == "verified":
            st.badge("Verified against the source", icon=":material/verified:", color="green")
        elif record.verification == "unverified":
            st.badge("Details still to check", icon=":material/pending:", color="orange",
                     help=f"Still to check: {md(record.unverified)}")
        if record.retracted:
            st.badge("Retracted", icon=":material/block:", color="red")
        if record.relevance:
            st.badge(f"Relevance {record.relevance}/5", color="gray")


def _identifiers(record: Record) -> None:
    links = identifier_links(record)
    if links:
        st.markdown(" · ".join(f"{link.label} [{md(link.value)}]({link.url})" for link in links))
    problems = record.identifier_problems()
    if problems:
        st.caption("Identifiers to fix: " + "; ".join(md(p) for p in problems))


def _synopsis(record: Record) -> None:
    synopsis = record.synopsis
    if synopsis.is_empty():
        return
    with st.container(border=True):
        st.markdown("#### Synopsis")
        for label, text in (("TL;DR", synopsis.tldr), ("Key findings", synopsis.findings),
                            ("Clinical implications", synopsis.implications)):
            if text:
                st.markdown(f"**{label}:** {md(text)}")


def _abstract(record: Record) -> None:
    st.markdown("#### Abstract")
    if not record.abstract.strip():
        st.caption("No abstract in the library for this study.")
        return
    for label, text in abstract_sections(record.abstract):
        st.markdown(f"**{md(label.capitalize() if label.isupper() else label)}.** {md(text)}" if label
                    else md(text))


def _tags(record: Record) -> None:
    if record.all_topics:
        st.markdown("**Topics:** " + " · ".join(f"`{t}`" if "`" not in t else md(t) for t in record.all_topics))
    if record.keywords:
        st.markdown("**Keywords:** " + md("; ".join(record.keywords)))
    if record.mesh:
        st.markdown("**MeSH:** " + md("; ".join(record.mesh)))


def _entries(record: Record) -> None:
    if not record.links:
        return
    titles = catalog.entry_titles()
    urls = catalog.entry_urls()
    st.markdown("#### In the encyclopedia")
    for link in record.links:
        title = md(titles.get(link.slug, link.slug))
        target = f"[{title}]({urls[link.slug]})" if urls.get(link.slug) else title
        where = f"cited as source {link.number}" if link.kind == "cited" and link.number else link.kind
        st.markdown(f"- {target} — {md(where)}")


@st.cache_resource(max_entries=64, show_spinner=False)
def _related_rows(_frame: pd.DataFrame, token: str, key: str) -> pd.DataFrame:
    return related_studies(_frame, key)


def _related(lib: Library, key: str) -> None:
    related = _related_rows(lib.frame(), frame_token(lib), key)
    if related.empty:
        return
    st.markdown("#### Related studies")
    for row in related.to_dict("records"):
        left, right = st.columns([7, 1], vertical_alignment="center")
        left.markdown(f"{md(study_label(row))}  \n:gray[{md(row['reason'])} · {md(design_label(row['design']))}]")
        right.button("Read", key=f"related-{row['key']}", on_click=open_study, args=(row["key"],),
                     help="Open this study")


def _relations(lib: Library, record: Record) -> None:
    """Errata, retraction notices, comments, replies, protocols and abstracts linked to this study (both ways)."""
    rows = study_relations(lib.frame(), record)
    if not rows:
        return
    st.markdown("#### Related records")
    for row in rows:
        if row.in_library:
            left, right = st.columns([7, 1], vertical_alignment="center")
            left.markdown(f"- {md(row.text())}")
            right.button("Read", key=f"relation-{row.outgoing}-{row.label}-{row.key}", on_click=open_study,
                         args=(row.key,), help="Open this record")
        else:
            st.markdown(f"- {md(row.text())}")


def render(lib: Library, key: str, editor: bool) -> None:
    st.button("Back to the list", icon=":material/arrow_back:", on_click=close_study)
    try:
        record = lib.get(key)
    except UnknownKeyError:
        st.warning(f"There is no study with the key {md(key)} in this library (it may have been merged or "
                   "removed).")
        return
    _badges(record)
    st.markdown(f"## {md(record.title or '(untitled)')}", anchors=False)
    st.markdown(_authors(record))
    line = journal_line(record)
    if line:
        st.markdown(f"*{md(line)}*")
    _identifiers(record)
    _synopsis(record)
    main, side = st.columns([3, 2], gap="large")
    with main:
        _abstract(record)
        _tags(record)
        suggestions.render_reasons(record)
        if record.notes and editor:
            st.markdown("**Editor's notes:** " + md(record.notes))
        _relations(lib, record)
        _related(lib, key)
    with side:
        citations.render(record)
        _entries(record)
    if editor:
        st.divider()
        suggestions.render_suggestions(lib, record)
        editor_form.render(lib, record)
