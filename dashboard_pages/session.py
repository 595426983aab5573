"""What every page of the dashboard shares: settings, the open library, safe text output, saving.

The library object is cached per (path, version on disk) and shared by sessions. Readers follow the file as it
changes; an editor's session pins the version it opened, so a save onto a file someone else changed meanwhile is
refused by the store (ConflictError) instead of silently applying stale form values to newer data.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from library import ConflictError, Library, LibraryError, Problem
from library.frame import FrameQuery, filter_frame
from library.views import escape_markdown

__all__ = [
    "DashboardConfig",
    "close_study",
    "filter_library",
    "flash",
    "frame_token",
    "malformed",
    "md",
    "open_entry",
    "open_library",
    "open_study",
    "reload_library",
    "save_library",
    "settings",
    "show_flash",
]

_TRUE = {"1", "true", "yes", "on"}
_VERSION = "_library_version"
_FLASH = "_flash"


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    bib: Path
    editor: bool  # only from the environment: a URL must never grant write access


def settings() -> DashboardConfig:
    return DashboardConfig(bib=Path(os.environ.get("REFLIB_BIB") or "references.bib"),
                    editor=os.environ.get("REFLIB_EDITOR", "").strip().lower() in _TRUE)


def md(text: object) -> str:
    """Shorthand: untrusted text as markdown that shows exactly that text."""
    return escape_markdown(str(text))


def _disk_version(path: Path) -> int:
    try:
        stat = path.stat()
    except OSError:
        return 0
    return stat.st_mtime_ns ^ (stat.st_size << 1)


@st.cache_resource(max_entries=4, show_spinner="Opening the library…")
def _load(path: str, version: int) -> Library:
    lib = Library.load(path)
    filter_frame(lib.frame(), FrameQuery(query="warm"))  # builds the text-search column once, not on first search
    _warm_abbreviations(lib)
    return lib


def _warm_abbreviations(lib: Library) -> None:
    """Find the taxonomy's abbreviations (HSG, SIS ...) as whole words in every record once, with the opening of
    the file: a whole-word scan is the slow part of a search (library.search.abbreviation_rows); the names and
    synonyms are then found by fast literal scans, each kept with the frame after its first search."""
    from library.derived import lowered_titles, search_text
    from library.evidence import EvidenceFileError
    from library.evidence.taxonomy import taxonomy_for
    from library.search import Vocabulary, abbreviation_rows

    lowered_titles(lib.frame())  # ranking and related studies test words against these (library.derived)
    with contextlib.suppress(EvidenceFileError, OSError, ValueError):
        vocabulary = Vocabulary.from_taxonomy(taxonomy_for(lib.path))
        abbreviation_rows(lib.frame(), search_text(lib.frame()), vocabulary.abbreviations)


@st.cache_resource(max_entries=4, show_spinner=False)
def _malformed(_lib: Library, path: str, version: int) -> list[Problem]:
    """Blocks the store could not read, once per file version (edits through the store never add any)."""
    return _lib.malformed()


def frame_token(lib: Library) -> str:
    """Cache key of the library's current frame: file, version on disk, and the frame object itself."""
    frame = lib.frame()
    return f"{lib.path}:{st.session_state.get(_VERSION, 0)}:{id(frame)}:{len(frame)}"


# file versions known to have no malformed block: a save through the store never creates one, so a clean file
# stays clean and its successor need not be re-checked (checking reads every record of a large library)
_CLEAN: dict[str, set[int]] = {}


def malformed(lib: Library) -> list[Problem]:
    version = st.session_state.get(_VERSION, 0)
    if version in _CLEAN.get(str(lib.path), set()):
        return []
    problems = _malformed(lib, str(lib.path), version)
    if not problems:
        _CLEAN.setdefault(str(lib.path), set()).add(version)
    return problems


