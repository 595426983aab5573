"""Arrow arrays behind the frame's columns, and list-column membership without a Python loop per row."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["arrow_column", "list_column", "list_hits"]


def arrow_column(series: pd.Series) -> pa.Array:
    """The Arrow array behind a frame column (the store's frame is Arrow-backed; others are converted)."""
    values = series.array
    column = values._pa_array if hasattr(values, "_pa_array") else pa.array(series.tolist())
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def list_column(series: pd.Series) -> pa.ListArray:
    values = series.array
    column = values._pa_array if hasattr(values, "_pa_array") else pa.array(series.tolist(), pa.list_(pa.string()))
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def list_hits(series: pd.Series, matches: Callable[[str], bool]) -> np.ndarray:
    """Rows whose list holds an item ``matches`` accepts; ``matches`` runs once per distinct item."""
    column = list_column(series)
    flat = pc.list_flatten(column)
    mask = np.zeros(len(series), dtype=bool)
    if len(flat) == 0:
        return mask
    encoded = pc.dictionary_encode(flat)
    accepted = np.array([matches(v) for v in encoded.dictionary.to_pylist()], dtype=bool)
    mask[pc.list_parent_indices(column).to_numpy()[accepted[encoded.indices.to_numpy()]]] = True
    return mask
