"""A second copy of reflib's modules (importlib.reload, Streamlit's module watcher, tests/test_import_graph.py
importing each module afresh) must not wrap citeproc-py's methods again: every extra layer made each call deeper
until APA rendering hit RecursionError (and publish printed the plain fallback), and the flags set by one copy's
context managers were not read by the methods another copy installed."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from citeproc import model

from library.export.citeproc import render_bibliography
from library.store import Library

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def records() -> list:  # type: ignore[type-arg]
    return list(Library.load(ROOT / "references.bib").records())


def _fresh_copies(count: int) -> Iterator[object]:
    """Import library.export.citeproc afresh ``count`` times (a new copy of every library module each time), yield
    each copy while it is in sys.modules, and put the original modules back."""
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name.split(".")[0] == "library"}
    try:
        for _ in range(count):
            yield importlib.import_module("library.export.citeproc")
            for name in [name for name in sys.modules if name.split(".")[0] == "library"]:
                del sys.modules[name]
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == "library"]:
            del sys.modules[name]
        sys.modules.update(saved)


def test_fresh_copies_do_not_wrap_citeproc_again(records: list) -> None:  # type: ignore[type-arg]
    installed = (model.TextCased.case, model.Name.process, model.CitationStylesElement.xpath_search)
    before = {style: render_bibliography(records, style, engine="citeproc") for style in ("apa", "mla")}
    for copy in _fresh_copies(3):
        assert (model.TextCased.case, model.Name.process, model.CitationStylesElement.xpath_search) == installed
        # the copy's context managers (punctuation in quotes for MLA, memoized xpath) drive the installed methods
        for style, expected in before.items():
            assert copy.render_bibliography(records, style, engine="citeproc") == expected  # type: ignore[attr-defined]
    assert (model.TextCased.case, model.Name.process, model.CitationStylesElement.xpath_search) == installed
    for style, expected in before.items():
        assert render_bibliography(records, style, engine="citeproc") == expected
        assert render_bibliography(records, style) == expected
