"""The study page's "why" and "suggested topics": reasons of automatic values, and accept / reject for editors.

Automatic topics, design and level carry the evidence that produced them (``reasons_auto``, written by
classification): readers see it so that no automatic value is an unexplained fact. Low-confidence topics are
suggestions, shown only in editor mode, each with its evidence and two buttons: *Accept* makes it a manual topic,
*Reject* remembers the "no" (``topics_rejected``), so classification never assigns or suggests it again. Every
piece of record text goes through :func:`md` (escaped markdown); nothing is rendered as HTML.
"""

from __future__ import annotations

import streamlit as st

from library import Library, LibraryError, Record
from library.evidence.editor import accept_topic, reject_topic
from library.evidence.reasons import parse_reasons
from library.views import design_label

from . import catalog
from .session import md, save_library, show_flash

__all__ = ["render_reasons", "render_suggestions"]


def render_reasons(record: Record) -> None:
    """'Why these automatic values': each automatic topic, the design and the level with their evidence."""
    auto = record.topics_auto
    if not (auto or record.design_auto or record.level_auto or record.reasons_auto):
        return
    reasons = parse_reasons(record.reasons_auto, [*record.topics_auto, *record.topics_suggested])
    with st.expander("Why these automatic values", icon=":material/help:"):
        if not record.reasons_auto:
            st.caption("No reasons recorded yet: run `reflib classify` to record them.")
            return
        manual = {t.casefold() for t in record.topics}
        for path in auto:
            mark = " (also a manual topic)" if path.casefold() in manual else ""
            st.markdown(f"- **{md(path)}**{mark}: {md(reasons.topics.get(path, 'no reason recorded'))}")
        if record.design_auto:
            why = reasons.design.partition(": ")[2] or "no reason recorded"
            mark = "" if not record.design else " (the editor's design is shown)"
            st.markdown(f"- **Design {md(design_label(record.design_auto))}**{mark}: {md(why)}")
        if reasons.level:
            level, _, why = reasons.level.partition(": ")
            mark = " (the editor's level is shown)" if record.level else ""
            st.markdown(f"- **Level {md(level)}**{mark}: {md(why)}")
        if reasons.species:
            kind, _, why = reasons.species.partition(": ")
            st.markdown(f"- **Not human clinical evidence ({md(kind)})**: {md(why)}" if kind in ("animal", "in-vitro")
                        else f"- **Species {md(kind)}**: {md(why)}")


def _apply(lib: Library, key: str, topic: str, accept: bool) -> None:
    taxonomy = catalog.taxonomy()
    try:
        record = lib.get(key)
        if accept:
            if taxonomy is None:
                raise LibraryError("the taxonomy file cannot be read, so topics cannot be checked")
            record = accept_topic(record, taxonomy, topic)
        else:
            record = reject_topic(record, taxonomy, topic)
    except LibraryError as exc:
        st.error(f"Not saved: {md(exc)}")
        return
    lib.update(record)
    save_library(lib, f"{'Accepted' if accept else 'Rejected'} {topic} for {key}.", where="suggestions")
    st.rerun()  # the outcome (saved, or why not) shows on the next run


def render_suggestions(lib: Library, record: Record) -> None:
    """Editor mode: suggested topics with their evidence and Accept / Reject buttons."""
    show_flash("suggestions")  # the outcome of the last Accept / Reject, where the buttons are
    if not record.topics_suggested and not record.topics_rejected:
        return
    reasons = parse_reasons(record.reasons_auto, [*record.topics_auto, *record.topics_suggested])
    st.markdown("## Suggested topics")
    if not record.topics_suggested:
        st.caption("No suggestions left.")
    for i, path in enumerate(record.topics_suggested):
        text, accept, reject = st.columns([6, 1, 1], vertical_alignment="center")
        text.markdown(f"**{md(path)}**  \n:gray[{md(reasons.suggested.get(path, 'no reason recorded'))}]")
        if accept.button("Accept", key=f"suggest-{record.key}-accept-{i}", icon=":material/check:",
                         help="Make it a manual topic of this study"):
            _apply(lib, record.key, path, accept=True)
        if reject.button("Reject", key=f"suggest-{record.key}-reject-{i}", icon=":material/close:",
                         help="Never assign or suggest this topic (or its subtopics) for this study again"):
            _apply(lib, record.key, path, accept=False)
    if record.topics_rejected:
        st.caption("Rejected (never suggested again): " + "; ".join(md(t) for t in record.topics_rejected))
