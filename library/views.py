"""What the dashboard shows, computed without Streamlit: pure functions over the frame and records.

The dashboard only lays out widgets; everything that could be wrong (query string <-> filter, sort order, related
studies, the evidence map, abstract sections, identifier links, escaping of untrusted text) lives here, where unit
tests can reach it and the 100k-record benchmark can time it.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import quote, urlsplit

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .evidence.design import DESIGN_LABELS, DESIGNS
from .evidence.level import parse_level
from .frame import FrameQuery
from .frame import filter_positions as core_filter_positions
from .identifiers import InvalidIdentifier, normalize_doi, normalize_pmcid, normalize_pmid
from .model import RELATION_KINDS, Record

__all__ = [
    "DESIGN_LABELS",
    "DESIGN_ORDER",
    "SORTS",
    "STANCES",
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
    "params_from_query",
    "parse_params",
    "related_studies",
    "safe_url",
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
    "cross-sectional", "diagnostic-accuracy", "case-series", "case-report", "narrative-review", "editorial",
    "protocol", "other",
)
DESIGN_ORDER += tuple(d for d in DESIGNS if d not in DESIGN_ORDER)  # a design added to the vocabulary sorts last
_DESIGN_SHORT = {"rct": "RCT", "non-randomized-trial": "Non-randomized trial", "cohort": "Cohort",
                 "case-control": "Case-control", "cross-sectional": "Cross-sectional",
                 "diagnostic-accuracy": "Diagnostic accuracy", "editorial": "Editorial"}
STANCES = ("supportive", "neutral", "critical", "hostile")
# URL value -> frame value of the ``verification`` column ("" = nobody recorded a check)
VERIFICATION_OPTIONS = {"verified": "verified", "unverified": "unverified", "unknown": ""}
SORTS = {
    "newest": "Newest first",
    "strongest": "Strongest evidence first",
    "oldest": "Oldest first",
    "title": "Title A–Z",
    "author": "First author A–Z",
}
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
    sort: str = "newest"
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
    if text.isdigit() and 1000 <= int(text) <= 2999:
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
    sort = (_all(params, "sort") or ["newest"])[-1]
    if sort not in SORTS:
        problems.append(f"ignored sort={sort!r} in the link")
        sort = "newest"
    query = FrameQuery(
        query=" ".join(_all(params, "q")), topics=tuple(_all(params, "topic")), entries=tuple(_all(params, "entry")),
        designs=tuple(_all(params, "design")), levels=tuple(_all(params, "level")), stances=tuple(stances),
        verification=tuple(verification), year_from=year_from, year_to=year_to)
    return ParsedParams(query, sort, tuple(problems))


def params_from_query(query: FrameQuery, sort: str = "newest") -> dict[str, str | list[str]]:
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
    if sort != "newest":
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


def sort_positions(frame: pd.DataFrame, positions: np.ndarray, sort: str) -> np.ndarray:
    """``positions`` in the order ``sort`` asks for, computed over the whole filtered set (the table shows a page).

    Undated studies and empty values come last; ties keep the file order.
    """
    if len(positions) == 0 or sort not in SORTS:
        return positions
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
        "Topics": ["; ".join(t) for t in head["topics"].tolist()],
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


# --- study page ---------------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character CommonMark can escape


def escape_markdown(text: str) -> str:
    """Untrusted text -> markdown that renders as exactly that text (no links, HTML, math or directives).

    Every ASCII punctuation character markdown or Streamlit's extensions give a meaning to is backslash-escaped;
    newlines become spaces so a title cannot start a heading or a list.
    """
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def journal_line(record: Record) -> str:
    """'New England Journal of Medicine. 2017;376(21):2043–2052.' — the line the encyclopedia shows."""
    source = record.journal or record.booktitle or record.publisher
    parts = [source.rstrip(".")] if source else []
    tail = str(record.year) if record.year else ""
    if record.volume:
        tail += f";{record.volume}"
        if record.issue:
            tail += f"({record.issue})"
    elif record.issue:
        tail += f";({record.issue})"
    if record.pages:
        tail += f":{record.pages.replace('--', '–')}"
    if tail:
        parts.append(tail)
    return ". ".join(parts) + "." if parts else ""


@dataclass(frozen=True, slots=True)
class IdentifierLink:
    label: str  # DOI / PubMed / PMC / Web
    value: str
    url: str


def safe_url(url: str) -> str:
    """Only http(s) addresses, with the characters that could break a markdown link percent-encoded."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return quote(url.strip(), safe=":/?#@!$&'*+,;=%-._~")


