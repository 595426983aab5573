"""Candidate pairs: only records that share a blocking key are ever compared.

Why several keys: each source damages a different field. A missing DOI is caught by the title blocks, a typo
at the start of a title by the title-suffix block, a translated title by first author + year, a mangled
title and author list by year + volume + first page. A pair needs to share only one key.

Why capped blocks: a key shared by thousands of records (a container DOI of a book, a common surname in one
year) would make the work quadratic. Blocks up to ``cap`` records are compared exhaustively; larger ones fall
back to a sorted neighbourhood (each record against its ``window`` nearest neighbours in title order), so the
total work stays O(n * cap) whatever the data.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from .table import KeyTable

__all__ = ["BLOCK_CAP", "WINDOW", "block_keys", "candidate_pairs", "iter_block_keys"]

BLOCK_CAP = 60
WINDOW = 12
PREFIX = 28


def _join(*parts: np.ndarray) -> np.ndarray:
    """Element-wise key 'a|b|c', '' when any part is empty (a record without the field has no such key)."""
    joined = ["|".join(values) if all(values) else "" for values in zip(*parts, strict=True)]
    out = np.empty(len(joined), dtype=object)
    out[:] = joined
    return out


def iter_block_keys(table: KeyTable) -> Iterator[tuple[str, np.ndarray]]:
    """The blocking keys of every record, one family at a time ('' = the record is not in that family): only
    one family's key strings are alive at once (a million records' eight families would take ~0.5 GB)."""
    yield "doi", table.doi
    yield "pmid", table.pmid
    yield "pmcid", table.pmcid
    compact = pd.Series(table.compact, dtype=object)
    usable = compact.str.len().fillna(0).to_numpy() >= 12  # "introduction", "editorial": too common to block on
    for name, start, stop in (("title-start", 0, PREFIX), ("title-end", -PREFIX, None)):
        key = compact.str.slice(start, stop).to_numpy(dtype=object)
        key[~usable] = ""
        yield name, key
        del key
    del compact, usable
    year = np.array(["" if y < 0 else str(y) for y in table.year.tolist()], dtype=object)
    yield "author-year", _join(table.first_author, year)
    yield "year-volume-page", _join(year, table.volume, table.page)
    yield "author-volume-page", _join(table.first_author, table.volume, table.page)


def block_keys(table: KeyTable) -> dict[str, np.ndarray]:
    """The blocking keys of every record, by name ('' = the record is not in that block family)."""
    return dict(iter_block_keys(table))


def _pairs_for_key(key: np.ndarray, title_rank: np.ndarray, cap: int, window: int) -> np.ndarray:
    """Pairs (i, j), i < j, of records sharing ``key``: all pairs in blocks <= cap, a window in larger ones."""
    present = np.flatnonzero(key != "")
    if len(present) < 2:
        return np.empty((0, 2), dtype=np.int64)
    codes, _ = pd.factorize(key[present])
    sizes = np.bincount(codes)
    if sizes.max() < 2:
        return np.empty((0, 2), dtype=np.int64)
    keep = sizes[codes] >= 2
    present, codes = present[keep], codes[keep]
    order = np.lexsort((title_rank[present], codes))
    rows, groups = present[order], codes[order]
    big = sizes[groups] > cap
    reach = min(int(sizes.max()), cap) - 1
    out = []
    for d in range(1, reach + 1):
        same = groups[:-d] == groups[d:]
        if d > window:
            same &= ~big[:-d]
        if not same.any():
            break  # sorted by group: no group is longer than d
        left, right = rows[:-d][same], rows[d:][same]
        out.append(np.stack([np.minimum(left, right), np.maximum(left, right)], axis=1))
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)


def candidate_pairs(table: KeyTable, cap: int = BLOCK_CAP, window: int = WINDOW) -> np.ndarray:
    """Distinct candidate pairs as an (m, 2) int64 array, each row (i, j) with i < j, sorted."""
    n = len(table)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    title_rank = np.empty(n, dtype=np.int64)
    # sorted as Python strings (the order of a numpy str array, without its copy at 4 bytes a character of the
    # longest title for every record: one 2,000-character title in a million would take 8 GB)
    title_rank[np.argsort(table.compact, kind="stable")] = np.arange(n)
    parts = [_pairs_for_key(key, title_rank, cap, window) for _, key in iter_block_keys(table)]
    pairs = np.concatenate(parts)
    if not len(pairs):
        return pairs
    codes = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([codes // n, codes % n], axis=1)
