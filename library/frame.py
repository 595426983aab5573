"""The pandas view of a library: one row per record, typed columns, fast filters.

Columns (stable contract for the dashboard, the CLI and scripts):
``key, entry_type, title, authors (list[str]), first_author, journal, journal_abbrev, year (Int64), month,
volume, issue, pages, doi, pmid, pmcid, url, abstract, keywords (list), mesh (list), pubtypes (list),
topics (list: manual then automatic), topics_manual (list), design, level, stance, relevance (Int64),
verification, unverified, retracted (bool), cited_in (list of slugs), discussed_in (list of slugs),
entries (list: every linked slug), tldr, added, modified, line (Int64: first line in the .bib file),
relations (list of ``KIND KEY`` items: this record's related records), booktitle, origtitle (the title in the
original language, from ``origtitle``: duplicate detection tells an article from its translation by it), isbn,
publisher, topics_suggested (list: the rules' low-confidence topics), reasons (list: ``reasons_auto`` items, why
each automatic value is what it is)``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .columns import arrow_data
from .derived import encoded_values, list_mask, search_text
from .model import Record
from .search import Vocabulary, parse_search, term_masks
from .textfold import fold_words

__all__ = [
    "FRAME_COLUMNS",
    "LIST_COLUMNS",
    "FrameQuery",
    "build_frame",
    "filter_counts",
    "filter_frame",
    "filter_positions",
    "level_matches",
    "list_mask",
    "record_row",
]

LIST_COLUMNS = ("authors", "keywords", "mesh", "pubtypes", "topics", "topics_manual", "cited_in",
                "discussed_in", "entries", "relations", "topics_suggested", "reasons")
INT_COLUMNS = ("year", "relevance", "line")
BOOL_COLUMNS = ("retracted",)
FRAME_COLUMNS = (
    "key", "entry_type", "title", "authors", "first_author", "journal", "journal_abbrev", "year", "month",
    "volume", "issue", "pages", "doi", "pmid", "pmcid", "url", "abstract", "keywords", "mesh", "pubtypes",
    "topics", "topics_manual", "design", "level", "stance", "relevance", "verification", "unverified",
    "retracted", "cited_in", "discussed_in", "entries", "tldr", "added", "modified", "line",
    "relations", "booktitle", "origtitle", "isbn", "publisher", "topics_suggested", "reasons",
)


# Fields no frame column reads (they land in ``Record.extra``, which the row reads only "origtitle" of): a save
# that only adds, changes or drops these in an entry keeps the entry's row (Library.save re-uses it instead of
# parsing the entry again). Checked by tests/test_store_rows.py.
FRAME_FREE_FIELDS = frozenset({"slug", "slug_old"})


def record_row(record: Record, line: int | None = None) -> tuple[object, ...]:
    """One frame row, in FRAME_COLUMNS order."""
    cited = [link.slug for link in record.links if link.kind == "cited"]
    discussed = [link.slug for link in record.links if link.kind == "discussed"]
    return (
        record.key, record.entry_type, record.title, [a.display() for a in record.authors],
        record.first_author_family(), record.journal, record.journal_abbrev, record.year, record.month,
        record.volume, record.issue, record.pages, record.doi, record.pmid, record.pmcid, record.url,
        record.abstract, list(record.keywords), list(record.mesh), list(record.pubtypes), record.all_topics,
        list(record.topics), record.effective_design, record.effective_level, record.stance, record.relevance,
        record.verification, record.unverified, record.retracted, cited, discussed,
        list(dict.fromkeys(cited + discussed)), record.synopsis.tldr, record.added, record.modified, line,
        [rel.text() for rel in record.relations], record.booktitle, record.extra.get("origtitle", ""), record.isbn,
        record.publisher, list(record.topics_suggested), list(record.reasons_auto),
    )


_STRING = pa.string()
_LIST = pa.list_(pa.string())


def _arrow_type(name: str) -> pa.DataType:
    if name in INT_COLUMNS:
        return pa.int64()
    if name in BOOL_COLUMNS:
        return pa.bool_()
    return _LIST if name in LIST_COLUMNS else _STRING


FRAME_SCHEMA = pa.schema([(name, _arrow_type(name)) for name in FRAME_COLUMNS])


def types_mapper(arrow_type: pa.DataType) -> object:
    """Arrow -> pandas dtypes of the frame: Int64 for integers, numpy bool, Arrow-backed strings and lists."""
    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return None
    return pd.ArrowDtype(arrow_type)


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=types_mapper)


def rows_to_table(rows: Sequence[tuple[object, ...]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in FRAME_COLUMNS]
    arrays = [pa.array(list(values), type=FRAME_SCHEMA.field(i).type) for i, values in enumerate(columns)]
    return pa.Table.from_arrays(arrays, schema=FRAME_SCHEMA)


def build_frame(rows: Sequence[tuple[object, ...]]) -> pd.DataFrame:
    """Rows (from :func:`record_row`) -> the typed DataFrame (Arrow-backed strings and lists)."""
    return table_to_frame(rows_to_table(rows))


@dataclass(frozen=True, slots=True)
class FrameQuery:
    """A filter over the frame; every part is optional and parts combine with AND."""

    query: str = ""  # words, all must occur in title, abstract or authors (case-insensitive)
    topics: tuple[str, ...] = ()  # a parent topic matches its children ("Diagnostics" matches "Diagnostics > HSG")
    entries: tuple[str, ...] = ()
    designs: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    stances: tuple[str, ...] = ()
    verification: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    # the taxonomy's names and synonyms: "HSG" also finds "hysterosalpingography" and the HSG topic (library.search)
    vocabulary: Vocabulary | None = field(default=None, compare=False)


def _topic_matches(topic: str, wanted: Iterable[str]) -> bool:
    lowered = topic.casefold()
    for want in wanted:
        w = want.casefold().strip()
        if lowered == w or lowered.startswith(w + " >"):
            return True
    return False


def _exact_matches(value: str, wanted: set[str]) -> bool:
    return value in wanted


def _casefolded(value: str, *, match: Callable[[str, set[str]], bool], wanted: set[str]) -> bool:
    return match(value.casefold(), wanted)


def _value_rule(column: str) -> Callable[[str, set[str]], bool]:
    """How a filter on a one-value column (design, level, stance, verification) matches a row's value."""
    return level_matches if column == "level" else _exact_matches


