"""'Cite this study' in AMA, Vancouver, APA and MLA with copy buttons, and the per-study RIS download.

Each citation is shown as the style prints it (HTML from library.export.citeproc: every character of record text
is escaped there first, then only the style's <i>/<b>/<sup>/<sub> markup is added, so no record text can become
markup) and below it as plain text in a code block, whose copy button copies plain text that pastes anywhere.
Only the open tab is formatted (citeproc takes tens of milliseconds per style), and the RIS file is made when its
button is clicked.
"""

from __future__ import annotations

import functools
import re

import streamlit as st

from library import LibraryError, Record
from library.export import format_citation, to_ris

STYLES = {"ama": "AMA", "vancouver": "Vancouver", "apa": "APA 7", "mla": "MLA 9"}


def _file_stem(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("._") or "citation"


@st.cache_resource(max_entries=256, show_spinner=False)
def _citation(_record: Record, fingerprint: str, style: str, output: str = "text") -> str:
    """Cached per record content (its repr), style and output: reopening a study or switching back is free."""
    return format_citation(_record, style, output)


def _ris(record: Record) -> bytes:
    return to_ris([record]).encode("utf-8")


def render(record: Record) -> None:
    st.markdown("## Cite this study")
    tabs = st.tabs(list(STYLES.values()), key="cite_style", on_change="rerun")
    for tab, style in zip(tabs, STYLES, strict=True):
        if not tab.open:
            continue
        with tab:
            try:
                text = _citation(record, repr(record), style)
                shown = _citation(record, repr(record), style, "html")
            except (LibraryError, ValueError) as exc:  # a style that cannot format it must not hide the page
                st.caption(f"This citation could not be formatted: {exc}")
                continue
            # escaped HTML; its colons as entities too: Streamlit reads ":material/warning:" as an icon even here
            shown = shown.replace(":", "&#58;")
            st.markdown(f'<div class="reflib-citation">{shown}</div>', unsafe_allow_html=True)
            st.code(text, language=None, wrap_lines=True)
    st.caption("The copy button at the top right of the plain-text block copies the citation without markup.")
    st.download_button("Download RIS (EndNote, Zotero, Mendeley)", functools.partial(_ris, record),
                       file_name=f"{_file_stem(record.key)}.ris", mime="application/x-research-info-systems",
                       icon=":material/download:", on_click="ignore", key=f"ris-{record.key}")
