"""Finding duplicates: in a whole library (:func:`find_duplicates`) or for incoming records (:func:`match_incoming`).

Pipeline (all pure, on plain :class:`~library.model.Record` objects): normalize every record once into a
:class:`~library.dedupe.comparison_keys.KeyTable`; generate candidate pairs from capped blocks (O(n), see
:mod:`~library.dedupe.blocking`); drop unlike pairs in one vectorized rapidfuzz pass; compare the survivors
field by field and decide (:mod:`~library.dedupe.rules`, :mod:`~library.dedupe.vetoes`); join auto pairs into
clusters that never cross a veto (:mod:`~library.dedupe.clusters`). Editors' decisions
(:mod:`~library.dedupe.decisions`) override the rules for the pairs they cover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model import Record
from .blocking import candidate_pairs
from .clusters import constrained_clusters
from .decisions import Decisions
from .notices import KIND_RELATIONS, Related
from .pair_relation import relation
from .rules import Verdict, decide
from .scoring import compare, journal_relation, prefilter
from .table import KeyTable, build_table, columns_from_frame, columns_from_records

__all__ = ["Cluster", "DedupeResult", "Match", "PairEvidence", "Related", "find_duplicates", "match_incoming",
           "pointer_pairs"]


@dataclass(frozen=True, slots=True)
class PairEvidence:
    """Why two records are (or are not) one study: the tier, a 0..1 score, readable reasons, the decision."""

    a: str
    b: str
    tier: str  # identifier | fuzzy | editor
    score: float
    decision: str  # auto | review | veto
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"keys": [self.a, self.b], "tier": self.tier, "score": self.score, "decision": self.decision,
                "reasons": list(self.reasons)}


@dataclass(frozen=True, slots=True)
class Cluster:
    """Records to merge automatically into one, with the pair evidence that joined them."""

    keys: tuple[str, ...]
    pairs: tuple[PairEvidence, ...]

    def to_json(self) -> dict[str, object]:
        return {"keys": list(self.keys), "pairs": [p.to_json() for p in self.pairs]}


@dataclass
class DedupeResult:
    """Auto-merge clusters, pairs for an editor to review, vetoed look-alikes (kept for explanation), and
    related links (an erratum, comment, reply, protocol or meeting abstract of a paper: found, never merged)."""

    clusters: list[Cluster] = field(default_factory=list)
    review: list[PairEvidence] = field(default_factory=list)
    vetoed: list[PairEvidence] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)
    records: int = 0
    candidates: int = 0  # pairs that share a blocking key
    compared: int = 0  # of them, pairs similar enough to be compared field by field

    @property
    def has_findings(self) -> bool:
        return bool(self.clusters or self.review)

    def auto_pairs(self) -> set[tuple[str, str]]:
        """Every pair inside an auto cluster (the transitive closure), keys sorted within a pair."""
        out: set[tuple[str, str]] = set()
        for cluster in self.clusters:
            keys = sorted(cluster.keys)
            out.update((a, b) for n, a in enumerate(keys) for b in keys[n + 1:])
        return out

    def to_json(self) -> dict[str, object]:
        return {"records": self.records, "candidate_pairs": self.candidates, "compared_pairs": self.compared,
                "clusters": [c.to_json() for c in self.clusters], "review": [p.to_json() for p in self.review],
                "vetoed": [p.to_json() for p in self.vetoed], "related": [r.to_json() for r in self.related]}


@dataclass(frozen=True, slots=True)
class Match:
    """An incoming record (position ``index`` in the batch) that is already in the library as ``key``."""

    index: int
    key: str
    decision: str  # auto (merge into ``key``) | review (ask an editor)
    evidence: PairEvidence


def _pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


Relation = tuple[str, int, tuple[str, ...]]  # kind, side of the source (0: i, 1: j), reasons


def _assess(table: KeyTable, pairs: np.ndarray) -> tuple[list[tuple[int, int, Verdict]], int,
                                                         dict[tuple[int, int], Relation]]:
    """Verdicts on the candidate pairs worth a detailed look, how many were looked at, and related pairs."""
    kept, sims = prefilter(table, pairs)
    out = []
    related: dict[tuple[int, int], Relation] = {}
    for (i, j), sim in zip(kept.tolist(), sims.tolist(), strict=True):
        features = compare(table, i, j, sim)
        verdict = decide(features)
        if verdict is not None:
            out.append((i, j, verdict))
            if verdict.decision != "auto":
                found = relation(features, verdict.decision, (bool(table.abstract[i]), bool(table.abstract[j])),
                                 (_place(table, i), _place(table, j)), (int(table.year[i]), int(table.year[j])))
                if found is not None:
                    related[(i, j)] = found
    _apply_pointers(table, out, related)
    return out, len(kept), related


POINTER_REASON = "the other record's title notes name this one as its {kind}"


def _place(table: KeyTable, n: int) -> tuple[str, str]:
    """First and last page when the record's pages are page numbers, else ('', '')."""
    return (table.page[n], table.last_page[n]) if table.numbered[n] else ("", "")


