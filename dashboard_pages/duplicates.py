"""Duplicates: the review page (merge or keep apart, remembered in the decisions file) and the import's review.

library.dedupe decides per pair: ``auto`` (sure: merged on request, in one click per cluster), ``review`` (an
editor compares the two side by side) or ``veto`` (look-alikes that must stay apart; not shown). A "not the same
study" answer goes into ``<library>.dedupe.json`` so the pair is never proposed again. Related records (an
erratum, reply, comment, protocol or meeting abstract of another record) are never merged; "Link" stores the
relation in the first record's ``relations`` field. Saved merges are kept in ``<library>.merges.json``; "Recent
merges" lists them with an Undo button (refused, with the reason, when the merged record was edited since).

The library-wide scan runs once per library version and set of decisions (shared by reruns and sessions) on the
library's cached frame, as ``reflib dedupe`` does: it never builds a Record per entry. Each list is shown a page
at a time, so a library with thousands of findings renders a few dozen rows, not thousands of widgets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from ingest.importer import ImportReport
from library import Library, LibraryError, Record
from library.dedupe import (
    DedupeResult,
    MergeError,
    MergeResult,
    PairEvidence,
    Related,
    decisions_path,
    store_relations,
)
from library.dedupe.decisions import Decisions
from library.dedupe.undo_log import SavedMerge, journal_path
from library.model import Relation
from library.normalize import normalize_record
from library.services import (
    apply_merges,
    decisions_of,
    recent_merges,
    record_decision,
    scan_duplicates,
    settle_undo_log,
    undo_merge,
)
from library.views import studies

from .session import frame_token, md, open_study, save_library

_COMPARED = (("Title", "title"), ("Authors", "authors"), ("Journal", "journal"), ("Year", "year"),
             ("Volume", "volume"), ("Issue", "issue"), ("Pages", "pages"), ("DOI", "doi"), ("PMID", "pmid"),
             ("Design", "design"))


def _decisions(lib: Library) -> Decisions:
    try:
        return decisions_of(lib)
    except LibraryError as exc:
        st.warning(f"Earlier review decisions cannot be read: {md(exc)}")
        return Decisions()


def _decisions_token(decided: Decisions) -> str:
    """What the scan depends on in the decisions: the pairs and their answers (a flipped answer keeps the count)."""
    pairs = repr((sorted(decided.accepted), sorted(decided.rejected))).encode()
    return hashlib.sha1(pairs, usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class Findings:
    """One scan of the library and the related links whose relation is not stored yet."""

    result: DedupeResult
    related: list[Related]


@st.cache_resource(max_entries=2, show_spinner="Looking for duplicates…")
def _scan(_lib: Library, token: str, _decided: Decisions, decided: str) -> Findings:
    """Once per library version (``token``) and decisions: reruns, paging and other sessions reuse it."""
    result = scan_duplicates(_lib, _decided)
    return Findings(result, _unstored(_lib, result))


CLUSTERS_PER_PAGE = 20
REVIEWS_PER_PAGE = 5  # each pair is a side-by-side table of ten fields and four buttons
RELATED_PER_PAGE = 20


def page_range(count: int, per_page: int, page: int) -> range:
    """Positions of the items on ``page`` (1-based, clamped to the pages there are) of ``count`` items."""
    pages = max(1, -(-count // per_page))
    start = (min(max(1, page), pages) - 1) * per_page
    return range(start, min(count, start + per_page))


def _shown(count: int, per_page: int, key: str) -> range:
    """The items on the page chosen with the page buttons ``key`` (drawn by :func:`_pager` below the items); when
    a merge removed the chosen page, the new last page."""
    chosen = st.session_state.get(key, 1)
    shown = page_range(count, per_page, chosen if isinstance(chosen, int) else 1)
    if count > per_page:
        st.caption(f"Showing {shown.start + 1:,}–{shown.stop:,} of {count:,}.")
    return shown


def _pager(count: int, per_page: int, key: str, shown: range) -> None:
    """Page buttons; a chosen page that no longer exists falls back to ``default``, the page shown above."""
    pages = -(-count // per_page)
    if pages > 1:
        st.pagination(pages, default=shown.start // per_page + 1, key=key, max_visible_pages=7)


# --- import ---------------------------------------------------------------------------------------------------
def review_import(lib: Library, records: Sequence[Record], report: ImportReport) -> dict[int, str]:
    """The import's pairs for review, both records side by side: the editor ticks the ones to merge into the
    library's record; returns {position in the file: library key}. Pairs of two new records are shown too (they
    are merged on this page after the import)."""
    if not report.review:
        return {}
    st.markdown(f"#### Possible duplicates to review ({len(report.review)})")
    st.caption("These may be the same publication as a record in the library (or in this file), but the rules are "
               "not sure: each is added as a new record unless you tick it. Why they look alike, and what keeps "
               "them apart, is under each pair.")
    chosen: dict[int, str] = {}
    for n, pair in enumerate(report.review):
        mine = normalize_record(records[pair.incoming])
        other = normalize_record(records[pair.other_incoming]) if pair.other_added else lib.get(pair.other)
        with st.container(border=True):
            st.caption("; ".join(md(r) for r in pair.reasons))
            _compare(mine, other, "In the file", f"In the file ({pair.other})" if pair.other_added
                     else f"In the library ({pair.other})")
            if pair.other_added:
                st.caption("Both are new: merge them on the Duplicates page after the import if they are one study.")
            elif st.checkbox("Same study: merge into the library's record", key=f"import-merge-{n}"):
                chosen[pair.incoming] = pair.other
    return chosen


# --- review page --------------------------------------------------------------------------------------------------
def _value(record: Record, field: str) -> str:
    if field == "authors":
        names = [a.display() for a in record.authors]
        return "; ".join(names[:6]) + (" …" if len(names) > 6 else "")
    if field == "design":
        return record.effective_design
    return str(getattr(record, field) or "")


def _side_by_side(lib: Library, pair: PairEvidence) -> None:
    _compare(lib.get(pair.a), lib.get(pair.b), pair.a, pair.b)


def _compare(a: Record, b: Record, label_a: str, label_b: str) -> None:
    """Two records field by field; values that differ are highlighted (text only, never HTML)."""
    header = st.columns([1, 3, 3])
    header[1].markdown(f"**{md(label_a)}**")
    header[2].markdown(f"**{md(label_b)}**")
    for label, field in _COMPARED:
        left, right = _value(a, field), _value(b, field)
        row = st.columns([1, 3, 3])
        row[0].markdown(f":gray[{label}]")
        same = left.casefold() == right.casefold()
        row[1].markdown(md(left) if same or not left else f":orange[{md(left)}]")
        row[2].markdown(md(right) if same or not right else f":orange[{md(right)}]")


def _merge(lib: Library, keys: list[str], decided: Decisions | None = None) -> None:
    def save(merges: list[MergeResult]) -> bool:
        (result,) = merges
        return save_library(lib, f"Merged {', '.join(result.removed)} into {result.keeper}"
                            + (f"; {len(result.conflicts)} differing value(s) kept in provenance."
                               if result.conflicts else ".") + " Recent merges below can undo it.")

    try:  # the undo journal first, then the library: a crash in between leaves both consistent
        apply_merges(lib, [keys], save=save, decisions=decided)
    except MergeError as exc:
        st.error(f"Not merged: {md(exc)}")
        return
    except (LibraryError, OSError) as exc:
        st.error(f"Not merged: the merge journal cannot be written ({md(exc)}).")
        return
    st.rerun()


def _undo(lib: Library, entry: SavedMerge) -> None:
    try:
        undo_merge(lib, entry, save=lambda: save_library(lib, f"Undone: {entry.describe()}."))
    except LibraryError as exc:
        st.session_state["_journal_error"] = str(exc)
    st.rerun()


RECENT = 5


def _recent(lib: Library) -> None:
    """The newest saved merges, each with an Undo button."""
    error = st.session_state.pop("_journal_error", None)
    if error:
        st.error(md(error))
    try:
        if not lib.dirty:
            for note in settle_undo_log(lib):  # what an interrupted merge or undo left marked
                st.info(f"Merge journal: {md(note)}")
        entries = recent_merges(lib)
    except LibraryError as exc:
        st.warning(f"Saved merges cannot be read: {md(exc)}")
        return
    if not entries:
        return
    st.markdown("### Recent merges")
    st.caption(f"Kept in {journal_path(lib.path).name}. Undo puts the merged copies back and the kept record as it "
               "was before the merge.")
    for n, entry in enumerate(reversed(entries[-RECENT:])):
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.markdown(f"{md(entry.date)}: **{md(', '.join(entry.removed))}** merged into **{md(entry.keeper)}** — "
                      f"{md(entry.merged.title[:80])}")
        if button.button("Undo", key=f"dup-undo-{n}", icon=":material/undo:"):
            _undo(lib, entry)


def _reject(lib: Library, pair: PairEvidence, decided: Decisions) -> None:
    try:
        record_decision(lib, decided, pair.a, pair.b, same=False)
    except OSError as exc:
        st.error(f"The decision could not be saved: {md(exc)}")
        return
    st.rerun()


def _unstored(lib: Library, result: DedupeResult) -> list[Related]:
    """Related links found whose relation is not stored yet."""
    return [link for link in result.related if link.a in lib and link.b in lib
            and Relation(link.kind, link.b) not in lib.get(link.a).relations]


def _relate(lib: Library, link: Related) -> None:
    if store_relations(lib, [(link.a, link.kind, link.b)]):
        save_library(lib, f"Stored: {link.a} {link.kind} {link.b}.")
    st.rerun()


def _related(lib: Library, related: list[Related]) -> None:
    st.markdown(f"### Related records ({len(related)})")
    st.caption("An erratum, retraction, comment, reply, protocol or meeting abstract of another record: never "
               "merged. Link stores the relation on the first record; both study pages then show it.")
    shown = _shown(len(related), RELATED_PER_PAGE, "dup-related-page")
    for n in shown:
        link = related[n]
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.markdown(f"**{md(link.a)}** {md(link.kind)} **{md(link.b)}** — {md(lib.get(link.a).title[:80])}  \n"
                      f"{md('; '.join(link.reasons))}")
        if button.button("Link", key=f"dup-relate-{n}", icon=":material/link:"):
            _relate(lib, link)
    _pager(len(related), RELATED_PER_PAGE, "dup-related-page", shown)


def render(lib: Library) -> None:
    st.title("Duplicates")
    decided = _decisions(lib)
    findings = _scan(lib, frame_token(lib), decided, _decisions_token(decided))
    result, related = findings.result, findings.related
    st.caption(f"{studies(result.records)} checked ({result.compared:,} candidate pairs compared). "
               f"Decisions are remembered in {decisions_path(lib.path).name}.")
    if not result.has_findings:
        st.success("No duplicates found.", icon=":material/check_circle:")
        if related:
            _related(lib, related)
        _recent(lib)
        return
    if result.clusters:
        st.markdown(f"### Sure duplicates ({len(result.clusters)})")
        st.caption("The same publication by the rules (an identifier whose titles and authors agree, or title, year "
                   "and authors with an agreeing journal, volume or page): merging keeps every value (differences "
                   "go to provenance).")
        shown = _shown(len(result.clusters), CLUSTERS_PER_PAGE, "dup-cluster-page")
        for n in shown:
            cluster = result.clusters[n]
            text, button = st.columns([5, 1], vertical_alignment="center")
            titles = " · ".join(md(lib.get(k).title[:80]) for k in cluster.keys[:2])
            reasons = list(dict.fromkeys(r for pair in cluster.pairs for r in pair.reasons))
            text.markdown(f"**{md(', '.join(cluster.keys))}** — {titles}"
                          + (f"  \n:gray[why: {md('; '.join(reasons[:4]))}]" if reasons else ""))
            if button.button("Merge", key=f"dup-cluster-{n}", icon=":material/merge:"):
                _merge(lib, list(cluster.keys))
        _pager(len(result.clusters), CLUSTERS_PER_PAGE, "dup-cluster-page", shown)
    if result.review:
        st.markdown(f"### To review ({len(result.review)})")
        shown = _shown(len(result.review), REVIEWS_PER_PAGE, "dup-review-page")
        for n in shown:
            pair = result.review[n]
            with st.container(border=True):
                st.caption(f"Score {pair.score:.2f} · {md('; '.join(pair.reasons))}")
                _side_by_side(lib, pair)
                same, different, left, right = st.columns(4)
                if same.button("Same study: merge", key=f"dup-merge-{n}", type="primary"):
                    _merge(lib, [pair.a, pair.b], decided)
                if different.button("Different studies", key=f"dup-reject-{n}"):
                    _reject(lib, pair, decided)
                left.button(f"Open {md(pair.a)}", key=f"dup-open-a-{n}", on_click=_open, args=(pair.a,),
                            type="tertiary")
                right.button(f"Open {md(pair.b)}", key=f"dup-open-b-{n}", on_click=_open, args=(pair.b,),
                             type="tertiary")
        _pager(len(result.review), REVIEWS_PER_PAGE, "dup-review-page", shown)
    if related:
        _related(lib, related)
    _recent(lib)


def _open(key: str) -> None:
    st.session_state["nav_view"] = "library"
    st.query_params.clear()
    open_study(key)
