"""Arrow arrays behind the frame's columns."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

__all__ = ["arrow_column", "list_column"]


def arrow_column(series: pd.Series) -> pa.Array:
    """The Arrow array behind a frame column (the store's frame is Arrow-backed; others are converted)."""
    values = series.array
    column = values._pa_array if hasattr(values, "_pa_array") else pa.array(series.tolist())
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def list_column(series: pd.Series) -> pa.ListArray:
    values = series.array
    column = values._pa_array if hasattr(values, "_pa_array") else pa.array(series.tolist(), pa.list_(pa.string()))
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
