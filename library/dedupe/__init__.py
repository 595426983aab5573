"""Duplicate detection and merging: one decision and one merge rule for every caller.

Deciding: :func:`same_publication` answers "are these two records the same publication?" for one pair
(:mod:`library.dedupe.decision`: verdict ``same`` / ``review`` / ``different``, the reasons, a related-record
link); import, dedupe, enrich, the dashboard and the screening inbox all use these rules. Merging:
:func:`merge_records` (:mod:`library.dedupe.combine`) is the one merge rule (same-value rule, fill empty,
protected fields, one provenance note format).

Finding: :func:`find_duplicates` (a whole library) and :func:`match_incoming` (an import batch against the
library) return pair evidence with a decision per pair — ``auto`` (merge without asking), ``review`` (an editor
decides) or ``veto`` (known trap: never merge). Merging: :func:`merge_cluster` keeps every field (losing values
go to ``provenance``) and :func:`undo_merge` restores the copies until the library is saved. Editors' review
decisions live beside the library (:mod:`library.dedupe.decisions`). Errata, comments, replies, protocols and
meeting abstracts of a paper are reported as :class:`Related` links (:mod:`library.dedupe.notices`), never merged.
"""

from .combine import MergeOutcome, canonical, provenance_note, same_value
from .decision import Decision, same_publication
from .decisions import Decisions, DecisionsError, decisions_path, load_decisions, save_decisions
from .find import Cluster, DedupeResult, Match, PairEvidence, find_duplicates, match_incoming
from .merge import (
    MergeError,
    MergeResult,
    absorb,
    as_bibtex,
    choose_keeper,
    merge_cluster,
    merge_records,
    relation_referrers,
    store_relations,
    undo_merge,
)
from .notices import Related

__all__ = [
    "Cluster",
    "Decision",
    "Decisions",
    "DecisionsError",
    "DedupeResult",
    "Match",
    "MergeError",
    "MergeOutcome",
    "MergeResult",
    "PairEvidence",
    "Related",
    "absorb",
    "as_bibtex",
    "canonical",
    "choose_keeper",
    "decisions_path",
    "find_duplicates",
    "load_decisions",
    "match_incoming",
    "merge_cluster",
    "merge_records",
    "provenance_note",
    "relation_referrers",
    "same_publication",
    "same_value",
    "save_decisions",
    "store_relations",
    "undo_merge",
]
