"""reflib dashboard (Streamlit): a thin layer over ``library`` — no parsing, no HTTP, no file writes here."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from library import Library, LibraryError
from library.frame import FrameQuery, filter_frame

BIB = Path(os.environ.get("REFLIB_BIB", "references.bib"))


@st.cache_resource(show_spinner="Opening the library…")
def _open(path: str, mtime_ns: int) -> Library:
    return Library.load(path)


def main() -> None:
    st.set_page_config(page_title="reflib — research library", layout="wide")
    st.title("Research library")
    try:
        lib = _open(str(BIB), BIB.stat().st_mtime_ns if BIB.exists() else 0)
    except (LibraryError, OSError) as exc:
        st.error(str(exc))
        return
    problems = lib.malformed()
    if problems:
        st.warning("Some blocks of the library could not be read and were kept as they are: "
                   + "; ".join(f"line {p.line}: {p.message}" for p in problems[:10]))
    query = st.text_input("Search title, abstract, authors")
    frame = filter_frame(lib.frame(), FrameQuery(query=query))
    st.caption(f"{len(frame)} of {len(lib)} studies")
    st.dataframe(frame[["key", "year", "first_author", "title", "journal", "design"]], hide_index=True)


main()
