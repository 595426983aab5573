"""Editor page: screen the inbox one record at a time (keyboard: i include, x exclude, m maybe, n next, u undo),
with the inclusion terms highlighted, progress, and the PRISMA 2020 flow. All text from records is escaped."""

from __future__ import annotations

import os
import re
from pathlib import Path

import streamlit as st

from ingest.screening import include_into_library, load_config
from library import Library
from library.errors import LibraryError
from library.screen.featurecache import cache_path
from library.screen.inbox import Inbox, inbox_path, kappa_text, reviewer_agreement
from library.screen.prisma import flow, to_png, to_svg
from library.screen.rank import Ranker, library_positives, states_of

from .session import md, save_library

__all__ = ["highlight", "render"]


@st.cache_resource(max_entries=4, show_spinner="Reading the inbox…")
def _ranker(path: str, records: int, lib_token: str, _inbox: Inbox, _lib: Library) -> Ranker:
    """Features are fitted once per inbox size and library version; re-ranking after a decision reuses them."""
    topics = sorted({t for (t,) in _inbox.conn.execute("SELECT DISTINCT value FROM records, json_each(topics)")})
    entries = sorted({e for (e,) in _inbox.conn.execute("SELECT DISTINCT entry FROM records WHERE entry NOT NULL")})
    return Ranker(_inbox, library_positives(_lib.frame() if len(_lib) else None, topics, entries),
                  cache=cache_path(Path(path)))


def highlight(text: str, terms: list[str]) -> str:
    """Markdown of ``text`` (escaped) with the single-word inclusion terms in bold."""
    words = sorted({t for t in terms if " " not in t and len(t) > 2}, key=len, reverse=True)
    if not words or not text:
        return md(text)
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    text = " ".join(text.split())  # as md() shows it: one space between words
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(_between(text[last:match.start()]))
        out.append(f"**{md(match.group(0))}**")
        last = match.end()
    out.append(_between(text[last:]))
    return "".join(out)


def _between(piece: str) -> str:
    """The text between two highlighted words, escaped, with its spaces at both ends kept (md() trims them:
    "minor trauma" came out as "**minor****trauma**")."""
    if not piece.strip():
        return " " if piece else ""
    return (" " if piece[0] == " " else "") + md(piece) + (" " if piece[-1] == " " else "")


def _settle(inbox: Inbox, lib: Library) -> None:
    """Bring included records that are not in the library yet into it (also those of an include whose run was cut
    short: Streamlit stops a run when the next key arrives)."""
    pending = inbox.pending_includes()
    if not pending:
        return
    keys = include_into_library(lib, inbox, pending)
    saved = not lib.dirty or save_library(lib, f"{', '.join(f'#{i}' for i in keys)} included and added to the library")
    if saved:
        for done, key in keys.items():
            inbox.set_library_key(done, key)


def _decide(inbox: Inbox, lib: Library, record_id: int, decision: str, reviewer: str, reason: str = "") -> None:
    state = inbox.decide(record_id, decision, reviewer, reason)
    st.session_state.pop("screen_skip", None)
    if state == "included":
        _settle(inbox, lib)


def render(lib: Library) -> None:
    st.title("Screening")
    path = inbox_path(lib.path)
    try:
        inbox = Inbox.open(path)
    except LibraryError as exc:
        st.error(f"The screening inbox cannot be used: {md(exc)}")
        return
    try:
        _page(inbox, lib)
    finally:
        inbox.close()