def open_library(config: DashboardConfig) -> Library | None:
    """The library this session looks at, or None after showing why it cannot be opened."""
    current = _disk_version(config.bib)
    pinned = st.session_state.get(_VERSION)
    if pinned is None or not config.editor:
        pinned = current
        st.session_state[_VERSION] = pinned
    try:
        lib = _load(str(config.bib), pinned)
    except (LibraryError, OSError) as exc:
        st.error(f"The library cannot be opened: {md(exc)}")
        st.caption(f"Library file: `{config.bib}` (set REFLIB_BIB to open another file).")
        return None
    if config.editor and pinned != current:
        col_text, col_button = st.columns([5, 1], vertical_alignment="center")
        col_text.warning("The library file changed on disk since you opened it (another editor or a git pull). "
                         "Reload to see the new version; saving now would be refused.")
        col_button.button("Reload library", key="reload_changed", on_click=reload_library)
    return lib


def reload_library() -> None:
    """Forget pending edits and the pinned version: the next run reads the file as it is now."""
    config = settings()
    with contextlib.suppress(LibraryError, OSError):
        _load(str(config.bib), st.session_state.get(_VERSION, 0)).discard_changes()
    _load.clear()
    st.session_state.pop(_VERSION, None)
    st.session_state.pop(_FLASH, None)


def save_library(lib: Library, done: str, where: str = "top") -> bool:
    """Write through the store (atomic, locked, conflict-checked); the outcome shows on the next run, next to
    the control that caused it (``where`` names the place: see :func:`show_flash`)."""
    try:
        lib.save()
    except ConflictError as exc:
        lib.discard_changes()  # the shared object must not keep edits that are not on disk
        flash("conflict", str(exc), where)
        return False
    except (LibraryError, OSError) as exc:
        lib.discard_changes()
        flash("error", f"Not saved: {exc}", where)
        return False
    previous, st.session_state[_VERSION] = st.session_state.get(_VERSION), _disk_version(lib.path)
    if previous in _CLEAN.get(str(lib.path), set()):
        _CLEAN[str(lib.path)].add(st.session_state[_VERSION])
    flash("success", done, where)
    return True


def flash(kind: str, message: str, where: str = "top") -> None:
    st.session_state[_FLASH] = (kind, message, where)


def show_flash(where: str = "top") -> None:
    """The outcome of the last write made at ``where`` (a form, the suggestions, the import button), shown in
    that place, kept until the next write (a refused save offers to reload)."""
    item = st.session_state.get(_FLASH)
    if not item:
        return
    kind, message, place = item if len(item) == 3 else (*item, "top")
    if place != where:
        return
    if kind == "success":
        st.success(md(message), icon=":material/check_circle:")
        st.session_state.pop(_FLASH, None)
    elif kind == "warning":
        st.warning(md(message), icon=":material/warning:")
        st.session_state.pop(_FLASH, None)
    elif kind == "conflict":
        st.error(f"**Not saved.** {md(message)}", icon=":material/sync_problem:")
        st.button("Reload library", key=f"reload_conflict-{where}", type="primary", on_click=reload_library)
    else:
        st.error(md(message))
        st.session_state.pop(_FLASH, None)


def open_study(key: str) -> None:
    """Show one study; the filters stay in the address so 'back' returns to the same list."""
    st.query_params["study"] = key


def close_study() -> None:
    """Back where the study was opened from: its encyclopedia entry, or the list with its filters."""
    came_from = st.query_params.get("from", "")
    if came_from.startswith("entry:"):
        open_entry(came_from[6:])
        return
    for name in ("study", "from"):
        if name in st.query_params:
            del st.query_params[name]


LIBRARY_WIDGETS = ("f_topic", "f_entry", "f_design", "f_level", "f_stance", "f_verification", "f_q", "f_years",
                   "f_sort")


def filter_library(**filters: str) -> None:
    """The library list filtered to ``filters`` (``topic=PATH``): what a topic link on a study page does."""
    st.session_state["nav_view"] = "library"
    for name in LIBRARY_WIDGETS:  # the list starts again from the address
        st.session_state.pop(name, None)
    st.query_params.clear()
    for name, value in filters.items():
        st.query_params[name] = value


def open_entry(slug: str) -> None:
    """The encyclopedia view of one entry (its cited and discussed studies)."""
    st.session_state["nav_view"] = "encyclopedia"
    st.session_state["enc_entry"] = slug
    st.query_params.clear()
    st.query_params["view"] = "encyclopedia"
    st.query_params["entry"] = slug
