"""Shared fixtures: the ../shared folder (corpus, seeds) when present, a private cache dir, temp libraries."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCES = ROOT / "references.bib"


def corpus_files(*suffixes: str) -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


needs_shared = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own index cache, so tests never see each other's (or the user's) cache."""
    monkeypatch.setenv("REFLIB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("REFLIB_BIB", raising=False)


@pytest.fixture
def references_copy(tmp_path: Path) -> Path:
    target = tmp_path / "references.bib"
    shutil.copyfile(REFERENCES, target)
    return target


@pytest.fixture
def tmp_bib(tmp_path: Path):
    def make(text: str, name: str = "lib.bib") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8"))
        return path

    return make


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("PYTHONHASHSEED", "0")