def _page(inbox: Inbox, lib: Library) -> None:
    path = inbox.path
    config = load_config(lib.path)
    _settle(inbox, lib)
    reviewer = st.text_input("Reviewer", value=os.environ.get("REFLIB_REVIEWER", "editor"), key="screen_reviewer")
    states = states_of(inbox, reviewer)  # what this reviewer decided is not offered to them again
    ranker = _ranker(str(path), len(states), f"{lib.path}:{len(lib)}", inbox, lib)
    if len(ranker.ids) != len(states):
        _ranker.clear()
        ranker = _ranker(str(path), len(states), f"{lib.path}:{len(lib)}", inbox, lib)
    skipped = st.session_state.setdefault("screen_skip", [])
    ranked = ranker.rank(states, explain=len(skipped) + 1)
    counts = {s: sum(1 for v in states.values() if v == s) for s in ("open", "maybe", "conflict", "included",
                                                                     "excluded")}
    screened = counts["included"] + counts["excluded"]
    left = counts["open"] + counts["maybe"] + counts["conflict"]
    cols = st.columns(4)
    cols[0].metric("Screened", screened)
    cols[1].metric("Included", counts["included"])
    cols[2].metric("Remaining", left)
    cols[3].metric("Estimated relevant left", round(counts["included"] / screened * left, 1) if screened else "–",
                   help="share included so far times the records left")
    if states:
        st.progress(screened / len(states), text=f"{screened} of {len(states)} screened")
    if config.reviewers > 1 or counts["conflict"]:  # two-reviewer mode: conflicts and agreement
        pairs = reviewer_agreement(inbox.decisions_by_reviewer())
        lines = [f"{counts['conflict']} record(s) in conflict: a third reviewer decides them"]
        lines += [f"{' / '.join(map(str, item['reviewers']))}: {kappa_text(item)}"  # type: ignore[call-overload]
                  for item in pairs]
        st.caption(md("; ".join(lines)))
    queue = [i for i in ranked.ids if i not in skipped] or ranked.ids
    undo_target = inbox.last_decision(reviewer)
    undo = st.button("Undo last decision", key="screen_undo", shortcut="u", disabled=undo_target is None)
    if undo and undo_target is not None:
        inbox.undo(undo_target[0], reviewer)
        st.rerun()
    if not queue:
        st.success("Nothing left to screen.")
    else:
        _one(inbox, lib, queue[0], ranked.why(queue[0]), ranker.inclusion_terms(ranked.model),
             reviewer, config.reasons)
    with st.expander("PRISMA 2020 flow"):
        sources = ["all searches", *sorted({str(it["source"]) for it in inbox.identified()})]
        choice = st.selectbox("Flow of", sources, key="screen_flow_source")
        current = flow(inbox, None if choice == "all searches" else str(choice))
        png = to_png(current)
        st.image(png)
        svg_column, png_column = st.columns(2)
        svg_column.download_button("Download SVG", to_svg(current), file_name="prisma.svg", mime="image/svg+xml",
                                   key="prisma-svg")
        png_column.download_button("Download PNG", png, file_name="prisma.png", mime="image/png", key="prisma-png")


def _one(inbox: Inbox, lib: Library, record_id: int, why: str, terms: list[str],
         reviewer: str, reasons: list[str]) -> None:
    item = inbox.get(record_id)
    record = inbox.record(record_id)
    with st.container(border=True, key="screen_card"):
        st.markdown(f"#### {highlight(item.title, terms)}")
        st.caption(f"#{item.id} · from {md(item.source)} · {md(record.journal)} {record.year or ''}")
        st.markdown(highlight(record.abstract, terms) if record.abstract else "_No abstract._")
        if record.keywords:
            st.caption("Keywords: " + md("; ".join(record.keywords)))
        if why:
            st.caption(md(why[:1].upper() + why[1:]))
        if item.note:
            st.warning(md(item.note), icon=":material/content_copy:")
    reason = st.selectbox("Exclusion reason", reasons, key="screen_reason")
    cols = st.columns(4)
    if cols[0].button("Include", key="screen_include", shortcut="i", type="primary"):
        _decide(inbox, lib, record_id, "include", reviewer)
        st.rerun()
    if cols[1].button("Exclude", key="screen_exclude", shortcut="x"):
        _decide(inbox, lib, record_id, "exclude", reviewer, reason)
        st.rerun()
    if cols[2].button("Maybe", key="screen_maybe", shortcut="m"):
        _decide(inbox, lib, record_id, "maybe", reviewer)
        st.rerun()
    if cols[3].button("Next", key="screen_next", shortcut="n", help="skip for now"):
        st.session_state["screen_skip"].append(record_id)
        st.rerun()