def identifier_links(record: Record) -> list[IdentifierLink]:
    """doi.org, PubMed and PMC links from valid identifiers only; an invalid one is shown as text elsewhere."""
    links: list[IdentifierLink] = []
    try:
        doi = normalize_doi(record.doi) if record.doi else ""
    except InvalidIdentifier:
        doi = ""
    if doi:
        links.append(IdentifierLink("DOI", doi, "https://doi.org/" + quote(doi, safe="/:;._-")))
    try:
        pmid = normalize_pmid(record.pmid) if record.pmid else ""
    except InvalidIdentifier:
        pmid = ""
    if pmid:
        links.append(IdentifierLink("PubMed", pmid, f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"))
    try:
        pmcid = normalize_pmcid(record.pmcid) if record.pmcid else ""
    except InvalidIdentifier:
        pmcid = ""
    if pmcid:
        links.append(IdentifierLink("PMC", pmcid, f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/"))
    web = safe_url(record.url) if record.url else ""
    if web and not any(web.rstrip("/") == link.url.rstrip("/") for link in links):
        links.append(IdentifierLink("Web", record.url.strip(), web))
    return links


_PARAGRAPH_LABEL = re.compile(r"^(?P<label>[A-Z][A-Za-z /&,()-]{1,60}?)\s*:\s+(?P<text>\S.*)$", re.DOTALL)
_INLINE_LABEL = re.compile(r"(?:(?<=^)|(?<=[.!?]\s))(?P<label>[A-Z][A-Z /&,-]{2,60}[A-Z]):\s+")


# first words of the mixed-case labels structured abstracts use ("Materials and methods", "Main outcome measures")
_LABEL_WORDS = frozenset(re.findall(r"[a-z]+",
    "aim aims background case clinical conclusion conclusions context data design discussion eligibility evidence "
    "findings funding importance interpretation interventions introduction key limitations main materials "
    "measurements method methods objective objectives outcome outcomes participants patients primary purpose "
    "rationale registration relevance result results review search secondary selection setting significance "
    "sources study summary synthesis trial what wider"))


def _is_label(label: str) -> bool:
    words = label.split()
    return 0 < len(words) <= 8 and (label.isupper() or words[0].lower() in _LABEL_WORDS)


def abstract_sections(abstract: str) -> list[tuple[str, str]]:
    """A structured abstract -> [(label, text)], '' label for unstructured text.

    Labels are recognized at the start of a paragraph ("Background: ...", "METHODS: ...") and, for abstracts
    flattened into one paragraph, as ALL-CAPS labels right after a sentence ("... birth. RESULTS: ...").
    """
    sections: list[tuple[str, str]] = []
    for paragraph in re.split(r"\n\s*\n", abstract.strip()):
        text = " ".join(paragraph.split())
        if not text:
            continue
        pieces = _INLINE_LABEL.split(text)
        # split() gives [before, label, text, label, text, ...]
        if pieces[0].strip():
            head = _PARAGRAPH_LABEL.match(pieces[0].strip())
            if head and _is_label(head["label"]):
                sections.append((head["label"].strip(), head["text"].strip()))
            else:
                sections.append(("", pieces[0].strip()))
        for i in range(1, len(pieces) - 1, 2):
            sections.append((pieces[i].strip(), pieces[i + 1].strip()))
    return sections


_WORD = re.compile(r"[a-z0-9]{4,}")
_TITLES: dict[int, pa.Array] = {}


def _lowered_titles(frame: pd.DataFrame) -> pa.Array:
    """Lower-cased titles, once per frame object (a frame is immutable once the store built it)."""
    cached = _TITLES.get(id(frame))
    if cached is None or len(cached) != len(frame):
        cached = pc.utf8_lower(_arrow_column(frame["title"]))
        _TITLES[id(frame)] = cached
        weakref.finalize(frame, _TITLES.pop, id(frame), None)
    return cached
FULL_TITLE_SCAN = 20_000  # up to this many records every title is compared; above, only plausible ones


def _title_candidates(frame: pd.DataFrame, title: str) -> np.ndarray:
    """Rows worth a fuzzy title comparison: all of a small library; in a large one, those sharing the title's
    longest words (similar titles share most words, and the longest words are the rarest)."""
    if len(frame) <= FULL_TITLE_SCAN:
        return np.arange(len(frame))
    words = sorted(set(_WORD.findall(title.casefold())), key=len, reverse=True)[:3]
    if not words:
        return np.arange(0)
    lowered = _lowered_titles(frame)
    counts = sum(pc.match_substring(lowered, w).to_numpy(zero_copy_only=False).astype(np.int8) for w in words)
    needed = min(2, len(words))
    candidates = np.flatnonzero(counts >= needed)
    if len(candidates) > FULL_TITLE_SCAN:
        candidates = np.flatnonzero(counts >= len(words))[:FULL_TITLE_SCAN]
    return candidates


def related_studies(frame: pd.DataFrame, key: str, limit: int = 4) -> pd.DataFrame:
    """Studies to read next: same trial first, then shared topics, then similar titles, newest breaking ties.

    Returns the matching frame rows with a ``reason`` column; the study itself is never included.
    """
    from rapidfuzz import fuzz, process

    found = np.flatnonzero((frame["key"] == key).to_numpy(dtype=bool, na_value=False))
    if len(found) == 0 or len(frame) < 2:
        return frame.iloc[0:0].assign(reason=pd.Series(dtype="string"))
    mine = int(found[0])
    me = frame.iloc[mine]
    trials = [k.split(":", 1)[1] for k in me["keywords"] if k.lower().startswith("trial:")]
    wanted_trials = {f"trial:{t}".casefold() for t in trials}
    same_trial = (_list_hits(frame["keywords"], lambda k: k.casefold() in wanted_trials) if trials
                  else np.zeros(len(frame), dtype=bool))
    my_topics = set(me["topics"])
    shared_topic = (_list_hits(frame["topics"], lambda t: t in my_topics) if my_topics
                    else np.zeros(len(frame), dtype=bool))
    similarity = np.zeros(len(frame))
    candidates = _title_candidates(frame, str(me["title"]))
    titles = [str(t) for t in frame["title"].take(candidates).tolist()]
    for _, value, i in process.extract(str(me["title"]), titles, scorer=fuzz.token_set_ratio,
                                       limit=limit * 3 + 1, score_cutoff=60):
        similarity[candidates[i]] = value
    score = 100 * same_trial + 10 * shared_topic + similarity / 10
    score[mine] = -1
    year = frame["year"].to_numpy(dtype="float64", na_value=0)
    chosen: list[int] = []
    reasons: list[str] = []
    for p in np.lexsort((-year, -score)):
        if score[p] <= 0 or len(chosen) == limit:
            break
        why = ([f"same trial ({', '.join(trials)})"] if same_trial[p] else []) + \
              (["shared topic"] if shared_topic[p] else []) + (["similar title"] if similarity[p] >= 75 else [])
        if why:
            chosen.append(int(p))
            reasons.append("; ".join(why))
    out = frame.iloc[chosen].copy()
    out["reason"] = reasons
    return out


@dataclass(frozen=True, slots=True)
class RelationRow:
    """One line of a study's "Related records": ``label`` ("erratum of", "has erratum"), the other record's key,
    its title (plain text) and whether it is in the library."""

    label: str
    key: str
    title: str
    in_library: bool
    outgoing: bool  # stored on this study (True) or on the other record, naming this one (False)

    def text(self) -> str:
        """'has erratum: Erratum: Oil-based …' or 'erratum of: smith2019 (not in the library)' (plain text)."""
        other = (self.title or "(untitled)") if self.in_library else f"{self.key} (not in the library)"
        return f"{self.label}: {other}"


def study_relations(frame: pd.DataFrame, record: Record) -> list[RelationRow]:
    """The study's related records in both directions: its own ``relations`` ("erratum of X"), then the records
    whose ``relations`` name it ("has erratum: Y"), each once, titles looked up in the frame."""
    wanted = [rel.key for rel in record.relations if rel.key]
    found = np.flatnonzero(frame["key"].isin(wanted).to_numpy(dtype=bool, na_value=False)) if wanted else ()
    title_of = {str(frame["key"].iloc[i]): str(frame["title"].iloc[i] or "") for i in found}
    rows: list[RelationRow] = []
    seen: set[tuple[bool, str, str]] = set()
    for rel in record.relations:
        if (True, rel.kind, rel.key) in seen or rel.key == record.key:
            continue
        seen.add((True, rel.kind, rel.key))
        label = rel.kind.replace("-", " ") if rel.key else "relation without a key"
        rows.append(RelationRow(label, rel.key or rel.kind, str(title_of.get(rel.key, "")),
                                rel.key in title_of, True))
    if "relations" in frame.columns and len(frame):
        hits = np.flatnonzero(_list_hits(frame["relations"], lambda item: item.partition(" ")[2].strip() == record.key))
        for position in hits:
            other = str(frame["key"].iloc[position])
            if other == record.key:
                continue
            for item in frame["relations"].iloc[position]:
                kind, _, target = str(item).partition(" ")
                if target.strip() != record.key or (False, kind, other) in seen:
                    continue
                seen.add((False, kind, other))
                rows.append(RelationRow(RELATION_KINDS.get(kind, f"named as {kind} by"), other,
                                        str(frame["title"].iloc[position] or ""), True, False))
    return rows


def _arrow_column(series: pd.Series) -> pa.Array:
    """The Arrow array behind a frame column (the store's frame is Arrow-backed; others are converted)."""
    values = series.array
    column = values._pa_array if hasattr(values, "_pa_array") else pa.array(series.tolist())
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _list_column(series: pd.Series) -> pa.ListArray:
    values = series.array
    column = values._pa_array if hasattr(values, "_pa_array") else pa.array(series.tolist(), pa.list_(pa.string()))
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _list_hits(series: pd.Series, matches: Callable[[str], bool]) -> np.ndarray:
    """Rows whose list holds an item ``matches`` accepts; ``matches`` runs once per distinct item."""
    column = _list_column(series)
    flat = pc.list_flatten(column)
    mask = np.zeros(len(series), dtype=bool)
    if len(flat) == 0:
        return mask
    encoded = pc.dictionary_encode(flat)
    accepted = np.array([matches(v) for v in encoded.dictionary.to_pylist()], dtype=bool)
    mask[pc.list_parent_indices(column).to_numpy()[accepted[encoded.indices.to_numpy()]]] = True
    return mask


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


def studies_per_year(frame: pd.DataFrame, depth: int = 1) -> pd.DataFrame:
    """Long form (year, topic, studies) for a stacked bar chart; studies without a year are left out."""
    exploded = _exploded_topics(frame, depth)
    years = frame["year"].to_numpy(dtype="float64", na_value=np.nan)
    exploded["year"] = years[exploded["row"].to_numpy()] if len(exploded) else []
    exploded = exploded.dropna(subset=["year"])
    counts = exploded.groupby(["year", "topic"]).size().reset_index(name="studies")
    counts["year"] = counts["year"].astype("int64")
    return counts
