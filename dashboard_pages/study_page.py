"""Study view: everything the encyclopedia's research library shows for one study, plus design and level.

Every piece of record text goes through :func:`md` (escaped markdown), a code block, or a widget label, so a
title such as ``<img src=x onerror=alert(1)>`` is shown as those characters, never as markup.
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import quote

import pandas as pd
import streamlit as st

from library import Library, Record, UnknownKeyError
from library.views import (
    abstract_sections,
    design_label,
    identifier_links,
    journal_line,
    level_label,
    reader_keywords,
    related_studies,
    safe_url,
    study_label,
    study_relations,
)

from . import catalog, citations, editor_form, suggestions
from .session import close_study, filter_library, frame_token, md, open_entry, open_study

_ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
_STANCE_COLORS = {"critical": "orange", "hostile": "red", "supportive": "green", "neutral": "gray"}


AUTHORS_SHOWN = 20  # as journals do: the first 20 names, then "et al." with a way to show everyone


def _author_names(record: Record) -> list[str]:
    names = []
    for author in record.authors:
        if author.is_others:  # BibTeX's "and others": the list goes on
            names.append("*et al.*")
            continue
        name = md(author.literal or " ".join(p for p in (author.given, author.family, author.suffix) if p))
        orcid = author.orcid.removeprefix("https://orcid.org/").strip()
        if _ORCID.match(orcid):
            name += f" [:material/badge: ORCID](https://orcid.org/{orcid})"
        names.append(name)
    return names


def _authors(record: Record) -> None:
    names = _author_names(record)
    if not names:
        st.markdown("*No authors recorded*")
        return
    if len(names) <= AUTHORS_SHOWN:
        st.markdown(", ".join(names))
    else:
        st.markdown(", ".join(names[:AUTHORS_SHOWN]) + ", *et al.*")
        with st.expander(f"Show all {len(names)} authors"):
            st.markdown(", ".join(names))
    affiliations = affiliation_lines(record)
    if affiliations:
        with st.expander(f"Affiliations ({len(affiliations)})"):
            for i, text in enumerate(affiliations, 1):
                st.markdown(f"{i}\\. {md(text)}")


def affiliation_lines(record: Record) -> list[str]:
    """The authors' affiliations as the source gave them: the ``affiliations`` field ('; '-separated, as
    PubMed's ``AffiliationInfo`` is stored and Scopus exports it) or a single ``affiliation``."""
    text = str(record.extra.get("affiliations", "") or record.extra.get("affiliation", "") or "")
    parts = re.split(r"\s*;\s*|\n", text)
    return [p for p in dict.fromkeys(" ".join(p.split()) for p in parts) if p]


_STANCE_HELP = {
    "supportive": "The authors' conclusions support restorative reproductive medicine.",
    "neutral": "The study takes no position for or against restorative reproductive medicine.",
    "critical": "The authors are critical of the approach the encyclopedia describes; read it for the other side.",
    "hostile": "The paper argues against the field; the editors keep it so readers see every side.",
}
_RELEVANCE = {5: "core", 4: "high", 3: "moderate", 2: "low", 1: "not relevant"}


def _badges(record: Record) -> None:
    """Badges with plain-language tooltips (hover or focus shows them)."""
    auto_design = not record.design and bool(record.design_auto)
    auto_level = not record.level and bool(record.level_auto)
    with st.container(horizontal=True, gap="small"):
        st.badge(md(design_label(record.effective_design)), icon=":material/science:", color="blue",
                 help="Study design: how the study was done. Randomized trials and systematic reviews give the "
                      "strongest answers." + (" Set automatically; see 'Why these automatic values'."
                                              if auto_design else ""))
        st.badge(md(level_label(record.effective_level)), icon=":material/signal_cellular_alt:", color="violet",
                 help="Evidence level (Oxford CEBM 2011): 1 is the most trustworthy answer to the clinical "
                      "question, 5 the least." + (" Derived automatically from the design."
                                                  if auto_level else ""))
        if record.stance:
            st.badge(md(f"Stance: {record.stance}"), color=_STANCE_COLORS.get(record.stance, "gray"),  # type: ignore[arg-type]
                     help=_STANCE_HELP.get(record.stance, "The editors' reading of the paper's position."))
        if record.pmcid:
            st.badge("Free full text (PMC)", icon=":material/lock_open:", color="green",
                     help="Anyone can read the whole article free of charge at PubMed Central.")
        if record.verification == "verified":
            st.badge("Verified against the source", icon=":material/verified:", color="green",
                     help="An editor compared these details with the publisher's or PubMed's record.")
        elif record.verification == "unverified":
            st.badge("Details still to check", icon=":material/pending:", color="orange",
                     help=f"An editor has yet to check these details: {md(record.unverified)}")
        if record.retracted:
            st.badge("Retracted", icon=":material/block:", color="red",
                     help="The journal withdrew this article; its results should not be relied on.")
        if record.relevance:
            st.badge(f"Relevance {record.relevance}/5", color="gray",
                     help=f"How central the editors judge this study to the encyclopedia: "
                          f"{_RELEVANCE.get(record.relevance, '')} (5 core, 1 not relevant).")
    if record.verification == "unverified" and record.unverified.strip():  # visible, not only on hover
        st.caption(f"Not yet checked against the source: {md(record.unverified)}")


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
        st.markdown("## Synopsis")
        for label, text in (("TL;DR", synopsis.tldr), ("Key findings", synopsis.findings),
                            ("Clinical implications", synopsis.implications)):
            if text:
                st.markdown(f"**{label}:** {md(text)}")


