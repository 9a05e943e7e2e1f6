"""Matches → clusters of one real-world customer each.

Connected components alone chain unrelated records (A~B because of a shared phone, B~C
because of a similar name, yet A and C have nothing in common). So each component is
split around an anchor — its first record by `rank` (the service ranks by creation time, so
the anchor is the record that survives a merge): a record stays in the anchor's cluster
only if it matches the anchor itself at or above the threshold. The records left over
form components of their own and are split the same way.

The result depends only on the set of matches and the ranking, never on input order, and
every record is in at most one cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence

from server.domain.dedup.blocking import Match
from server.domain.dedup.keys import MatchRecord
from server.domain.dedup.scoring import score

Rank = Callable[[int], Hashable]


class _DisjointSet:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        root = self.parent.setdefault(item, item)
        while root != self.parent[root]:
            root = self.parent[root]
        while item != root:  # path compression
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)

    def groups(self) -> list[list[int]]:
        members: dict[int, list[int]] = {}
        for item in self.parent:
            members.setdefault(self.find(item), []).append(item)
        return list(members.values())


def cluster(
    records: Sequence[MatchRecord],
    matches: Iterable[Match],
    threshold: float,
    rank: Rank | None = None,
    anchor_threshold: float | None = None,
) -> list[list[int]]:
    """Clusters (lists of record indices, anchor first, then by rank) of two or more records
    linked by matches at or above `threshold`, where every member matches the anchor at or
    above `anchor_threshold` (default: `threshold`); sorted by anchor rank."""
    rank = rank or (lambda index: records[index].id)
    anchor_threshold = threshold if anchor_threshold is None else anchor_threshold
    scores = {(m.left, m.right): m.score for m in matches}
    neighbours: dict[int, list[int]] = {}
    for (left, right), value in scores.items():
        if value < threshold:
            continue
        neighbours.setdefault(left, []).append(right)
        neighbours.setdefault(right, []).append(left)
    clusters: list[list[int]] = []
    for component in _components(neighbours, set(neighbours)):
        clusters.extend(_split(component, neighbours, scores, records, anchor_threshold, rank))
    return sorted(clusters, key=lambda members: rank(members[0]))


def _components(neighbours: dict[int, list[int]], within: set[int]) -> list[list[int]]:
    """Connected components (two or more records) of the match graph restricted to `within`."""
    forest = _DisjointSet()
    for node in within:
        for other in neighbours[node]:
            if other in within:
                forest.union(node, other)
    return [group for group in forest.groups() if len(group) > 1]


def _split(
    component: list[int],
    neighbours: dict[int, list[int]],
    scores: dict[tuple[int, int], float],
    records: Sequence[MatchRecord],
    threshold: float,
    rank: Rank,
) -> list[list[int]]:
    clusters = []
    pending = [component]
    while pending:
        members = sorted(pending.pop(), key=rank)
        anchor, others = members[0], members[1:]
        kept = [m for m in others if _pair_score(anchor, m, scores, records) >= threshold]
        if kept:
            clusters.append([anchor, *kept])
        pending.extend(_components(neighbours, set(others) - set(kept)))
    return clusters


def _pair_score(
    a: int, b: int, scores: dict[tuple[int, int], float], records: Sequence[MatchRecord]
) -> float:
    known = scores.get((min(a, b), max(a, b)))
    return known if known is not None else score(records[a], records[b]).value
