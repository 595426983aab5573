"""Every module imports on its own, and the package import graph has no cycle.

The graph is read from the source (``import`` and ``from ... import`` anywhere in a module, also inside functions
and ``TYPE_CHECKING`` blocks: a cycle hidden in a function is still two modules that each need the other).
A module's edge goes to the module it names, and to ``pkg.name`` when the imported name is a submodule.
"""

from __future__ import annotations

import ast
import functools
import importlib
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGES = ("library", "ingest", "dashboard_pages")


def module_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "__main__.py":  # runs the program when imported (python -m): not a library module
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = module_files()


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


@functools.cache
def syntax_tree(path: Path) -> ast.Module:
    """A module's parsed source, read once per test session (the modules do not change while the tests run)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def imports_of(name: str, path: Path) -> set[str]:
    tree = syntax_tree(path)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node.level, node.module)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m in MODULES and m != name}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle (as a path that returns to its start), or [] when the graph has none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """Each module's imports of other modules here (computed once; the tests only read it)."""
    graph = {name: imports_of(name, path) for name, path in MODULES.items()}
    # a submodule importing a sibling passes through the package's __init__ by Python's rules but needs only the
    # sibling: the edge from a module to its own parent packages is left out
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    return graph


def test_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_the_graph_is_read() -> None:
    graph = import_graph()
    assert len(graph) >= 100
    assert "library.model" in graph["library.store"] and "library.dedupe.scoring" in graph["library.dedupe.rules"]
    assert "library.dedupe.scoring" in graph["library.dedupe.pair_relation"]


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert not cycle, " -> ".join(cycle)


@pytest.mark.slow  # ~30 s in all: every module imported afresh
@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_module_imports_on_its_own(name: str) -> None:
    saved = {m: sys.modules.pop(m) for m in list(sys.modules) if m.split(".")[0] in PACKAGES}
    try:
        importlib.import_module(name)
    finally:
        for m in [m for m in sys.modules if m.split(".")[0] in PACKAGES]:
            del sys.modules[m]
        sys.modules.update(saved)


def test_layers() -> None:
    """ingest -> library, never back: only the CLI package (the top layer) imports ingest; the core imports neither
    requests nor streamlit; the dashboard never goes through the CLI."""
    graph = import_graph()
    for name, targets in graph.items():
        if name.startswith("library") and not name.startswith("library.cli"):
            assert not {t for t in targets if t.startswith("ingest")}, name
        if name.startswith("ingest"):
            assert not {t for t in targets if t.startswith(("library.cli", "dashboard_pages"))}, name
        if name.startswith("dashboard_pages"):
            assert not {t for t in targets if t.startswith("library.cli")}, name
    for name, path in MODULES.items():
        if name.startswith("library") and not name.startswith("library.cli"):
            nodes = list(ast.walk(syntax_tree(path)))
            top = {alias.name.split(".")[0] for node in nodes if isinstance(node, ast.Import) for alias in node.names}
            top |= {(node.module or "").split(".")[0] for node in nodes
                    if isinstance(node, ast.ImportFrom) and node.level == 0}
            assert not top & {"requests", "streamlit", "ingest"}, name