def _apply_pointers(table: KeyTable, verdicts: list[tuple[int, int, Verdict]],
                    related: dict[tuple[int, int], Relation]) -> None:
    """The notices that papers' title notes point at: vetoed against the paper and linked as related (in place)."""
    found = pointer_pairs(table)
    if not found:
        return
    position = {(i, j): n for n, (i, j, _) in enumerate(verdicts)}
    for notice, paper_at, kind in found:
        i, j = min(notice, paper_at), max(notice, paper_at)
        citation = POINTER_REASON.format(kind=kind)
        n = position.get((i, j))
        if n is None:
            position[(i, j)] = len(verdicts)
            verdicts.append((i, j, Verdict("veto", "fuzzy", 0.5, (citation,))))
        else:
            old = verdicts[n][2]
            verdicts[n] = (i, j, Verdict("veto", old.tier, old.score, (citation, *old.reasons)))
        related[(i, j)] = (KIND_RELATIONS[kind], 0 if notice == i else 1, (citation,))


def pointer_pairs(table: KeyTable) -> list[tuple[int, int, str]]:
    """(notice, paper, kind) for each record at the volume and first page a paper's title note points at.

    The pointed record must agree on the year (one year late allowed) and not be in another journal than the
    note (or the paper) names; it is never the paper itself (same volume and first page as the paper).
    """
    if not table.pointers:
        return []
    wanted = {(volume, page) for found in table.pointers.values() for _, _, _, volume, page in found}
    at: dict[tuple[str, str], list[int]] = {}
    for n, place in enumerate(zip(table.volume.tolist(), table.page.tolist(), strict=True)):
        if place in wanted:
            at.setdefault(place, []).append(n)
    out = []
    for paper_at, found in table.pointers.items():
        for kind, journal, year, volume, page in found:
            for notice in at.get((volume, page), ()):
                if notice == paper_at or (table.volume[paper_at], table.page[paper_at]) == (volume, page):
                    continue
                notice_year = int(table.year[notice])
                if notice_year >= 0 and abs(notice_year - year) > 1:
                    continue
                journals = (journal_relation(journal, table.journal[notice]),
                            journal_relation(table.journal[paper_at], table.journal[notice]))
                if "different" in journals and not {"same", "compatible"} & set(journals):
                    continue
                out.append((notice, paper_at, kind))
    return out


def _apply_decisions(verdicts: list[tuple[int, int, Verdict]], keys: Sequence[str], positions: dict[str, int],
                     decisions: Decisions | None) -> list[tuple[int, int, Verdict]]:
    """Editors' accepted/rejected pairs replace the rules' verdicts (accepted pairs need not be candidates)."""
    if decisions is None or not len(decisions):
        return verdicts
    out = []
    seen = set()
    for i, j, verdict in verdicts:
        pair = _pair_key(keys[i], keys[j])
        seen.add(pair)
        if pair in decisions.rejected:
            verdict = Verdict("veto", "editor", verdict.score, ("rejected by an editor", *verdict.reasons))
        elif pair in decisions.accepted:
            verdict = Verdict("auto", "editor", verdict.score, ("accepted by an editor", *verdict.reasons))
        out.append((i, j, verdict))
    for pairs, decision, reason in ((decisions.accepted, "auto", "accepted by an editor"),
                                    (decisions.rejected, "veto", "rejected by an editor")):
        for pair in pairs:
            if pair not in seen and pair[0] in positions and pair[1] in positions:
                out.append((positions[pair[0]], positions[pair[1]], Verdict(decision, "editor", 1.0, (reason,))))
    return out


def _evidence(keys: Sequence[str], i: int, j: int, verdict: Verdict) -> PairEvidence:
    return PairEvidence(keys[i], keys[j], verdict.tier, verdict.score, verdict.decision, verdict.reasons)


