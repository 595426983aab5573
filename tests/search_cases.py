"""Queries, filters and sorts whose results are pinned in ``tests/golden/search/*.json`` (see
``tests/test_search_results.py``). The golden files were written by the search before its speed-up (issue 17), so
a faster implementation must give exactly the same studies in the same order."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import pandas as pd

from library.frame import FrameQuery
from library.search import Vocabulary, parse_search
from library.views import filter_positions, sort_positions

QUERIES = ("HSG", "hsg", "SIS", "sis", "saline infusion sonography", "Saline  infusion sonography", "oil contrast",
           '"oil contrast"', "oil-based contrast", "hysterosalpingography", "HSG tubal", "tubal HSG oil",
           "Tubal flushing", "Contrast media", "radiation exposure", "HyCoSy", "NFP", "recanalization",
           "Dreyer", "müller", "García", "analysis", "trial", "zzqx nonsense", "xyzzy", "h2oil", "2017",
           "SIS vs HSG", "tubal patency test")
SORTS = ("relevance", "newest", "strongest", "title")
FILTERS = {
    "all": FrameQuery(),
    "rct": FrameQuery(designs=("rct",)),
    "diagnostics-2000-2015": FrameQuery(topics=("Diagnostics",), year_from=2000, year_to=2015),
}


def cases(frame: pd.DataFrame, vocabulary: Vocabulary | None) -> Iterator[tuple[str, list[str]]]:
    """(case name, keys in display order) for every query x filter x sort."""
    keys = frame["key"].astype(str).to_numpy()
    for query in QUERIES:
        for filter_name, base in FILTERS.items():
            wanted = FrameQuery(query=query, topics=base.topics, designs=base.designs, year_from=base.year_from,
                                year_to=base.year_to, vocabulary=vocabulary)
            found = filter_positions(frame, wanted)
            terms = parse_search(query, vocabulary)
            for sort in SORTS:
                order = sort_positions(frame, found, sort, terms)
                yield f"{query} | {filter_name} | {sort}", [str(k) for k in keys[np.asarray(order, dtype=np.int64)]]


def digest(keys: list[str]) -> str:
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]
