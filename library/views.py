"""What the dashboard shows, computed without Streamlit: pure functions over the frame and records.

The dashboard only lays out widgets; everything that could be wrong (query string <-> filter, sort order, related
studies, the evidence map, abstract sections, identifier links, escaping of untrusted text) lives here, where unit
tests can reach it and the 100k-record benchmark can time it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .columns import arrow_column as _arrow_column
from .columns import list_column as _list_column
from .evidence.design import DESIGN_LABELS, DESIGNS
from .evidence.level import parse_level
from .frame import FrameQuery
from .frame import filter_positions as core_filter_positions
from .search import SearchTerm, rank_positions
from .study_view import (
    RelationRow,
    abstract_sections,
    escape_markdown,
    identifier_links,
    journal_line,
    reader_keywords,
    related_studies,
    safe_url,
    study_relations,
)

__all__ = [
    "DEFAULT_SORT",
    "DESIGN_LABELS",
    "DESIGN_ORDER",
    "SORTS",
    "STANCES",
    "UNCLASSIFIED",
    "VERIFICATION_OPTIONS",
    "ParsedParams",
    "RelationRow",
    "abstract_sections",
    "design_label",
    "design_short",
    "escape_markdown",
    "evidence_map",
    "facet_values",
    "filter_positions",
    "identifier_links",
    "journal_line",
    "level_label",
    "level_short",
    "map_cell_positions",
    "params_from_query",
    "parse_params",
    "reader_keywords",
    "related_studies",
    "safe_url",
    "short_topic",
    "sort_frame",
    "sort_positions",
    "studies",
    "studies_per_year",
    "study_label",
    "study_relations",
    "table_view",
    "topic_options",
    "truncate_topic",
]

# Strongest design first: the order of the evidence map's columns and of "strongest evidence first".
DESIGN_ORDER: tuple[str, ...] = (
    "systematic-review", "meta-analysis", "guideline", "rct", "non-randomized-trial", "cohort", "case-control",
    "cross-sectional", "diagnostic-accuracy", "case-series", "case-report", "scoping-review", "narrative-review",
    "editorial", "protocol", "other",
)
DESIGN_ORDER += tuple(d for d in DESIGNS if d not in DESIGN_ORDER)  # a design added to the vocabulary sorts last
_DESIGN_SHORT = {"rct": "RCT", "non-randomized-trial": "Non-randomized trial", "cohort": "Cohort",
                 "case-control": "Case-control", "cross-sectional": "Cross-sectional",
                 "diagnostic-accuracy": "Diagnostic accuracy", "editorial": "Editorial"}
STANCES = ("supportive", "neutral", "critical", "hostile")
# URL value -> frame value of the ``verification`` column ("" = nobody recorded a check)
VERIFICATION_OPTIONS = {"verified": "verified", "unverified": "unverified", "unknown": ""}
SORTS = {
    "relevance": "Best match first",  # the default: search hits ranked (library.search); newest without a search
    "newest": "Newest first",
    "strongest": "Strongest evidence first",
    "oldest": "Oldest first",
    "title": "Title A–Z",
    "author": "First author A–Z",
}
DEFAULT_SORT = "relevance"
UNCLASSIFIED = "unclassified"


def design_label(design: str) -> str:
    """The vocabulary's wording; an unknown slug (imported data) is shown as words, never dropped."""
    return DESIGN_LABELS.get(design, design.replace("-", " ").capitalize()) if design else "Not classified"


def design_short(design: str) -> str:
    """Compact label for table cells."""
    return _DESIGN_SHORT.get(design) or (design_label(design) if design else "")


def level_label(level: str) -> str:
    """'OCEBM2011 therapy 2' -> 'Level 2 (therapy, OCEBM 2011)'; text that is not a level is shown as it is."""
    try:
        return parse_level(level).label()
    except ValueError:
        return level or "Not graded"


def level_short(level: str) -> str:
    """'OCEBM2011 therapy 2' -> 'Level 2 · therapy' for table cells."""
    try:
        parsed = parse_level(level)
    except ValueError:
        return level
    return f"Level {parsed.level} · {parsed.question}"


# --- query string <-> filter ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ParsedParams:
    query: FrameQuery
    sort: str = DEFAULT_SORT
    problems: tuple[str, ...] = field(default=())


