"""Encyclopedia entries and the topic taxonomy that apply to the open library (library.evidence reads them).

Both files are small and change rarely, so they are parsed once per (file, modification time). A broken file does
not take the dashboard down: its problems (with line numbers) are shown once, and the views fall back to what the
library itself holds (topics and entry slugs on the records).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from library import Library
from library.evidence import (
    Encyclopedia,
    EntryReferences,
    EvidenceFileError,
    Taxonomy,
    entry_references,
    load_entries,
    load_taxonomy,
)
from library.evidence.encyclopedia import find_entries
from library.evidence.taxonomy import find_taxonomy
from library.search import Vocabulary
from library.views import facet_values

from .session import md, settings


def _mtime(path: Path | None) -> int:
    try:
        return path.stat().st_mtime_ns if path is not None else 0
    except OSError:
        return 0


@st.cache_resource(max_entries=4, show_spinner=False)
def _entries(path: str, mtime: int) -> Encyclopedia | EvidenceFileError:
    try:
        return load_entries(path)
    except EvidenceFileError as exc:
        return exc


@st.cache_resource(max_entries=4, show_spinner=False)
def _taxonomy(path: str, mtime: int) -> Taxonomy | EvidenceFileError:
    try:
        return load_taxonomy(path)
    except EvidenceFileError as exc:
        return exc


def _report(what: str, error: EvidenceFileError) -> None:
    st.warning(f"{what} has problems and is ignored until they are fixed: "
               + "; ".join(md(p) for p in error.problems[:5]), icon=":material/warning:")


def entries() -> Encyclopedia | None:
    path = find_entries(settings().bib)
    if path is None:
        return None
    loaded = _entries(str(path), _mtime(path))
    if isinstance(loaded, EvidenceFileError):
        _report(path.name, loaded)
        return None
    return loaded


def taxonomy() -> Taxonomy | None:
    path = find_taxonomy(settings().bib)
    if path is None:
        return None
    loaded = _taxonomy(str(path), _mtime(path))
    if isinstance(loaded, EvidenceFileError):
        _report(path.name, loaded)
        return None
    return loaded


def entry_titles() -> dict[str, str]:
    encyclopedia = entries()
    return {entry.slug: entry.title for entry in encyclopedia} if encyclopedia is not None else {}


def taxonomy_topics() -> list[str]:
    tree = taxonomy()
    return tree.paths() if tree is not None else []


@st.cache_resource(max_entries=4, show_spinner=False)
def _vocabulary(path: str, mtime: int) -> Vocabulary | None:
    loaded = _taxonomy(path, mtime)
    return None if isinstance(loaded, EvidenceFileError) else Vocabulary.from_taxonomy(loaded)


def vocabulary() -> tuple[Vocabulary | None, str]:
    """The taxonomy's names and synonyms for search (library.search) and a token that changes with the file."""
    path = find_taxonomy(settings().bib)
    if path is None:
        return None, ""
    mtime = _mtime(path)
    return _vocabulary(str(path), mtime), f"{path}:{mtime}"


def entry_urls() -> dict[str, str]:
    encyclopedia = entries()
    return {entry.slug: entry.url for entry in encyclopedia if entry.url} if encyclopedia is not None else {}


def linked_slugs(lib: Library) -> list[str]:
    """Slugs studies link to, including ones missing from encyclopedia.toml (shown so they can be fixed)."""
    return facet_values(lib.frame(), "entries")


def reference_block(lib: Library, slug: str) -> EntryReferences:
    encyclopedia = entries()
    known = encyclopedia if encyclopedia is not None and slug in encyclopedia else None
    return entry_references(lib, slug, known)
