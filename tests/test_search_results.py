"""The search gives exactly the studies and order it gave before its speed-up (issue 17).

``tests/golden/search/*.json`` were written by the search as it was before the speed-up, on a frozen copy of the
bundled library and taxonomy (``bundled.bib``, ``taxonomy.toml`` beside them) and on a 3,000-record synthetic
library (``benchmarks.synth``, seed 1); every query x filter x sort of ``tests/search_cases.py`` must still give
the same keys in the same order (the synthetic file pins count, first keys and a digest of the whole list)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.synth import write_library
from library import Library
from library.evidence.taxonomy import load_taxonomy
from library.search import Vocabulary

from .conftest import ROOT
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


@pytest.mark.slow
def test_synthetic_library_results_and_order_unchanged(vocabulary: Vocabulary, tmp_path: Path) -> None:
    expected = json.loads((GOLDEN / "synthetic-3000.json").read_text(encoding="utf-8"))
    path = write_library(tmp_path / "synthetic.bib", 3000)
    got = {name: {"count": len(keys), "first": keys[:8], "sha256": digest(keys)}
           for name, keys in cases(Library.load(path, use_cache=False).frame(), vocabulary)}
    assert list(got) == list(expected)
    different = [name for name in expected if got[name] != expected[name]]
    assert different == []


_RELATED = """
import json, sys
from pathlib import Path
import library.study_view as sv
from library import Library
sv.FULL_TITLE_SCAN = 500  # the large-library path: candidates by the title's longest words
frame = Library.load(Path(sys.argv[1]), use_cache=False).frame()
out = {}
for i in range(0, 3000, 97):
    found = sv.related_studies(frame, f"synth{i}")
    out[f"synth{i}"] = [[str(k), str(r)] for k, r in zip(found["key"], found["reason"], strict=True)]
print(json.dumps(out))
"""


@pytest.mark.slow  # a few seconds: subprocesses or a large input; run by make test, not make unit
def test_related_studies_of_a_large_library_are_the_same_in_every_process(tmp_path: Path) -> None:
    """The title words that pick similar-title candidates were taken in a set's order (equal lengths), which
    changes with every process's hash seed: the same study showed other related studies after a restart."""
    path = write_library(tmp_path / "synthetic.bib", 3000)
    runs = []
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-c", _RELATED, str(path)], capture_output=True, text=True,
                              check=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": seed,
                                                         "REFLIB_CACHE_DIR": str(tmp_path / "cache")})
        runs.append(json.loads(done.stdout))
    assert runs[0] == runs[1] == runs[2]
    assert sum(1 for found in runs[0].values() if any("similar title" in r for _, r in found)) >= 5
