"""Audited labels: where a labelled set joins items that issue #4's own rules say must never be merged.

The haematology set of bib-dedupe labels a paper, its erratum notices, a letter and the reply to it, a meeting
abstract and the later paper, and four registrations of different trial arms as one "duplicate" cluster each.
Issue #4 requires the opposite: errata, comments and replies are vetoed, a conference abstract against the full
paper goes to review, and separate trials are different studies. ``data/label-audit.csv`` records, for every
record of such a cluster, which item it is and the evidence (volume, issue, pages, the database notes in the
titles), each checked by eye against the records. Records of one cluster that share an item stay duplicates
of each other; the cluster is split between items. Nothing else is changed: clusters the audit does not
mention keep their labels, and ``make bench`` prints the figures on the labels as given beside these.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

__all__ = ["AUDIT", "audited_clusters", "load_audit", "relabelled_pairs"]

AUDIT = Path(__file__).resolve().parent / "data" / "label-audit.csv"


def load_audit(path: Path = AUDIT) -> dict[str, dict[str, str]]:
    """Set name -> record id -> item name."""
    audit: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            audit.setdefault(row["set"], {})[row["record_id"]] = row["item"]
    return audit


def audited_clusters(clusters: Sequence[Sequence[str]], items: dict[str, str]) -> list[list[str]]:
    """The labelled clusters with each audited one split by item (groups of one record are dropped)."""
    out: list[list[str]] = []
    for cluster in clusters:
        audited = [key for key in cluster if key in items]
        if not audited:
            out.append(list(cluster))
            continue
        if len(audited) != len(cluster):
            missing = ", ".join(key for key in cluster if key not in items)
            raise ValueError(f"label audit covers only part of a labelled cluster (no item for {missing})")
        groups: dict[str, list[str]] = {}
        for key in cluster:
            groups.setdefault(items[key], []).append(key)
        out.extend(group for group in groups.values() if len(group) > 1)
    return out


def relabelled_pairs(clusters: Sequence[Sequence[str]], items: dict[str, str]) -> int:
    """How many labelled pairs the audit says join two different items."""
    def pairs(groups: Sequence[Sequence[str]]) -> int:
        return sum(len(set(g)) * (len(set(g)) - 1) // 2 for g in groups)

    return pairs(clusters) - pairs(audited_clusters(clusters, items))
