"""Values derived from a library frame's columns (dictionary encodings, the search text), computed once per frame
and kept while the frame and its Arrow columns are the same objects. Used by :mod:`library.frame` and
:mod:`library.search` alike (kept apart from both so that neither imports the other's caller)."""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .columns import arrow_data
from .textfold import fold_array

__all__ = ["derived", "encoded_values", "list_mask", "lowered_titles", "search_text"]


def _arrow(series: pd.Series) -> pa.ChunkedArray | pa.Array:
    return arrow_data(series)


class _Derived:
    """Values derived from a frame's columns (dictionary encodings, the search text), computed once per frame.

    Keyed by the frame object and checked against the identity of the Arrow columns they came from, so a column
    replaced in place (``frame["title"] = ...``) is derived again; entries go away with their frame.
    """

    def __init__(self) -> None:
        self._by_frame: dict[int, dict[str, tuple[tuple[object, ...], object]]] = {}

    def get(self, frame: pd.DataFrame, name: str, sources: tuple[object, ...], build: Callable[[], object]) -> object:
        derived = self._by_frame.get(id(frame))
        if derived is None:
            derived = self._by_frame[id(frame)] = {}
            weakref.finalize(frame, self._by_frame.pop, id(frame), None)
        found = derived.get(name)
        if found is not None and len(found[0]) == len(sources) and all(
                a is b for a, b in zip(found[0], sources, strict=True)):
            return found[1]
        value = build()
        derived[name] = (sources, value)
        return value


_DERIVED = _Derived()


def derived(frame: pd.DataFrame, name: str, sources: tuple[object, ...], build: Callable[[], object]) -> object:
    """A value computed from ``frame`` once, kept while the frame and ``sources`` are the same objects."""
    return _DERIVED.get(frame, name, sources, build)


def search_text(frame: pd.DataFrame) -> pa.Array:
    """Folded "title, abstract, authors" per row (lower case, no accents: :mod:`library.textfold`; see
    :func:`_search_text`)."""
    return _search_text(frame)


def lowered_titles(frame: pd.DataFrame) -> pa.Array:
    """Folded titles of every row ('' for none; lower case, no accents), once per frame: ranking a search tests
    each term against these instead of taking and folding the matching rows' titles on every rerun."""
    source = _arrow(frame["title"])

    def build() -> pa.Array:
        return _folded(source)

    return _DERIVED.get(frame, "lowered-titles", (source,), build)  # type: ignore[return-value]


def _folded(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A text column folded ('' for none), column by column: most records have an ASCII title or abstract, and
    only the cells that are not ASCII pay for the Unicode fold."""
    filled = pc.fill_null(column, "")
    return fold_array(filled.combine_chunks() if isinstance(filled, pa.ChunkedArray) else filled)


def _search_text(frame: pd.DataFrame) -> pa.Array:
    """Folded "title, abstract, authors" per row, computed once per frame (Arrow kernels)."""
    sources = (_arrow(frame["title"]), _arrow(frame["abstract"]), _arrow(frame["authors"]))

    def build() -> pa.Array:
        abstract, authors = _folded(sources[1]), _folded(pc.binary_join(sources[2], " ; "))
        joined = pc.binary_join_element_wise(lowered_titles(frame), abstract, authors, "\n")
        return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined

    return _DERIVED.get(frame, "search-text", sources, build)  # type: ignore[return-value]


def encoded_values(frame: pd.DataFrame, column: str, flatten: bool) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """(distinct values, code of each value, row of each value or None when one value per row) of a column."""
    values = _arrow(frame[column])

    def build() -> tuple[list[str], np.ndarray, np.ndarray | None]:
        column_values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        parents = None
        if flatten:
            parents = pc.list_parent_indices(column_values).to_numpy()
            column_values = pc.list_flatten(column_values)
        else:
            column_values = pc.fill_null(column_values, "")
        encoded = pc.dictionary_encode(column_values)
        return ([str(v) for v in encoded.dictionary.to_pylist()], encoded.indices.to_numpy(zero_copy_only=False),
                parents)

    return _DERIVED.get(frame, f"encoded:{column}:{flatten}", (values,), build)  # type: ignore[return-value]


def list_mask(frame: pd.DataFrame, column: str, matches: Callable[[str], bool]) -> np.ndarray:
    """Rows whose list contains an item for which ``matches`` holds: evaluated once per distinct item."""
    distinct, codes, parents = encoded_values(frame, column, flatten=True)
    mask = np.zeros(len(frame), dtype=bool)
    if not distinct or parents is None:
        return mask
    hits = np.fromiter((matches(v) for v in distinct), dtype=bool, count=len(distinct))
    mask[parents[hits[codes]]] = True
    return mask
