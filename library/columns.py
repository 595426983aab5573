"""Arrow arrays behind the frame's columns.

The store's frame is Arrow-backed; its columns hand over their Arrow data through the ``__arrow_array__``
protocol (public in pandas and pyarrow, zero-copy: the same ChunkedArray object each time, which
:mod:`library.frame` relies on to notice a replaced column). Columns of other frames are converted.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

__all__ = ["arrow_column", "arrow_data", "is_arrow_backed", "list_column"]


def is_arrow_backed(series: pd.Series) -> bool:
    """The column holds an Arrow array (``pd.ArrowDtype`` or pyarrow-stored strings), not numpy values."""
    dtype = series.dtype
    return isinstance(dtype, pd.ArrowDtype) or (isinstance(dtype, pd.StringDtype) and dtype.storage != "python")


def arrow_data(series: pd.Series, type: pa.DataType | None = None) -> pa.Array | pa.ChunkedArray:
    """The Arrow data of a column: the column's own (chunked) array when it is Arrow-backed, else a conversion
    of its Python values."""
    if is_arrow_backed(series):
        # the protocol method itself: pa.array() would unwrap a one-chunk ChunkedArray into a new Array object
        return series.array.__arrow_array__()  # type: ignore[union-attr]
    return pa.array(series.tolist(), type)


def arrow_column(series: pd.Series) -> pa.Array:
    """The Arrow array behind a frame column, in one chunk."""
    column = arrow_data(series)
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def list_column(series: pd.Series) -> pa.ListArray:
    column = arrow_data(series, pa.list_(pa.string()))
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
