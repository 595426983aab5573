"""Editor mode on the study page: evidence fields, synopsis, verification and links to encyclopedia entries.

Each action edits a copy of the record, hands it to the store (``lib.update``) and saves through
:func:`session.save_library`, so every write is atomic, locked and refused when the file changed on disk.
"""

from __future__ import annotations

import streamlit as st

from library import Library, LibraryError, Record
from library.evidence import QUESTIONS, link_study, parse_level, unlink_study
from library.evidence.editor import level_from_form, level_warning, set_field
from library.evidence.level import derive_level
from library.views import DESIGN_ORDER, STANCES, design_label, level_label, topic_options

from . import catalog
from .session import flash, md, save_library, show_flash

AS_THE_DESIGN_GIVES = 0  # the level selectbox's "as the design gives" (not None: that is "nothing chosen")
_RELEVANCE = {0: "not rated", 1: "1 · not relevant", 2: "2 · marginal", 3: "3 · useful", 4: "4 · important",
              5: "5 · core"}


def _level_parts(level: str) -> tuple[str, int | None]:
    try:
        parsed = parse_level(level)
    except ValueError:
        return "", None
    return parsed.question, parsed.level


def _form_values(record: Record) -> dict[str, object]:
    """What each field of the form shows for ``record`` (its widget's value before any editing)."""
    current_q, current_n = _level_parts(record.level)
    derived = _level_parts(derive_level(record.effective_design, current_q))[1] if current_q else None
    return {
        "topics": list(record.topics), "design": record.design if record.design in DESIGN_ORDER else "",
        "question": current_q if current_q in QUESTIONS else "",
        "level": current_n if current_n is not None and current_n != derived else AS_THE_DESIGN_GIVES,
        "level-reason": record.level_reason, "stance": record.stance if record.stance in STANCES else "",
        "relevance": record.relevance or 0, "verified": record.verification == "verified",
        "unverified": "" if record.verification == "verified" else record.unverified,
        "tldr": record.synopsis.tldr, "findings": record.synopsis.findings,
        "implications": record.synopsis.implications, "notes": record.notes}


def _follow_the_file(prefix: str, fresh: dict[str, object]) -> None:
    """When the record changed under the form (a suggestion accepted, another editor saved and the library was
    reloaded), every field this editor has not touched shows the record as it is now. A field the editor changed
    keeps their value; after a successful save of this form every field shows the record as saved.

    The widget's value is *set*, never just dropped from the session: the browser keeps the value of a widget
    whose state was dropped and sends it back on the next Save, which wrote the old topics back over an
    accepted suggestion (and old values over another editor's change)."""
    baseline_key = f"{prefix}-baseline"
    baseline = st.session_state.get(baseline_key)
    saved = st.session_state.pop(f"{prefix}-saved", False)
    if isinstance(baseline, dict) and (saved or baseline != fresh):
        for name, value in fresh.items():
            widget = f"{prefix}-{name}"
            if widget in st.session_state and (saved or st.session_state[widget] == baseline.get(name)):
                st.session_state[widget] = value
    st.session_state[baseline_key] = fresh


def _evidence_form(lib: Library, record: Record) -> None:
    prefix = f"edit-{record.key}"
    _follow_the_file(prefix, _form_values(record))
    known = catalog.taxonomy_topics() or topic_options(lib.frame())
    with st.form(f"{prefix}-form", border=True):
        st.markdown("**Evidence**")
        topics = st.multiselect("Topics (manual)", list(dict.fromkeys([*known, *record.topics])),
                                default=record.topics, key=f"{prefix}-topics", accept_new_options=True,
                                help="Manual topics always win over automatic ones. Pick from the taxonomy or type "
                                     "a topic's name; topics not in taxonomy.toml are refused.")
        left, middle, right = st.columns(3)
        designs = ["", *DESIGN_ORDER]
        design = left.selectbox(
            "Study design", designs, index=designs.index(record.design) if record.design in designs else 0,
            format_func=lambda d: design_label(d) if d else f"automatic ({design_label(record.design_auto)})",
            key=f"{prefix}-design")
        questions = ["", *QUESTIONS]
        current_q, current_n = _level_parts(record.level)
        question = middle.selectbox("Question type", questions,
                                    index=questions.index(current_q) if current_q in questions else 0,
                                    format_func=lambda q: q or "automatic", key=f"{prefix}-question",
                                    help=f"Automatic: {md(level_label(record.level_auto))}")
        numbers = [AS_THE_DESIGN_GIVES, 1, 2, 3, 4, 5]
        derived = _level_parts(derive_level(record.effective_design, current_q))[1] if current_q else None
        shown = current_n if current_n is not None and current_n != derived else AS_THE_DESIGN_GIVES
        number = right.selectbox("Evidence level", numbers, index=numbers.index(shown), key=f"{prefix}-level",
                                 format_func=lambda n: "as the design gives" if n == AS_THE_DESIGN_GIVES else str(n),
                                 help="OCEBM 2011: 1 strongest … 5 weakest. 'As the design gives' follows the "
                                      "study design and question type; a level above that needs a reason.")
        level_reason = st.text_input("Reason for a level above what the design gives", value=record.level_reason,
                                     key=f"{prefix}-level-reason",
                                     help="OCEBM 2011 allows grading up, e.g. for a dramatic effect")
        left, right = st.columns(2)
        stances = ["", *STANCES]
        stance = left.selectbox("Stance", stances, index=stances.index(record.stance) if record.stance in stances
                                else 0, format_func=lambda s: s.capitalize() or "not set", key=f"{prefix}-stance")
        relevance = right.selectbox("Relevance", list(_RELEVANCE), index=record.relevance or 0,
                                    format_func=_RELEVANCE.__getitem__, key=f"{prefix}-relevance")
        st.markdown("**Verification**")
        verified = st.checkbox("Every field was checked against the source", value=record.verification == "verified",
                               key=f"{prefix}-verified")
        still = st.text_input("Still to check", value="" if record.verification == "verified" else record.unverified,
                              key=f"{prefix}-unverified", help="e.g. 'volume, pages'; ignored when all are checked")
        st.markdown("**Synopsis**")
        tldr = st.text_input("TL;DR (one sentence)", value=record.synopsis.tldr, key=f"{prefix}-tldr")
        findings = st.text_area("Key findings", value=record.synopsis.findings, key=f"{prefix}-findings", height=90)
        implications = st.text_area("Clinical implications", value=record.synopsis.implications,
                                    key=f"{prefix}-implications", height=90)
        notes = st.text_area("Editor's notes", value=record.notes, key=f"{prefix}-notes", height=70)
        submitted = st.form_submit_button("Save changes", type="primary", icon=":material/save:")
    if not submitted:
        return
    if number != AS_THE_DESIGN_GIVES and not question:  # a number alone was dropped while "Saved" was shown
        st.error("Not saved: an evidence level needs a question type (therapy, diagnosis …). Choose one, or set "
                 "the evidence level back to 'as the design gives'.")
        return
    try:
        current = lib.get(record.key)
        level = level_from_form(design or current.design_auto, question, number or None, current.level)
        edited = _apply(current, {
            "design": design, "level_reason": level_reason, "level": level, "stance": stance,
            "relevance": str(relevance or ""), "unverified": "none" if verified else still,
            "tldr": tldr, "findings": findings, "implications": implications, "notes": notes})
        edited.topics = _topics(topics, record.topics)
    except LibraryError as exc:  # an invalid value or an unknown topic: nothing is written
        st.error(f"Not saved: {md(exc)}")
        return
    warning = level_warning(current, edited)  # e.g. a new design under an automatic level: `reflib set` warns too
    lib.update(edited)
    if save_library(lib, f"Saved {record.key}.", where="study-form"):
        st.session_state[f"{prefix}-saved"] = True
        if warning:
            flash("warning", f"Saved {record.key}, but its evidence level no longer fits: {warning}", "study-form")
    st.rerun()


