"""Candidate pairs without comparing everything with everything (1M records → ~10M cheap
name comparisons and a few million full scores, instead of 5·10¹¹ pairs).

Three kinds of blocks, each near-linear:

* equal phone, equal email: every pair in a group (a group bigger than MAX_BLOCK — a
  switchboard number typed on many records — is compared by sorted window instead);
* sorted neighbourhood on the name key without its leading place (so "北京星辰科技" sits next
  to "星辰科技"): each record against the next WINDOW-1 records;
* the same on the reversed key, which brings together names that differ near the start.

Window comparisons run in rapidfuzz (`process.extract`, one call per record) and only pairs
whose keys are at least NAME_PREFILTER alike go on to the full score.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

from rapidfuzz import fuzz, process

from server.domain.dedup.keys import MatchRecord
from server.domain.dedup.scoring import LIKELY_SCORE, NameStats, name_stats, score

WINDOW = 8
MAX_BLOCK = 50
NAME_PREFILTER = 70.0
_UNIQUE = NameStats()


@dataclass(frozen=True, slots=True)
class Match:
    """Two records (indices, left < right) that scored at least the threshold."""

    left: int
    right: int
    score: float
    reasons: tuple[str, ...]


@dataclass
class MatchStats:
    exact_pairs: int = 0  # pairs from equal phone/email groups
    window_comparisons: int = 0  # name comparisons in sorted windows
    scored: int = 0  # distinct pairs given a full score

    @property
    def candidate_pairs(self) -> int:
        return self.exact_pairs + self.window_comparisons


def find_matches(
    records: Sequence[MatchRecord], threshold: float = LIKELY_SCORE
) -> tuple[list[Match], MatchStats]:
    """Every candidate pair scoring at least `threshold`, each pair once."""
    stats = MatchStats()
    seen: set[int] = set()
    matches: list[Match] = []
    size = len(records)
    common = name_stats(records)
    for left, right in _candidates(records, stats):
        if left > right:
            left, right = right, left
        pair_id = left * size + right
        if pair_id in seen:
            continue
        seen.add(pair_id)
        a, b = records[left], records[right]
        result = score(a, b, common.get(a.key, _UNIQUE) if a.key == b.key else None)
        if result.value >= threshold:
            matches.append(Match(left, right, result.value, result.reasons))
    stats.scored = len(seen)
    matches.sort(key=lambda m: (m.left, m.right))
    return matches, stats


def _candidates(records: Sequence[MatchRecord], stats: MatchStats) -> Iterator[tuple[int, int]]:
    for field in ("phone", "email"):
        for pair in _equal_value_pairs(records, field):
            stats.exact_pairs += 1
            yield pair
    by_core = sorted(range(len(records)), key=lambda i: _sort_key(records[i]))
    yield from _window_pairs(records, by_core, stats)
    by_reversed = sorted(range(len(records)), key=lambda i: _reversed_sort_key(records[i]))
    yield from _window_pairs(records, by_reversed, stats)


def _sort_key(record: MatchRecord) -> tuple[str, str, str]:
    # Equal names next to each other, namesakes of one region together.
    return record.core, record.region or "", record.id


def _reversed_sort_key(record: MatchRecord) -> tuple[str, str, str]:
    return record.core[::-1], record.region or "", record.id


def _equal_value_pairs(records: Sequence[MatchRecord], field: str) -> Iterator[tuple[int, int]]:
    """Pairs of records with the same non-empty `field`: sort, then walk runs of equal values."""
    values: list[str | None] = [getattr(record, field) for record in records]
    having = sorted(
        (i for i, value in enumerate(values) if value),
        key=lambda i: (values[i], *_sort_key(records[i])),
    )
    start = 0
    while start < len(having):
        end = start + 1
        while end < len(having) and values[having[end]] == values[having[start]]:
            end += 1
        group = having[start:end]
        if len(group) <= MAX_BLOCK:
            yield from combinations(group, 2)
        else:
            yield from ((group[p], group[q]) for p, q in _window_offsets(len(group)))
        start = end


def _window_offsets(length: int) -> Iterator[tuple[int, int]]:
    for p in range(length):
        for q in range(p + 1, min(p + WINDOW, length)):
            yield p, q


def _window_pairs(
    records: Sequence[MatchRecord], order: list[int], stats: MatchStats
) -> Iterator[tuple[int, int]]:
    """Each record against the next WINDOW-1 in `order`, keeping pairs with alike keys."""
    cores = [records[i].core for i in order]
    for position, query in enumerate(cores):
        window = cores[position + 1 : position + WINDOW]
        stats.window_comparisons += len(window)
        alike = process.extract(
            query, window, scorer=fuzz.ratio, score_cutoff=NAME_PREFILTER, limit=None
        )
        for _, _, offset in alike:
            yield order[position], order[position + 1 + offset]
