"""The frame's columns hand over their Arrow data without private pandas API and without copying: the same
object on every call (library.frame's derived-value cache keys on that identity)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from library import Library
from library.columns import arrow_column, arrow_data, is_arrow_backed, list_column

from .conftest import REFERENCES


def test_arrow_columns_are_handed_over_as_the_same_object() -> None:
    frame = Library.load(REFERENCES).frame()
    arrow = [name for name in frame.columns if is_arrow_backed(frame[name])]
    assert {"key", "title", "topics"} <= set(arrow)
    for name in arrow:
        assert arrow_data(frame[name]) is arrow_data(frame[name]), name  # one-chunk columns too


def test_other_columns_are_converted_from_their_values() -> None:
    plain = pd.Series(["a", None, "c"], dtype=object)
    assert not is_arrow_backed(plain)
    assert arrow_column(plain).to_pylist() == ["a", None, "c"]
    lists = pd.Series([["x"], [], ["y", "z"]], dtype=object)
    assert list_column(lists).type == pa.list_(pa.string()) and list_column(lists).to_pylist() == [["x"], [], ["y", "z"]]
    chunked = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([["a"], ["b"]])))
    assert is_arrow_backed(chunked) and arrow_column(chunked).to_pylist() == ["a", "b"]