def _all(params: Mapping[str, str | Sequence[str]], name: str) -> list[str]:
    value = params.get(name)
    if value is None:
        return []
    values = [value] if isinstance(value, str) else list(value)
    return [v.strip() for v in values if v and v.strip()]


def _year(params: Mapping[str, str | Sequence[str]], name: str, problems: list[str]) -> int | None:
    values = _all(params, name)
    if not values:
        return None
    text = values[-1]
    if text.isdecimal() and 1000 <= int(text) <= 2999:
        return int(text)
    problems.append(f"ignored {name}={text!r} in the link: not a year")
    return None


def parse_params(params: Mapping[str, str | Sequence[str]]) -> ParsedParams:
    """A URL query string (as Streamlit gives it) -> the filter; bad values are reported, not fatal."""
    problems: list[str] = []
    year_from, year_to = _year(params, "from", problems), _year(params, "to", problems)
    if year_from is not None and year_to is not None and year_from > year_to:
        problems.append(f"swapped the year range {year_from}–{year_to}")
        year_from, year_to = year_to, year_from
    verification = []
    for value in _all(params, "verification"):
        if value in VERIFICATION_OPTIONS:
            verification.append(VERIFICATION_OPTIONS[value])
        else:
            problems.append(f"ignored verification={value!r} in the link")
    stances = [s for s in _all(params, "stance") if s in STANCES]
    if len(stances) != len(_all(params, "stance")):
        problems.append("ignored an unknown stance in the link")
    sort = (_all(params, "sort") or [DEFAULT_SORT])[-1]
    if sort not in SORTS:
        problems.append(f"ignored sort={sort!r} in the link")
        sort = DEFAULT_SORT
    query = FrameQuery(
        query=" ".join(_all(params, "q")), topics=tuple(_all(params, "topic")), entries=tuple(_all(params, "entry")),
        designs=tuple(_all(params, "design")), levels=tuple(_all(params, "level")), stances=tuple(stances),
        verification=tuple(verification), year_from=year_from, year_to=year_to)
    return ParsedParams(query, sort, tuple(problems))


def params_from_query(query: FrameQuery, sort: str = DEFAULT_SORT) -> dict[str, str | list[str]]:
    """The inverse of :func:`parse_params`: only non-default parts, so shared links stay short."""
    out: dict[str, str | list[str]] = {}
    if query.query.strip():
        out["q"] = query.query.strip()
    for name, values in (("topic", query.topics), ("entry", query.entries), ("design", query.designs),
                         ("level", query.levels), ("stance", query.stances)):
        if values:
            out[name] = list(values)
    if query.verification:
        back = {v: k for k, v in VERIFICATION_OPTIONS.items()}
        out["verification"] = [back[v] for v in query.verification if v in back]
    if query.year_from is not None:
        out["from"] = str(query.year_from)
    if query.year_to is not None:
        out["to"] = str(query.year_to)
    if sort != DEFAULT_SORT:
        out["sort"] = sort
    return out


# --- facets ---------------------------------------------------------------------------------------------------
def _flat_values(series: pd.Series) -> list[str]:
    """Distinct items of a list column (Arrow kernels: no Python loop over rows)."""
    flat = pc.unique(pc.list_flatten(_list_column(series)))
    return [v for v in flat.to_pylist() if v]


def topic_options(frame: pd.DataFrame, known: Iterable[str] = ()) -> list[str]:
    """Every topic in use or in the taxonomy, plus each ancestor, so a parent can be picked on its own."""
    out: set[str] = set()
    for topic in [*_flat_values(frame["topics"]), *known]:
        parts = [p.strip() for p in topic.split(">")]
        for depth in range(1, len(parts) + 1):
            out.add(" > ".join(parts[:depth]))
    return sorted(out, key=lambda t: [p.casefold() for p in t.split(" > ")])


def facet_values(frame: pd.DataFrame, column: str, known: Iterable[str] = ()) -> list[str]:
    """Distinct non-empty values of a text or list column, plus known vocabulary, in a stable order."""
    if column in ("topics", "entries", "cited_in", "discussed_in", "keywords"):
        present = set(_flat_values(frame[column]))
    else:
        present = {v for v in pd.unique(frame[column].dropna()) if v}
    ordered = list(dict.fromkeys(known))
    return ordered + sorted(present - set(ordered))


