"""Shared fixtures: the ../shared folder (corpus, seeds) when present, a private cache dir, temp libraries, and one
real HTTP server on 127.0.0.1 that the network tests load with fake services."""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from .httpserver import LocalServer

# no per-example time limit: CI's 2-core machine runs two test processes and a loaded example can pass 200 ms
# (seen once in tests/test_packed_records.py); a test that wants one sets it itself
settings.register_profile("reflib", deadline=None)
settings.load_profile("reflib")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCES = ROOT / "references.bib"


def corpus_files(*suffixes: str) -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


def utf8_bib_files() -> list[bytes]:
    """The bytes of the bundled library, the mixed fixture and every corpus .bib file that is valid UTF-8."""
    out = []
    for path in [REFERENCES, FIXTURES / "mixed.bib", *corpus_files(".bib")]:
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        out.append(data)
    return out


def bib_chunks(data: bytes) -> list[str]:
    """A BibTeX file's text cut where the library's index cuts it (chunk_starts)."""
    from library.index import chunk_starts

    starts = chunk_starts(data).tolist()
    return [data[a:b].decode("utf-8") for a, b in itertools.pairwise(starts)]


needs_shared = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own index cache, so tests never see each other's (or the user's) cache."""
    monkeypatch.setenv("REFLIB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("REFLIB_BIB", raising=False)


@pytest.fixture(scope="session", autouse=True)
def _scan_streamlit_components_once() -> Iterator[None]:
    """Streamlit's AppTest scans every installed distribution for v2 components on each new AppTest (about 0.2 s
    CPU, most of a small page's run); the installed packages do not change during a test session, so the scan runs
    once. Only when a collected test module uses AppTest; a Streamlit without this scanner runs unchanged."""
    if "streamlit.testing.v1" not in sys.modules:
        yield
        return
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:
        yield
        return
    scan = manifest_scanner.scan_component_manifests
    mp = pytest.MonkeyPatch()
    mp.setattr(manifest_scanner, "scan_component_manifests", functools.cache(scan))
    yield
    mp.undo()


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


@pytest.fixture
def server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 for one test; each test module adds its routes or fake services to it."""
    with LocalServer() as srv:
        yield srv


SERVICE_ENV = {"REFLIB_HTTP_BACKOFF": "0.01", "REFLIB_HTTP_RETRIES": "1", "REFLIB_NCBI_RATE": "1000",
               "REFLIB_CROSSREF_RATE": "1000"}


@pytest.fixture
def point_services(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> Callable[..., LocalServer]:
    """Points the CLI's PubMed and Crossref clients (read from the environment) at the local server, retrying fast."""

    def point(**overrides: str) -> LocalServer:
        values = {"REFLIB_EUTILS_URL": server.url, "REFLIB_CROSSREF_URL": server.url, **SERVICE_ENV, **overrides}
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return server

    return point


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("PYTHONHASHSEED", "0")