def _apply(record: Record, values: dict[str, str]) -> Record:
    """Every field through library.evidence's validation, so the dashboard accepts what `reflib set` accepts."""
    for name, value in values.items():
        record = set_field(record, name, value)
    return record


def _topics(chosen: list[str], current: list[str]) -> list[str]:
    """Picked or typed topics as the taxonomy spells them; a typed name or id is resolved, an unknown one refused
    (a topic the record already had stays, so an old topic never blocks saving other fields)."""
    tree = catalog.taxonomy()
    out: list[str] = []
    for topic in (t.strip() for t in chosen if t.strip()):
        path = topic if topic in current or tree is None or not len(tree) else tree.resolve(topic).path
        if path not in out:
            out.append(path)
    return out


def _links(lib: Library, record: Record) -> None:
    prefix = f"link-{record.key}"
    titles = catalog.entry_titles()
    st.markdown("**Encyclopedia links**")
    if not record.links:
        st.caption("Not linked to any entry yet.")
    for link in record.links:
        text, button = st.columns([5, 1], vertical_alignment="center")
        where = f"cited (source {link.number})" if link.kind == "cited" and link.number else link.kind
        text.markdown(f"{md(titles.get(link.slug, link.slug))} — {md(where)}")
        if button.button("Unlink", key=f"{prefix}-unlink-{link.slug}-{link.kind}", icon=":material/link_off:"):
            unlink_study(lib, record.key, link.slug, link.kind)
            save_library(lib, f"Unlinked {record.key} from {link.slug}.", where="study-links")
            st.rerun()
    slugs = list(titles) + sorted({link.slug for link in record.links} - set(titles))
    with st.form(f"{prefix}-form", border=True):
        slug = st.selectbox("Entry", slugs, index=None, format_func=lambda s: titles.get(s, s),
                            key=f"{prefix}-slug", placeholder="Choose an entry…")
        kind, number = st.columns([3, 2], vertical_alignment="bottom")
        how = kind.radio("As", ["discussed", "cited"], horizontal=True, key=f"{prefix}-kind",
                         format_func={"discussed": "Discussed in", "cited": "Cited in"}.__getitem__)
        position = number.number_input("Source number", min_value=0, value=0, step=1, key=f"{prefix}-number",
                                       help="Its number in 'Cited in this entry' (0 = the next free number)")
        add = st.form_submit_button("Link to entry", icon=":material/add_link:")
    if add:
        if not slug:
            st.warning("Choose an entry first.")
            return
        try:
            made = link_study(lib, record.key, slug.strip(), how, int(position) or None, catalog.entries())
        except LibraryError as exc:  # unknown entry, citation number taken
            st.error(f"Not linked: {md(exc)}")
            return
        where = f"cited as source {made.number}" if made.kind == "cited" else "discussed"
        save_library(lib, f"Linked {record.key} to {slug} ({where}).", where="study-links")
        st.rerun()


def render(lib: Library, record: Record) -> None:
    st.header(":material/edit: Edit this study", anchor="edit-this-study")
    left, right = st.columns([3, 2], gap="large")
    with left:
        _evidence_form(lib, record)
        show_flash("study-form")  # the outcome right below the Save button that caused it
    with right:
        _links(lib, record)
        show_flash("study-links")
