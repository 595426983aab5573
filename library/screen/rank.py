"""Rank the inbox: what this library's editors included before goes first (see :mod:`library.screen.model`).

Training data: includes are the inbox records an editor included **and** the library records on the topics /
entries of the searches that fed the inbox (a library record on the search's topic is something the editors
wanted); excludes are the inbox records an editor excluded. The features are fitted once over all those texts
and the inbox (:class:`Ranker` keeps them), so re-ranking after a decision is one fit on the labelled rows and
one sparse product over the unread ones. Deterministic (``seed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import model
from .featurecache import cached_features
from .inbox import Inbox
from .model import Features, Model, metadata_on, record_meta, record_text, train, unsure_turn

__all__ = ["DECIDED_BY_YOU", "Positive", "Ranked", "Ranker", "library_positives", "states_of"]


class Positive(NamedTuple):
    """A library record the model counts as an include: its text and metadata tokens (model.record_meta)."""

    text: str
    meta: list[str]


def _listed(values: object) -> list[str]:
    return [str(v) for v in values] if isinstance(values, list | np.ndarray) else []


def library_positives(frame: pd.DataFrame | None, topics: Sequence[str], entries: Sequence[str]) -> list[Positive]:
    """The library records on any of ``topics`` (a topic also matches its sub-topics) or linked to any of
    ``entries``: text (title, abstract, keywords) and metadata (authors, year, journal, keywords)."""
    if frame is None or not len(frame) or (not topics and not entries):
        return []
    wanted = tuple(topics)

    def on_topic(values: object) -> bool:
        return any(str(v) == t or str(v).startswith(f"{t} >") for v in (values if isinstance(values, list | np.ndarray)
                                                                        else []) for t in wanted)

    def on_entry(values: object) -> bool:
        return any(str(v) in entries for v in (values if isinstance(values, list | np.ndarray) else []))

    mask = frame["topics"].map(on_topic) | frame["entries"].map(on_entry)
    chosen = frame.loc[mask, ["title", "abstract", "keywords", "authors", "year", "journal"]]
    return [Positive(record_text(str(t or ""), str(a or ""), _listed(kw)),
                     record_meta(_listed(au), None if pd.isna(y) else int(y), str(j or ""), _listed(kw)))
            for t, a, kw, au, y, j in chosen.itertuples(index=False, name=None)]


@dataclass(slots=True)
class Ranked:
    ids: list[int]  # unread inbox ids, best first
    scores: list[float]
    model: Model
    included: int  # what the model learnt from
    excluded: int
    from_library: int
    terms: dict[int, list[tuple[str, float]]] = field(default_factory=dict)
    unsure: int | None = None  # put first because the model is least sure about it (an uncertainty pick)

    def why(self, record_id: int) -> str:
        """Why the record is where it is, for the screening page and ``screen next``."""
        if record_id == self.unsure:
            return "offered to learn from: the model is least sure about this record"
        terms = self.terms.get(record_id, [])
        return f"ranks high for: {', '.join(t for t, _ in terms)}" if terms else ""


class Ranker:
    """Features of one inbox (plus library positives), reused across re-rankings while nothing new arrives."""

    def __init__(self, inbox: Inbox, positives: Sequence[str | Positive] = (), seed: int = 0,
                 cache: Path | None = None) -> None:
        """``positives``: library records counted as includes (:func:`library_positives`; a bare text has no
        metadata). Inbox records are read as :func:`library.screen.simulate.read_dataset` reads a labelled set:
        title, abstract and keywords as text; authors, year, journal and keywords as metadata. ``cache``: a file
        that keeps the fitted features for the next command (:mod:`.featurecache`)."""
        self.seed = seed
        self.ids, titles, abstracts = inbox.texts()
        details = inbox.metadata(authors=model.AUTHOR_WEIGHT != 0)  # (names are parsed only when read: ~1.5 s at 100k)
        self.position = {i: n for n, i in enumerate(self.ids)}
        self._ids = np.asarray(self.ids, dtype=np.int64)
        # inbox id -> row among the inbox records (-1: not in the inbox when the features were fitted)
        self._row = np.full(int(self._ids.max()) + 1 if len(self._ids) else 0, -1, dtype=np.int64)
        self._row[self._ids] = np.arange(len(self._ids))
        self.n_library = len(positives)
        texts = [p.text if isinstance(p, Positive) else p for p in positives]
        texts += [record_text(t, a, kw) for t, a, (_, _, _, kw) in zip(titles, abstracts, details, strict=True)]
        meta = None
        if metadata_on():
            meta = [p.meta if isinstance(p, Positive) else [] for p in positives]
            meta += [record_meta(au, y, j, kw) for au, y, j, kw in details]
        self.features: Features = cached_features(cache, texts, meta)

    def rank(self, states: dict[int, str], limit: int | None = None, explain: int = 0) -> Ranked:
        """``states``: inbox id -> state (open / maybe / included / excluded / conflict) now."""
        offset = self.n_library
        keys = np.fromiter(states.keys(), dtype=np.int64, count=len(states))
        kinds = pd.Categorical(list(states.values()), categories=("open", "maybe", "conflict", "included",
                                                                  "excluded")).codes  # -1: another state
        rows = np.full(len(keys), -1, dtype=np.int64)
        known = (keys >= 0) & (keys < len(self._row))
        rows[known] = self._row[keys[known]]
        rows = np.where(rows >= 0, rows + offset, -1)
        inc = list(range(offset)) + rows[(kinds == 3) & (rows >= 0)].tolist()
        exc = rows[(kinds == 4) & (rows >= 0)].tolist()
        model = train(self.features.matrix, inc, exc, seed=self.seed, partner=self.features.partner)
        waiting = (kinds >= 0) & (kinds <= 2) & (rows >= 0)
        unread = rows[waiting]
        later = kinds[waiting] != 0
        scores = model.scores(self.features.matrix[unread]) if len(unread) else np.zeros(0, dtype=np.float32)
        order = np.lexsort((unread, -scores, later))  # open records first (maybe / conflict after); ties: oldest
        unsure = None
        # only a classifier (includes and excludes known) has a boundary to be unsure about
        if unsure_turn(len(inc) - offset + len(exc)) and inc and exc and (~later).any():
            open_rows = np.flatnonzero(~later)
            pick = int(open_rows[np.argmin(np.abs(scores[open_rows]))])
            order = np.concatenate([[pick], order[order != pick]])
            unsure = self.ids[int(unread[pick]) - offset]
        if limit is not None:
            order = order[:limit]
        ids = self._ids[unread[order] - offset].tolist()
        ranked = Ranked(ids, scores[order].astype(float).tolist(), model, len(inc) - offset, len(exc), offset,
                        unsure=unsure)
        for k in order[:explain]:
            row = self.features.matrix[int(unread[k])]
            ranked.terms[self.ids[int(unread[k]) - offset]] = model.top_terms(row, self.features.terms)
        return ranked

    def inclusion_terms(self, model: Model, n: int = 40) -> list[str]:
        """The terms the model weighs most towards inclusion (highlighted on the screening page)."""
        if not len(model.coef):
            return []
        words = model.coef[:self.features.words] if self.features.words >= 0 else model.coef  # no metadata tokens
        top = np.argsort(-words)[:n]
        return [str(self.features.terms[i]) for i in top if words[i] > 0]


DECIDED_BY_YOU = "decided by you"  # a state ranking never offers (not among Ranker.rank's states)


def states_of(inbox: Inbox, reviewer: str | None = None) -> dict[int, str]:
    """Inbox id -> state. For ``reviewer``, a record still waiting for someone else (open in two-reviewer mode,
    or a conflict for a third reviewer) that this reviewer has decided is ``DECIDED_BY_YOU``: never offered to
    them again."""
    states: dict[int, str] = dict(inbox.conn.execute("SELECT id, state FROM records").fetchall())
    if reviewer is not None:
        for (record_id,) in inbox.conn.execute("SELECT DISTINCT record_id FROM decisions WHERE reviewer = ?",
                                               (reviewer,)):
            if states.get(record_id) in ("open", "conflict"):
                states[record_id] = DECIDED_BY_YOU
    return states
