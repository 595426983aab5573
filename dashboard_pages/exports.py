"""Downloads of the current filtered set in every export format (library.export does the work).

Files are generated only when a button is clicked (Streamlit's deferred download), so a page showing 100k studies
does not format 100k references on every rerun.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from library import Library
from library.export import FORMATS, STYLE_FORMATS, export_records
from library.views import studies

LABELS = {"bibtex": "BibTeX", "biblatex": "BibLaTeX", "ris": "RIS", "csl-json": "CSL-JSON", "csv": "CSV",
          "ama": "AMA", "vancouver": "Vancouver", "apa": "APA 7", "mla": "MLA 9"}
HELP = {"bibtex": "for LaTeX with BibTeX", "biblatex": "for LaTeX with biber", "ris": "EndNote, Zotero, Mendeley",
        "csl-json": "pandoc, Zotero", "csv": "spreadsheets", "ama": "formatted reference list",
        "vancouver": "formatted reference list (NLM)", "apa": "formatted reference list",
        "mla": "formatted reference list"}
CUSTOM_FORMATS = ("bibtex", "biblatex", "csl-json")  # formats that can carry reflib's evidence fields
STYLE_LIMIT = 5_000  # formatting references is ~ms each; beyond this the browser would wait minutes


def export_payload(lib: Library, keys: Sequence[str], fmt: str, keep_custom: bool = False) -> bytes:
    """The file a download button delivers: the records in the order shown, exported as ``fmt``."""
    records = [lib.get(key) for key in keys if key in lib]
    return export_records(records, fmt, keep_custom=keep_custom and fmt in CUSTOM_FORMATS).text.encode("utf-8")


def _deferred(lib: Library, frame: pd.DataFrame, positions: np.ndarray, fmt: str, keep: bool) -> bytes:
    """Runs only when the button is clicked: even listing 100k keys is too slow for every rerun."""
    return export_payload(lib, frame["key"].take(positions).tolist(), fmt, keep)


def file_name(stem: str, fmt: str) -> tuple[str, str]:
    """(file name, mime type) for ``fmt``; asks the exporter with no records, which costs nothing."""
    empty = export_records([], fmt)
    suffix = f"-{fmt}" if fmt in STYLE_FORMATS or fmt == "biblatex" else ""
    return f"{stem}{suffix}.{empty.extension}", empty.mime


def _stem(params: dict[str, str | list[str]]) -> str:
    words = [params["q"]] if isinstance(params.get("q"), str) else []
    for name in ("topic", "design", "entry"):
        value = params.get(name)
        words += [value] if isinstance(value, str) else list(value or [])[:2]
    stem = re.sub(r"[^A-Za-z0-9]+", "-", " ".join(str(w) for w in words)).strip("-").lower()[:60]
    return f"reflib-{stem}" if stem else "reflib-library"


def render(lib: Library, frame: pd.DataFrame, positions: np.ndarray, params: dict[str, str | list[str]]) -> None:
    count = len(positions)
    what = "this study" if count == 1 else f"these {studies(count)}"
    with st.expander(f":material/download: Export {what}", expanded=False):
        keep = st.checkbox("Include reflib's evidence fields (topics, design, level, links) in BibTeX, BibLaTeX "
                           "and CSL-JSON", key="export_custom", value=False)
        stem = _stem(params)
        with st.container(horizontal=True, gap="small"):
            for fmt in FORMATS:
                name, mime = file_name(stem, fmt)
                too_many = fmt in STYLE_FORMATS and count > STYLE_LIMIT
                data: Callable[[], bytes] = functools.partial(_deferred, lib, frame, positions, fmt, keep)
                st.download_button(
                    LABELS.get(fmt, fmt), data, file_name=name, mime=mime, key=f"export-{fmt}", on_click="ignore",
                    disabled=too_many or not count,
                    help=(f"Narrow the selection to at most {STYLE_LIMIT:,} studies for a formatted list"
                          if too_many else f"{name} — {HELP.get(fmt, '')}"))
        st.caption("Studies come out in the order shown above. BibTeX and BibLaTeX leave reflib's own fields out "
                   "unless you tick the box.")
