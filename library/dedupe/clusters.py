"""Clusters from pairwise decisions, without letting transitivity merge what a veto keeps apart.

Plain transitive closure is how one wrong link turns two clusters of three into nine false pairs. Auto pairs
are joined strongest first, and two groups are never joined when any pair across them was vetoed (an erratum
reached through the paper's second copy, Part 2 reached through a copy of Part 1 ...).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["constrained_clusters"]


def constrained_clusters(n: int, edges: Iterable[tuple[float, int, int]],
                         forbidden: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Groups of 2+ record positions joined by ``edges`` (score, i, j), never across a ``forbidden`` pair.

    Edges are applied by decreasing score, so the strongest evidence decides which side of a conflict a
    record joins. Returns groups sorted by their smallest position, positions sorted inside a group.
    """
    parent = list(range(n))
    members: dict[int, list[int]] = {}
    blocked: dict[int, set[int]] = {}
    for a, b in forbidden:
        blocked.setdefault(a, set()).add(b)
        blocked.setdefault(b, set()).add(a)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, i, j in sorted(edges, key=lambda e: (-e[0], e[1], e[2])):
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        group_i = members.get(ri, [ri])
        group_j = members.get(rj, [rj])
        if len(group_i) < len(group_j):
            ri, rj, group_i, group_j = rj, ri, group_j, group_i
        others = set(group_j)
        if any(blocked.get(x, set()) & others for x in group_i):
            continue
        parent[rj] = ri
        members[ri] = group_i + group_j
        members.pop(rj, None)
    groups = [sorted(g) for g in members.values() if len(g) > 1]
    return sorted(groups)
