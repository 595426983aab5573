"""The label audit used by the dedupe benchmark: clusters split by item, nothing else changed."""

from __future__ import annotations

import pytest

from benchmarks.label_audit import audited_clusters, relabelled_pairs


def test_audited_cluster_is_split_by_item_and_singletons_dropped():
    clusters = [["p1", "p2", "e1", "e2", "r1"], ["x", "y"]]
    items = {"p1": "paper", "p2": "paper", "e1": "erratum", "e2": "erratum", "r1": "reply"}
    assert audited_clusters(clusters, items) == [["p1", "p2"], ["e1", "e2"], ["x", "y"]]
    assert relabelled_pairs(clusters, items) == 10 - 2


def test_clusters_without_audit_rows_keep_their_labels():
    assert audited_clusters([["a", "b", "c"]], {"z": "paper"}) == [["a", "b", "c"]]
    assert relabelled_pairs([["a", "b", "c"]], {}) == 0


def test_partly_audited_cluster_is_refused():
    with pytest.raises(ValueError, match="no item for b"):
        audited_clusters([["a", "b"]], {"a": "paper"})
