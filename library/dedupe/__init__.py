"""Duplicate detection and merging (issue #4).

Finding: :func:`find_duplicates` (a whole library) and :func:`match_incoming` (an import batch against the
library) return pair evidence with a decision per pair — ``auto`` (merge without asking), ``review`` (an editor
decides) or ``veto`` (known trap: never merge). Merging: :func:`merge_cluster` keeps every field (losing values
go to ``provenance``) and :func:`undo_merge` restores the copies until the library is saved. Editors' review
decisions live beside the library (:mod:`library.dedupe.decisions`). Errata, comments, replies, protocols and
meeting abstracts of a paper are reported as :class:`Related` links (:mod:`library.dedupe.notices`), never merged.
"""

from .decisions import Decisions, DecisionsError, decisions_path, load_decisions, save_decisions
from .find import Cluster, DedupeResult, Match, PairEvidence, auto_matcher, find_duplicates, match_incoming
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
    "Decisions",
    "DecisionsError",
    "DedupeResult",
    "Match",
    "MergeError",
    "MergeResult",
    "PairEvidence",
    "Related",
    "absorb",
    "as_bibtex",
    "auto_matcher",
    "choose_keeper",
    "decisions_path",
    "find_duplicates",
    "load_decisions",
    "match_incoming",
    "merge_cluster",
    "merge_records",
    "relation_referrers",
    "save_decisions",
    "store_relations",
    "undo_merge",
]
