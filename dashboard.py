"""reflib dashboard (Streamlit): a thin layer over ``library`` — no parsing, no HTTP, no file writes of its own.

``make run`` starts it on the bundled references.bib; ``REFLIB_BIB`` opens another file and ``REFLIB_EDITOR=1``
turns on editor mode (never a URL parameter: a shared link must not grant write access). The address bar holds the
view, the filters and the open study, so every screen can be shared as a link.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard_pages import editor_pages, encyclopedia_page, layout, library_page, study_page
from dashboard_pages.session import malformed, md, open_library, settings, show_flash
from library import Library

VIEWS = {"library": ":material/library_books: Research library", "encyclopedia": ":material/menu_book: Encyclopedia"}
EDITOR_VIEWS = {"import": ":material/upload_file: Import studies", "duplicates": ":material/join: Duplicates",
                "screening": ":material/checklist: Screening"}


def _change_view() -> None:
    """Switching views closes an open study and keeps nothing but the new view in the address."""
    view = st.session_state.get("nav_view") or "library"
    st.query_params.clear()
    if view != "library":
        st.query_params["view"] = view


def _navigation(editor: bool) -> str:
    views = VIEWS | (EDITOR_VIEWS if editor else {})
    wanted = st.query_params.get("view", "library")
    if "nav_view" not in st.session_state:
        st.session_state["nav_view"] = wanted if wanted in views else "library"
    with st.sidebar:
        st.markdown("**:material/local_library: reflib**")
        st.radio("View", list(views), key="nav_view", format_func=views.__getitem__, on_change=_change_view,
                 label_visibility="collapsed")
    return st.session_state.get("nav_view") or "library"


def main() -> None:
    st.set_page_config(page_title="Research library — reflib", page_icon=":material/local_library:", layout="wide")
    config = settings()
    layout.apply()
    view = _navigation(config.editor)
    lib = open_library(config)
    if lib is None:
        return
    if config.editor:
        st.sidebar.caption(f":material/edit: **Editor mode** — changes are saved to {md(config.bib.name)}.")
    warning = st.empty()  # filled at the end: checking a large file must not hold back the page
    show_flash()
    study = st.query_params.get("study")
    if study and view == "library":
        study_page.render(lib, study, config.editor)
    elif view == "encyclopedia":
        encyclopedia_page.render(lib)
    elif view in EDITOR_VIEWS and config.editor:
        editor_pages.render(lib, view)
    else:
        library_page.render(lib, config.editor)
    _report_malformed(lib, warning)


def _report_malformed(lib: Library, slot: DeltaGenerator) -> None:
    problems = malformed(lib)
    if problems:
        slot.warning(f"{len(problems)} block(s) of the library file could not be read; they are kept in the file "
                     "unchanged and left out here. Fix them in the file: "
                     + "; ".join(md(str(p)) for p in problems[:10]) + (" …" if len(problems) > 10 else ""),
                     icon=":material/warning:")


main()
