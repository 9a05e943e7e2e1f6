"""Accuracy on the labelled synthetic benchmark (server/domain/dedup/synthetic.py)."""

from __future__ import annotations

import collections

import pytest

from server.domain.dedup import AUTO_MERGE_SCORE, LIKELY_SCORE, cluster, find_matches
from server.domain.dedup.synthetic import evaluate, generate, match_records

SIZE = 8000


@pytest.fixture(scope="module")
def benchmark():
    customers = generate(SIZE, duplicate_share=0.1, seed=7)
    records = match_records(customers)
    matches, stats = find_matches(records, LIKELY_SCORE)
    return customers, records, matches, stats


def test_the_generated_set_is_labelled_with_about_ten_percent_duplicates() -> None:
    customers = generate(2000, duplicate_share=0.1, seed=1)
    assert len(customers) == 2000
    entities = collections.Counter(c.entity for c in customers)
    extra = sum(count - 1 for count in entities.values())
    assert extra == 200
    assert customers == generate(2000, duplicate_share=0.1, seed=1)  # deterministic
    kinds = collections.Counter(c.kind for c in customers)
    assert kinds["company"] > kinds["person"] > 0
    assert any(c.name.isascii() for c in customers) and any(not c.name.isascii() for c in customers)


def test_likely_duplicates_are_found_with_high_precision_and_recall(benchmark) -> None:
    customers, records, matches, _ = benchmark
    quality = evaluate(customers, cluster(records, matches, LIKELY_SCORE))
    assert quality.precision >= 0.98, quality
    assert quality.recall >= 0.90, quality
    assert quality.f1 >= 0.95, quality


def test_automatic_merges_are_almost_never_wrong(benchmark) -> None:
    customers, records, matches, _ = benchmark
    quality = evaluate(customers, cluster(records, matches, AUTO_MERGE_SCORE))
    assert quality.precision >= 0.995, quality
    assert quality.recall >= 0.75, quality


def test_blocking_keeps_candidate_pairs_near_linear(benchmark) -> None:
    customers, _, _, stats = benchmark
    all_pairs = len(customers) * (len(customers) - 1) // 2
    assert stats.candidate_pairs < 20 * len(customers) < all_pairs / 100
    assert stats.scored < 5 * len(customers)