def _abstract(record: Record) -> None:
    st.markdown("## Abstract")
    if not record.abstract.strip():
        st.caption("No abstract in the library for this study.")
        return
    for label, text in abstract_sections(record.abstract):
        st.markdown(f"**{md(label.capitalize() if label.isupper() else label)}.** {md(text)}" if label
                    else md(text))


def _tags(record: Record, editor: bool) -> None:
    if record.all_topics:
        st.markdown("## Topics")
        st.caption("Each topic lists the library's studies on it.")
        with st.container(horizontal=True, gap="small"):
            for i, topic in enumerate(record.all_topics):
                st.button(md(topic), key=f"topic-{i}", on_click=filter_library, kwargs={"topic": topic},
                          type="secondary", icon=":material/sell:", help=f"All studies on {md(topic)}")
    keywords = record.keywords if editor else reader_keywords(record.keywords)
    if keywords:
        st.markdown("**Keywords:** " + md("; ".join(keywords)))
    if record.mesh:
        st.markdown("**MeSH:** " + md("; ".join(record.mesh)))


def _entries(record: Record) -> None:
    if not record.links:
        return
    titles = catalog.entry_titles()
    urls = catalog.entry_urls()
    st.markdown("## In the encyclopedia")
    for i, link in enumerate(record.links):
        title = titles.get(link.slug, link.slug)
        where = f"cited as source {link.number}" if link.kind == "cited" and link.number else link.kind
        left, right = st.columns([4, 2], vertical_alignment="center")
        left.button(md(title), key=f"entry-{i}", on_click=open_entry, args=(link.slug,), type="tertiary",
                    icon=":material/menu_book:", help="This entry's page here: its cited and discussed studies")
        site = safe_url(urls.get(link.slug, ""))
        right.markdown(md(where) + (f" · [encyclopedia :material/open_in_new:]({site})" if site else ""))


@st.cache_resource(max_entries=64, show_spinner=False)
def _related_rows(_frame: pd.DataFrame, token: str, key: str) -> pd.DataFrame:
    return related_studies(_frame, key)


def _related(lib: Library, key: str) -> None:
    related = _related_rows(lib.frame(), frame_token(lib), key)
    if related.empty:
        return
    st.markdown("## Related studies")
    for row in related.to_dict("records"):
        st.button(md(study_label(row)), key=f"related-{row['key']}", on_click=open_study, args=(row["key"],),
                  type="tertiary", help="Open this study")
        st.caption(f"{md(row['reason'])} · {md(design_label(row['design']))}")


def _relations(lib: Library, record: Record) -> None:
    """Errata, retraction notices, comments, replies, protocols and abstracts linked to this study (both ways)."""
    rows = study_relations(lib.frame(), record)
    if not rows:
        return
    st.markdown("## Related records")
    for row in rows:
        if row.in_library:
            st.button(md(row.text()), key=f"relation-{row.outgoing}-{row.label}-{row.key}", on_click=open_study,
                      args=(row.key,), type="tertiary", help="Open this record")
        else:
            st.markdown(f"- {md(row.text())}")


def _breadcrumb(record: Record) -> None:
    """Where the study sits: the list it came from (an encyclopedia entry or the library), then its first
    topic's path, each step a button that goes there."""
    came_from = st.query_params.get("from", "")
    titles = catalog.entry_titles()
    with st.container(horizontal=True, gap="small", vertical_alignment="center", key="breadcrumb"):
        if came_from.startswith("entry:") and came_from[6:] in titles:
            slug = came_from[6:]
            st.button("Encyclopedia", key="crumb-enc", type="tertiary", on_click=open_entry, args=(slug,),
                      icon=":material/arrow_back:")
            st.markdown("›")
            st.button(md(titles[slug]), key="crumb-entry", type="tertiary", on_click=open_entry, args=(slug,))
            return
        st.button("Research library", key="crumb-lib", type="tertiary", on_click=close_study,
                  icon=":material/arrow_back:", help="Back to the list, with its filters")
        topics = record.all_topics
        if topics:
            parts = [p.strip() for p in topics[0].split(">")]
            for depth in range(1, len(parts) + 1):
                path = " > ".join(parts[:depth])
                st.markdown("›")
                st.button(md(parts[depth - 1]), key=f"crumb-{depth}", type="tertiary", on_click=filter_library,
                          kwargs={"topic": path}, help=f"All studies on {md(path)}")


def _study_link(key: str) -> str:
    base = ""
    with contextlib.suppress(Exception):
        base = str(st.context.url or "")
    return f"{base.split('?')[0].rstrip('/')}/?study={quote(key, safe='')}"


def _links_row(record: Record, editor: bool) -> None:
    _identifiers(record)
    with st.expander("Link to this study", icon=":material/link:"):
        st.code(_study_link(record.key), language=None, wrap_lines=True)
        st.caption("Copy it with the button beside the address.")
    if editor:
        st.markdown("[:material/edit: Edit this study](#edit-this-study)")


def render(lib: Library, key: str, editor: bool) -> None:
    try:
        record = lib.get(key)
    except UnknownKeyError:
        st.button("Back to the list", icon=":material/arrow_back:", on_click=close_study)
        st.warning(f"There is no study with the key {md(key)} in this library (it may have been merged or "
                   "removed).")
        return
    title = record.title or "(untitled)"
    st.set_page_config(page_title=f"{title[:90]} — reflib")
    _breadcrumb(record)
    st.title(md(title), anchor=False)
    _authors(record)
    line = journal_line(record)
    if line:
        st.markdown(f"*{md(line)}*")
    _badges(record)
    _links_row(record, editor)
    _synopsis(record)
    main, side = st.columns([3, 2], gap="large")
    with main:
        _abstract(record)
        _tags(record, editor)
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
