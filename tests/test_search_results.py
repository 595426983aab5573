"""The search gives exactly the studies and order it gave before its speed-up (issue 17).

``tests/golden/search/*.json`` were written by the search as it was before the speed-up, on a frozen copy of the
bundled library and taxonomy (``bundled.bib``, ``taxonomy.toml`` beside them) and on a 3,000-record synthetic
library (``benchmarks.synth``, seed 1); every query x filter x sort of ``tests/search_cases.py`` must still give
the same keys in the same order (the synthetic file pins count, first keys and a digest of the whole list)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.synth import write_library
from library import Library
from library.evidence.taxonomy import load_taxonomy
from library.search import Vocabulary

from .search_cases import cases, digest

GOLDEN = Path(__file__).parent / "golden" / "search"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.from_taxonomy(load_taxonomy(GOLDEN / "taxonomy.toml"))


def test_bundled_library_results_and_order_unchanged(vocabulary: Vocabulary, tmp_path: Path) -> None:
    expected = json.loads((GOLDEN / "bundled.json").read_text(encoding="utf-8"))
    copy = tmp_path / "bundled.bib"
    copy.write_bytes((GOLDEN / "bundled.bib").read_bytes())
    got = dict(cases(Library.load(copy, use_cache=False).frame(), vocabulary))
    assert list(got) == list(expected)
    assert sum(1 for keys in expected.values() if keys) > len(expected) // 3  # most cases find something
    different = [name for name in expected if got[name] != expected[name]]
    assert different == []


def test_synthetic_library_results_and_order_unchanged(vocabulary: Vocabulary, tmp_path: Path) -> None:
    expected = json.loads((GOLDEN / "synthetic-3000.json").read_text(encoding="utf-8"))
    path = write_library(tmp_path / "synthetic.bib", 3000)
    got = {name: {"count": len(keys), "first": keys[:8], "sha256": digest(keys)}
           for name, keys in cases(Library.load(path, use_cache=False).frame(), vocabulary)}
    assert list(got) == list(expected)
    different = [name for name in expected if got[name] != expected[name]]
    assert different == []
