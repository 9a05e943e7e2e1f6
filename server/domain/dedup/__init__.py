"""Duplicate detection, pure: keys → blocking → scoring → clustering, plus survivorship for
merges and the rules for what a save does when it finds likely duplicates.

    records = [MatchRecord.from_columns(...), ...]
    matches, stats = find_matches(records)            # candidate pairs, scored, ≥ LIKELY_SCORE
    clusters = cluster(records, matches, AUTO_MERGE_SCORE, rank=...)
"""

from server.domain.dedup.blocking import Match, MatchStats, find_matches
from server.domain.dedup.clustering import cluster
from server.domain.dedup.keys import MatchRecord
from server.domain.dedup.policy import DuplicateCheck, Finding, judge_save
from server.domain.dedup.scoring import (
    AUTO_MERGE_SCORE,
    LIKELY_SCORE,
    NameStats,
    Score,
    name_similarity,
    name_stats,
    regions_agree,
    score,
)
from server.domain.dedup.survivorship import Side, merged_values

__all__ = [
    "AUTO_MERGE_SCORE",
    "LIKELY_SCORE",
    "DuplicateCheck",
    "Finding",
    "Match",
    "MatchRecord",
    "MatchStats",
    "NameStats",
    "Score",
    "Side",
    "cluster",
    "find_matches",
    "judge_save",
    "merged_values",
    "name_similarity",
    "name_stats",
    "regions_agree",
    "score",
]