def short_topic(topic: str) -> str:
    """The last two segments of a topic path ('HSG > Contrast media'), for a table cell; the study page and the
    filter show the whole path."""
    return " > ".join(p.strip() for p in topic.split(">")[-2:])


def truncate_topic(topic: str, depth: int) -> str:
    return " > ".join(p.strip() for p in topic.split(">")[:depth])


# --- table -----------------------------------------------------------------------------------------------------
_DESIGN_RANK = {d: i for i, d in enumerate(DESIGN_ORDER)}


def _codes(frame: pd.DataFrame, column: str, positions: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
    """(distinct values, code per row) of a text column: per-value work then runs once per distinct value."""
    values = _arrow_column(frame[column])
    if positions is not None:
        values = values.take(pa.array(positions, pa.int64()))
    encoded = pc.dictionary_encode(pc.fill_null(values, ""))
    return [str(v) for v in encoded.dictionary.to_pylist()], encoded.indices.to_numpy(zero_copy_only=False)


def _equals_any(frame: pd.DataFrame, column: str, wanted: Iterable[str]) -> np.ndarray:
    lowered = {w.casefold() for w in wanted}
    distinct, codes = _codes(frame, column)
    accepted = np.array([v.casefold() in lowered for v in distinct], dtype=bool)
    return accepted[codes] if len(distinct) else np.zeros(len(frame), dtype=bool)


def filter_positions(frame: pd.DataFrame, query: FrameQuery) -> np.ndarray:
    """Row positions matching ``query``, with the same meaning as :func:`library.frame.filter_frame`.

    Design, level, stance and verification are compared once per distinct value (Arrow dictionary encoding)
    instead of once per row, which keeps a filter change on 100k records within the dashboard's budget; topics,
    entries, years and the text search are the store's own vectorized filters.
    """
    rest = replace(query, designs=(), levels=(), stances=(), verification=())
    positions = core_filter_positions(frame, rest)
    mask = None
    for column, wanted in (("design", query.designs), ("level", query.levels), ("stance", query.stances),
                           ("verification", query.verification)):
        if wanted:
            hit = _equals_any(frame, column, wanted)
            mask = hit if mask is None else mask & hit
    return positions if mask is None else positions[mask[positions]]


def _level_rank(level: str) -> int:
    try:
        return parse_level(level).level
    except ValueError:
        return 9


def sort_positions(frame: pd.DataFrame, positions: np.ndarray, sort: str,
                   terms: Sequence[SearchTerm] = ()) -> np.ndarray:
    """``positions`` in the order ``sort`` asks for, computed over the whole filtered set (the table shows a page).

    "relevance" ranks search hits (``terms``, see library.search); without a search it is "newest". Undated
    studies and empty values come last; ties keep the file order.
    """
    if len(positions) == 0 or sort not in SORTS:
        return positions
    if sort == "relevance":
        if terms:
            return rank_positions(frame, positions, terms)
        sort = "newest"
    if sort in ("newest", "oldest"):
        years = frame["year"].to_numpy(dtype="float64", na_value=np.nan)[positions]
        keys = np.where(np.isnan(years), np.inf, -years if sort == "newest" else years)
        return positions[np.argsort(keys, kind="stable")]
    if sort in ("title", "author"):
        column = _arrow_column(frame["title" if sort == "title" else "first_author"])
        lowered = pc.fill_null(pc.utf8_lower(column.take(pa.array(positions, pa.int64()))), "")
        order = pc.sort_indices(lowered).to_numpy()
        empty = pc.equal(lowered, "").to_numpy(zero_copy_only=False)[order]
        return positions[np.concatenate([order[~empty], order[empty]])]
    levels, level_codes = _codes(frame, "level", positions)
    designs, design_codes = _codes(frame, "design", positions)
    level_rank = np.array([_level_rank(v) for v in levels], dtype=np.int64)[level_codes]
    design_rank = np.array([_DESIGN_RANK.get(v, len(DESIGN_ORDER)) for v in designs], dtype=np.int64)[design_codes]
    years = frame["year"].to_numpy(dtype="float64", na_value=0)[positions]
    return positions[np.lexsort((-years, design_rank, level_rank))]


def sort_frame(frame: pd.DataFrame, sort: str) -> pd.DataFrame:
    """The frame in the order ``sort`` asks for (see :func:`sort_positions`)."""
    return frame.iloc[sort_positions(frame, np.arange(len(frame)), sort)]


def table_view(frame: pd.DataFrame, positions: np.ndarray | None = None) -> pd.DataFrame:
    """The columns a clinician scans, for the rows at ``positions`` (a page); lists joined, codes spelled out."""
    head = frame if positions is None else frame.iloc[positions]
    return pd.DataFrame({
        "key": head["key"].astype(str).to_numpy(),
        "Year": head["year"].to_numpy(dtype="float64", na_value=np.nan),
        "First author": head["first_author"].astype(str).to_numpy(),
        "Title": head["title"].astype(str).to_numpy(),
        "Journal": head["journal"].astype(str).to_numpy(),
        "Design": [design_short(d) for d in head["design"].astype(str)],
        "Level": [level_short(v) for v in head["level"].astype(str)],
        "Topics": ["; ".join(short_topic(x) for x in t) for t in head["topics"].tolist()],
        "Bottom line": head["tldr"].astype(str).to_numpy(),
    })


def studies(n: int) -> str:
    """'1 study', '2,345 studies'."""
    return f"{n:,} {'study' if n == 1 else 'studies'}"


def study_label(row: Mapping[str, object]) -> str:
    """'Dreyer 2017 · Oil-Based or Water-Based Contrast…' for pickers (plain text, never rendered as markup)."""
    author = str(row.get("first_author") or "Anon.")
    year = row.get("year")
    year_text = str(year) if year is not None and year is not pd.NA and year == year else "n.d."
    title = str(row.get("title") or "(untitled)")
    return f"{author} {year_text} · {title if len(title) <= 110 else title[:109] + '…'}"


# --- evidence map and per-year counts -------------------------------------------------------------------------
def _exploded_topics(frame: pd.DataFrame, depth: int) -> pd.DataFrame:
    """One row per (study, topic truncated to ``depth``), each study counted once per truncated topic."""
    column = _list_column(frame["topics"])
    flat = pc.list_flatten(column)
    parents = pc.list_parent_indices(column).to_numpy()
    encoded = pc.dictionary_encode(flat)
    short = np.array([truncate_topic(t, depth) for t in encoded.dictionary.to_pylist()], dtype=object)
    out = pd.DataFrame({
        "row": parents,
        "topic": short[encoded.indices.to_numpy()] if len(flat) else np.array([], dtype=object),
    })
    return out.drop_duplicates()


def evidence_map(frame: pd.DataFrame, depth: int = 3) -> pd.DataFrame:
    """Topics (rows) × study designs (columns, strongest first): how many studies back each topic."""
    exploded = _exploded_topics(frame, depth)
    designs = frame["design"].astype(str).replace("", UNCLASSIFIED).to_numpy()
    exploded["design"] = designs[exploded["row"].to_numpy()] if len(exploded) else []
    table = pd.crosstab(exploded["topic"], exploded["design"]) if len(exploded) else pd.DataFrame()
    columns = [d for d in (*DESIGN_ORDER, UNCLASSIFIED) if d in table.columns]
    columns += sorted(set(table.columns) - set(columns))
    table = table.reindex(columns=columns)
    table.index.name, table.columns.name = "topic", "design"
    return table


def map_cell_positions(frame: pd.DataFrame, topic: str, design: str, depth: int = 3) -> np.ndarray:
    """Rows behind one evidence-map cell: a topic (truncated to ``depth``, as the map shows it) and a design
    (``unclassified`` for none), newest first."""
    exploded = _exploded_topics(frame, depth)
    rows = exploded.loc[exploded["topic"] == topic, "row"].to_numpy(dtype=np.int64)
    designs = frame["design"].astype(str).replace("", UNCLASSIFIED).to_numpy()
    rows = np.unique(rows[designs[rows] == design]) if len(rows) else rows
    return sort_positions(frame, rows, "newest")


def studies_per_year(frame: pd.DataFrame, depth: int = 1) -> pd.DataFrame:
    """Long form (year, topic, studies) for a stacked bar chart; studies without a year are left out."""
    exploded = _exploded_topics(frame, depth)
    years = frame["year"].to_numpy(dtype="float64", na_value=np.nan)
    exploded["year"] = years[exploded["row"].to_numpy()] if len(exploded) else []
    exploded = exploded.dropna(subset=["year"])
    counts = exploded.groupby(["year", "topic"]).size().reset_index(name="studies")
    counts["year"] = counts["year"].astype("int64")
    return counts
