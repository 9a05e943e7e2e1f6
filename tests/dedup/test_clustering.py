"""Clustering: the chaining guard, and properties that must hold for any input."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.dedup import LIKELY_SCORE, Match, MatchRecord, cluster, find_matches, score

NAMES = ["星辰科技", "星晨科技", "宏达物流", "Apex Robotics", "Apex Robotic", "张伟", "張偉"]
PHONES = [None, "13800138000", "13900139000", "13700137000"]
EMAILS = [None, "a@x.cn", "b@x.cn"]
REGIONS = [None, "北京", "上海", "深圳"]


def record(index: int, kind: str, name: str, phone, email, region) -> MatchRecord:
    return MatchRecord.from_input(f"r{index:03d}", kind, name, phone, email, region)


records_strategy = st.lists(
    st.tuples(
        st.sampled_from(["company", "person"]),
        st.sampled_from(NAMES),
        st.sampled_from(PHONES),
        st.sampled_from(EMAILS),
        st.sampled_from(REGIONS),
    ),
    min_size=2,
    max_size=25,
).map(lambda rows: [record(i, *row) for i, row in enumerate(rows)])


def by_ids(records: list[MatchRecord], clusters: list[list[int]]) -> set[frozenset[str]]:
    return {frozenset(records[i].id for i in members) for members in clusters}


def test_a_chain_through_a_record_without_region_is_cut_at_the_anchor() -> None:
    """Beijing's 星辰科技 ~ a 星辰科技 with no region ~ Shenzhen's 星辰科技, but the two
    cities' companies are namesakes, not duplicates. (find_matches already discounts a name
    used in several regions; the clustering guard must hold even without that.)"""
    beijing = MatchRecord.from_input("a", "company", "星辰科技有限公司", region="北京")
    unknown = MatchRecord.from_input("b", "company", "星辰科技股份有限公司")
    shenzhen = MatchRecord.from_input("c", "company", "星辰科技（深圳）有限公司", region="深圳")
    records = [beijing, unknown, shenzhen]
    chain = [
        Match(0, 1, score(beijing, unknown).value, ()),
        Match(1, 2, score(unknown, shenzhen).value, ()),
    ]
    assert all(m.score >= LIKELY_SCORE for m in chain)
    assert score(beijing, shenzhen).value < LIKELY_SCORE
    assert cluster(records, chain, LIKELY_SCORE) == [[0, 1]]


def test_members_that_do_not_match_the_anchor_form_their_own_cluster() -> None:
    records = [MatchRecord.from_input(f"r{i}", "company", f"名字{i}") for i in range(5)]
    # 0-1 strong, 1-2 strong, 2-3 strong; anchor 0 only reaches 1 directly.
    matches = [Match(0, 1, 99.0, ()), Match(1, 2, 99.0, ()), Match(2, 3, 99.0, ())]
    clusters = cluster(records, matches, 90.0)
    assert clusters == [[0, 1], [2, 3]]


@settings(max_examples=60, deadline=None)
@given(records_strategy, st.randoms(use_true_random=False))
def test_clustering_does_not_depend_on_the_order_of_matches(records, rng: random.Random):
    matches, _ = find_matches(records, LIKELY_SCORE)
    shuffled = list(matches)
    rng.shuffle(shuffled)
    assert by_ids(records, cluster(records, shuffled, LIKELY_SCORE)) == by_ids(
        records, cluster(records, matches, LIKELY_SCORE)
    )


@settings(max_examples=60, deadline=None)
@given(records_strategy, st.randoms(use_true_random=False))
def test_the_whole_pipeline_does_not_depend_on_record_order(records, rng: random.Random):
    shuffled = list(records)
    rng.shuffle(shuffled)
    results = []
    for ordered in (records, shuffled):
        matches, _ = find_matches(ordered, LIKELY_SCORE)
        results.append(by_ids(ordered, cluster(ordered, matches, LIKELY_SCORE)))
    assert results[0] == results[1]


@settings(max_examples=60, deadline=None)
@given(records_strategy, st.floats(min_value=50, max_value=99))
def test_a_record_is_never_in_two_clusters(records, threshold: float):
    matches, _ = find_matches(records, min(threshold, LIKELY_SCORE))
    clusters = cluster(records, matches, threshold)
    members = [i for group in clusters for i in group]
    assert len(members) == len(set(members))
    assert all(len(group) >= 2 for group in clusters)
    known = {(m.left, m.right): m.score for m in matches}
    for anchor, *others in clusters:  # every member matches its anchor
        for other in others:
            pair = (min(anchor, other), max(anchor, other))
            assert known.get(pair, score(records[anchor], records[other]).value) >= threshold


@settings(max_examples=100, deadline=None)
@given(records_strategy)
def test_scoring_is_symmetric(records):
    for a, b in itertools.combinations(records, 2):
        assert score(a, b) == score(b, a)
