"""Editor pages: import a file (preview the import report, then confirm) and review duplicate pairs.

Nothing is written before the editor confirms: the preview runs the importer with ``dry_run=True`` on the same
library object, and the confirmed import runs it again for real and saves through the store.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ingest.base import ReadError
from ingest.importer import ImportReport
from ingest.readers import FORMATS as READ_FORMATS
from ingest.services import ImportOptions, import_file, preview_import, read_import
from library import Library
from library.evidence import classify_record
from library.views import design_short, level_short, topic_options

from . import catalog, duplicates
from .session import md, save_library, show_flash


def _options(lib: Library) -> tuple[list[str], str | None, str | None]:
    titles = catalog.entry_titles()
    with st.expander("Tag and link everything in this file (optional)"):
        topics = st.multiselect("Add topics", topic_options(lib.frame(), catalog.taxonomy_topics()),
                                key="import_topics")
        left, right = st.columns([3, 2])
        entry = left.selectbox("Link to entry", sorted(titles), index=None, key="import_entry",
                               format_func=lambda s: titles.get(s, s), placeholder="no entry")
        kind = right.radio("As", ["discussed", "cited"], horizontal=True, key="import_kind",
                           format_func={"discussed": "Discussed in", "cited": "Cited in"}.__getitem__)
    return topics, entry, kind if entry else None


def _report(report: ImportReport, problems: list[str]) -> None:
    present = [m for m in report.merged if not m.within_file]
    unchanged = sum(1 for m in present if not m.changed)
    cols = st.columns(6)
    cols[0].metric("New studies", len(report.added))
    cols[1].metric("Already in the library", len(present), help=f"{unchanged} of them would not change")
    cols[2].metric("Skipped", len(report.skipped))
    cols[3].metric("Copies in the file", len(report.merged) - len(present),
                   help="sure copies of another record of this file: merged into it")
    cols[4].metric("To review", len(report.review), help="added as new studies unless you tick them above")
    cols[5].metric("Problems", len(problems))
    tabs = st.tabs(["New", "Matches (merge)", "To review", "Skipped", "Problems", "Full report"])
    with tabs[0]:
        st.caption("Each new study as it will be stored: the topics, design and level are the ones the "
                   "classification rules will give it (editors can change them afterwards).")
        st.dataframe(new_studies_table(report), hide_index=True, placeholder="", row_height=70,
                     column_order=["title", "year", "authors", "journal", "design", "level", "topics",
                                   "possible duplicate of", "identifiers", "key", "key in file"],
                     column_config={"title": st.column_config.TextColumn(width=260),
                                    "year": st.column_config.NumberColumn(format="%d", width=52),
                                    "authors": st.column_config.TextColumn(width=120),
                                    "journal": st.column_config.TextColumn(width=120),
                                    "design": st.column_config.TextColumn(width=90),
                                    "level": st.column_config.TextColumn(width=90),
                                    "topics": st.column_config.TextColumn(width=170)})
    with tabs[1]:
        st.caption("Sure matches only. Matched records keep their key; only empty fields are filled, differing "
                   "values are kept in provenance.")
        st.dataframe(pd.DataFrame([{"into": m.key, "incoming": m.incoming, "matched on": m.matched_on,
                                    "why": "; ".join(m.reasons), "fills": ", ".join(m.filled),
                                    "conflicts": "; ".join(m.conflicts)} for m in report.merged]),
                     hide_index=True, placeholder="")
    with tabs[2]:
        st.dataframe(pd.DataFrame([{"new": r.key, "may be": r.other, "why": "; ".join(r.reasons)}
                                   for r in report.review]), hide_index=True, placeholder="")
    with tabs[3]:
        st.dataframe(pd.DataFrame([{"record": s.record, "reason": s.reason} for s in report.skipped]),
                     hide_index=True, placeholder="")
    with tabs[4]:
        for problem in problems:
            st.markdown(f"- {md(problem)}")
        if not problems:
            st.caption("No problems.")
    with tabs[5]:
        st.code(report.summary(limit=500), language=None)


PREVIEW_CLASSIFY_MAX = 2_000  # classifying takes ~1 ms a record: beyond this the preview lists without it


def new_studies_table(report: ImportReport) -> pd.DataFrame:
    """Key, title, year, authors, journal, identifiers, topics, design, level and possible duplicates of every
    record the import would add."""
    tree = catalog.taxonomy() if len(report.added) <= PREVIEW_CLASSIFY_MAX else None
    review: dict[str, list[str]] = {}
    for pair in report.review:
        review.setdefault(pair.key, []).append(pair.other)
    rows = []
    for added in report.added:
        record = added.record
        if record is not None and tree is not None:
            record = classify_record(record, tree)
        rows.append({
            "key": added.key, "title": added.title,
            "year": (record.year if record is not None else None),
            "authors": ", ".join(a.display() for a in record.authors[:3]) + (" et al." if len(record.authors) > 3
                                                                             else "") if record else "",
            "journal": record.journal if record else "",
            "identifiers": " ".join(x for x in ((f"doi:{record.doi}" if record.doi else ""),
                                                (f"PMID {record.pmid}" if record.pmid else "")) if x)
                           if record else "",
            "topics": "; ".join(record.all_topics) if record else "",
            "design": design_short(record.effective_design) if record else "",
            "level": level_short(record.effective_level) if record else "",
            "possible duplicate of": ", ".join(review.get(added.key, [])),
            "key in file": added.source_key,
        })
    return pd.DataFrame(rows)


def render_import(lib: Library) -> None:
    st.title("Import studies")
    formats = ", ".join(spec.description for spec in READ_FORMATS.values())
    st.caption(f"Reads {formats}, also gzip-compressed. The format is recognized from the content. Nothing is "
               "written until you confirm.")
    nonce = st.session_state.setdefault("_import_nonce", 0)
    uploaded = st.file_uploader("File to import", key=f"import_file-{nonce}")
    show_flash("import")  # the outcome of the last import, where the next file is chosen
    topics, entry, kind = _options(lib)
    if uploaded is None:
        return
    try:
        result = read_import(uploaded.getvalue(), uploaded.name)
    except ReadError as exc:
        st.error(f"This file cannot be imported: {md(exc)}", icon=":material/error:")
        return
    problems = [("warning (kept as given, not blocking): " if p.severity == "warning" else "") + str(p)
                for p in result.problems]
    if not result.records:
        st.warning(f"No study could be read from {md(uploaded.name)}.")
        for problem in problems:
            st.markdown(f"- {md(problem)}")
        return
    st.markdown(f"**{len(result.records)}** record(s) read from {md(uploaded.name)} ({md(result.format)}).")
    first = preview_import(lib, result.records, uploaded.name)
    chosen = duplicates.review_import(lib, result.records, first)
    options = ImportOptions(topics=topics, entry=entry, link_kind=kind)
    preview = first if not (chosen or topics or entry) else preview_import(lib, result.records, uploaded.name,
                                                                           options, chosen)
    _report(preview, problems)
    if not preview.changed:
        st.info("Everything in this file is already in the library; importing would change nothing.")
        return
    if st.button(f"Import: add {len(preview.added)}, update {sum(1 for m in preview.merged if m.changed)}",
                 type="primary", icon=":material/download_done:", key="import_confirm"):
        def save(report: ImportReport) -> bool:
            saved = save_library(lib, f"Imported {uploaded.name}: {len(report.added)} added, "
                                      f"{sum(1 for m in report.merged if m.changed)} updated.", where="import")
            if saved:
                st.session_state["_import_nonce"] = nonce + 1
            return saved

        import_file(lib, result.records, uploaded.name, options, chosen, save=save)
        st.rerun()


def render(lib: Library, view: str) -> None:
    if view == "import":
        render_import(lib)
    elif view == "screening":
        from . import screening  # scikit-learn and scipy (~2 s to import): only when the page is opened

        screening.render(lib)
    else:
        duplicates.render(lib)