def find_duplicates(records: Sequence[Record] | pd.DataFrame, decisions: Decisions | None = None) -> DedupeResult:
    """Duplicate clusters in ``records`` (keys must be unique); O(n) in the number of records.

    ``records`` may also be the library's pandas view (``lib.frame()``): the same result without building a
    Record per entry, which is what makes a 100k-record library fast. Records without a title, authors or year
    are compared only on what they have; a missing field never counts as agreement.
    """
    table = build_table(records)
    keys = [str(k) for k in table.keys]
    pairs = candidate_pairs(table)
    verdicts, compared, related = _assess(table, pairs)
    positions = {k: n for n, k in enumerate(keys)}
    verdicts = _apply_decisions(verdicts, keys, positions, decisions)
    auto = [(v.score, i, j) for i, j, v in verdicts if v.decision == "auto"]
    forbidden = [(i, j) for i, j, v in verdicts if v.decision == "veto"]
    groups = constrained_clusters(len(keys), auto, forbidden)
    cluster_of = {member: n for n, group in enumerate(groups) for member in group}
    edges: dict[int, list[PairEvidence]] = {}
    result = DedupeResult(records=len(records), candidates=len(pairs), compared=compared)
    asked: set[tuple[int, int]] = set()
    # clusters that a vetoed relation already ties (an erratum and the paper's copies): a link, not a question
    for i, j, verdict in verdicts:
        if verdict.decision == "veto" and (i, j) in related:
            group_i, group_j = cluster_of.get(i, -1 - i), cluster_of.get(j, -1 - j)
            asked.add((min(group_i, group_j), max(group_i, group_j)))
    for i, j, verdict in sorted(verdicts, key=lambda t: (-t[2].score, t[0], t[1])):
        evidence = _evidence(keys, i, j, verdict)
        group_i, group_j = cluster_of.get(i, -1 - i), cluster_of.get(j, -1 - j)
        if verdict.decision == "veto":
            result.vetoed.append(evidence)
        elif group_i == group_j:
            edges.setdefault(group_i, []).append(evidence)
        elif (min(group_i, group_j), max(group_i, group_j)) in asked:
            continue  # one question per pair of clusters: the best-scoring pair (or a related link) stands for all
        else:
            asked.add((min(group_i, group_j), max(group_i, group_j)))
            # an auto pair that a veto kept out of a cluster is for an editor to look at
            result.review.append(evidence if verdict.decision == "review" else PairEvidence(
                evidence.a, evidence.b, evidence.tier, evidence.score, "review",
                ("kept apart: joining would merge records vetoed against each other", *evidence.reasons)))
    result.clusters = [Cluster(tuple(keys[m] for m in group), tuple(edges.get(n, ())))
                       for n, group in enumerate(groups)]
    result.related = _related_links(keys, verdicts, related, cluster_of)
    return result


def _related_links(keys: Sequence[str], verdicts: list[tuple[int, int, Verdict]],
                   related: dict[tuple[int, int], Relation], cluster_of: dict[int, int]) -> list[Related]:
    """One link per related pair of clusters (a record alone is its own cluster), the best-scoring pair first.

    A link whose records were merged after all (an editor accepted the pair, or a stronger path joined them)
    is dropped: one item is not related to itself.
    """
    score = {(i, j): v.score for i, j, v in verdicts}
    links: dict[tuple[int, int, str], Related] = {}

    def strength(item: tuple[tuple[int, int], Relation]) -> tuple[int, float, tuple[int, int]]:
        reason = item[1][2][0]  # a pointer in a title note beats a notice title, which beats a page position
        rank = 0 if reason.startswith(POINTER_REASON[:20]) else 2 if reason.startswith("probably") else 1
        return rank, -score.get(item[0], 0.0), item[0]

    for (i, j), (kind, side, reasons) in sorted(related.items(), key=strength):
        source, target = (i, j) if side == 0 else (j, i)
        group_s, group_t = cluster_of.get(source, -1 - source), cluster_of.get(target, -1 - target)
        if group_s == group_t or (group_s, group_t, kind) in links:
            continue
        links[(group_s, group_t, kind)] = Related(keys[source], keys[target], kind, score.get((i, j), 0.0), reasons)
    return sorted(links.values(), key=lambda r: (r.kind, r.a, r.b))


def match_incoming(incoming: Sequence[Record], existing: Sequence[Record] | pd.DataFrame,
                   decisions: Decisions | None = None) -> list[Match]:
    """For each incoming record that is already in ``existing``: the best match (auto before review).

    The same rules as :func:`find_duplicates`, on pairs across the two sets only. Incoming records may have no
    key yet; their evidence then names them ``incoming[<index>]``. Incoming records without a match are not
    listed; vetoed look-alikes are not listed either.
    """
    if not len(incoming) or not len(existing):
        return []
    n_existing = len(existing)
    columns = columns_from_frame(existing) if isinstance(existing, pd.DataFrame) else columns_from_records(existing)
    arriving = columns_from_records(incoming)
    arriving.keys = [r.key or f"incoming[{n}]" for n, r in enumerate(incoming)]
    table = build_table(columns + arriving)
    keys = [str(k) for k in table.keys]
    pairs = candidate_pairs(table)
    cross = pairs[(pairs[:, 0] < n_existing) & (pairs[:, 1] >= n_existing)]
    verdicts, _, _ = _assess(table, cross)
    verdicts = [(i, j, v) for i, j, v in verdicts if i < n_existing <= j]  # pointers may name pairs inside a set
    positions = {k: n for n, k in enumerate(keys[:n_existing])}
    positions.update({keys[n_existing + n]: n_existing + n for n in range(len(incoming))})
    verdicts = _apply_decisions(verdicts, keys, positions, decisions)
    best: dict[int, tuple[tuple[int, float], Match]] = {}
    for i, j, verdict in verdicts:
        if verdict.decision == "veto" or not (i < n_existing <= j):
            continue
        index = j - n_existing
        rank = (1 if verdict.decision == "auto" else 0, verdict.score)
        match = Match(index, keys[i], verdict.decision, _evidence(keys, i, j, verdict))
        if index not in best or rank > best[index][0]:
            best[index] = (rank, match)
    return [best[index][1] for index in sorted(best)]