def _folded(wanted: Iterable[str]) -> set[str]:
    return {w.casefold().strip() for w in wanted}


def level_matches(level: str, wanted: set[str]) -> bool:
    """"OCEBM2011 therapy 2" matches "OCEBM2011 therapy 2", "therapy 2" and "2" (the last words)."""
    return level in wanted or any(w and level.endswith(" " + w) for w in wanted)


def _arrow(series: pd.Series) -> pa.ChunkedArray | pa.Array:
    return arrow_data(series)




def _value_mask(frame: pd.DataFrame, column: str, matches: Callable[[str], bool]) -> np.ndarray:
    """Rows whose string value satisfies ``matches``: evaluated once per distinct value (dictionary encoding)."""
    distinct, codes, _ = encoded_values(frame, column, flatten=False)
    accepted = np.fromiter((matches(v) for v in distinct), dtype=bool, count=len(distinct))
    return accepted[codes] if len(distinct) else np.zeros(len(frame), dtype=bool)


def filter_counts(frame: pd.DataFrame, column: str, values: Iterable[str]) -> dict[str, int]:
    """How many rows a filter on ``column`` (design, level, stance, verification) finds with each value alone, by
    the filter's own matching rule, so that a count shown beside a choice is what choosing it lists."""
    distinct, codes, _ = encoded_values(frame, column, flatten=False)
    rows = np.bincount(codes, minlength=len(distinct)).tolist() if len(distinct) else []
    seen = list(zip((value.casefold() for value in distinct), rows, strict=True))
    match = _value_rule(column)
    out = {}
    for value in values:
        wanted = _folded([value])
        out[value] = sum(n for folded, n in seen if match(folded, wanted))
    return out


def _contains_all(text: pa.Array, words: list[str]) -> np.ndarray:
    """Rows of ``text`` that contain every word.

    Each word is searched as an escaped regular expression: RE2 finds a literal with memchr, several times
    faster than the plain substring kernel; rows already ruled out are dropped when that halves the next scan.
    """
    hit = np.ones(len(text), dtype=bool)
    rows = np.arange(len(text))
    for word in words:
        found = pc.match_substring_regex(text, re.escape(word)).to_numpy(zero_copy_only=False)
        hit[rows[~found]] = False
        if found.sum() * 2 < len(found):
            rows = rows[found]
            text = text.filter(pa.array(found))
    return hit


def filter_frame(frame: pd.DataFrame, query: FrameQuery, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows of ``frame`` matching ``query`` (only ``columns`` when given: copying fewer columns is faster)."""
    positions = filter_positions(frame, query)
    source = frame if columns is None else frame[list(columns)]
    if len(positions) == len(frame):
        return source
    return source.take(positions)


def filter_positions(frame: pd.DataFrame, query: FrameQuery) -> np.ndarray:
    """Row positions of ``frame`` matching ``query``: cheap vectorized filters first, the text scan last."""
    mask = np.ones(len(frame), dtype=bool)
    if query.year_from is not None or query.year_to is not None:
        years = frame["year"].to_numpy(dtype="float64", na_value=np.nan)
        if query.year_from is not None:
            mask &= years >= query.year_from
        if query.year_to is not None:
            mask &= years <= query.year_to
    for column, wanted in (("design", query.designs), ("level", query.levels), ("stance", query.stances),
                           ("verification", query.verification)):
        if wanted:
            mask &= _value_mask(frame, column, functools.partial(_casefolded, match=_value_rule(column),
                                                                 wanted=_folded(wanted)))
    if query.topics:
        wanted_topics = query.topics
        mask &= list_mask(frame, "topics", lambda t: _topic_matches(t, wanted_topics))
    if query.entries:
        wanted_entries = set(query.entries)
        mask &= list_mask(frame, "entries", lambda slug: slug in wanted_entries)
    terms = parse_search(query.query, query.vocabulary)
    if terms and mask.any():
        text = search_text(frame)
        idx = np.flatnonzero(mask)
        subset = text.take(pa.array(idx)) if len(idx) < len(frame) else text
        if any(term.topics for term in terms):
            return idx[term_masks(frame, subset, idx, terms)]
        return idx[_contains_all(subset, [fold_words(term.text) for term in terms])]
    return np.flatnonzero(mask)
