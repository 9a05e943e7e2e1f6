"""How alike two customers are: a score from 0 to 100 with the reasons behind it.

Evidence is added up as log-odds points (Fellegi–Sunter style, hand-weighted and checked on
the labelled benchmark in synthetic.py), then squashed to 0–100:

* name similarity is the base — strong for companies (a Chinese company name is unique
  within its region), weak for people (张伟 is a very common name);
* how common the exact name is among the records compared (`NameStats`) adjusts that: a
  person's rare name counts for more, a very common one for less; a company name already
  used in several regions says little unless both records name the same region (with one
  missing, or only a province on one side, which namesake is it?);
* an equal E.164 phone or case-folded email is strong evidence; a different one is weak
  evidence against (people and companies have several numbers);
* a different region argues against (a namesake in another city), an equal one slightly for
  (a province containing the other record's city agrees, but adds nothing);
* a similar address helps, a clearly different one hurts a little.

Every function here is symmetric: score(a, b) == score(b, a).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from server.domain.dedup.keys import MatchRecord

AUTO_MERGE_SCORE = 97.0  # merged by the nightly job (same owner): a name alone never is
LIKELY_SCORE = 70.0  # at or above: a likely duplicate — shown on entry, queued for review

# A key equal to the other's key minus a leading place ("北京星辰科技" / "星辰科技").
_PLACE_PREFIX_SIMILARITY = 0.98
# Token-set similarity is 1.0 for a strict subset ("Beacon Foods" / "Royal Beacon Foods").
_TOKEN_SET_WEIGHT = 0.9

# Log-odds points; see the module docstring.
_BIAS = -4.0
_NAME_PIVOT = 0.8  # name similarity that is neutral on its own
_NAME_SLOPE = {"company": 35.0, "person": 15.0}
_NAME_RANGE = {"company": (-12.0, 7.0), "person": (-8.0, 3.0)}
_RARE_PERSON = ((2, 2.0), (5, 1.0))  # (records with the name at most, points)
_COMMON_PERSON, _COMMON_PERSON_POINTS = 50, -1.0
_COMPANY_NAMESAKES = -3.0  # the name is in use in 2+ regions, and these two don't pin one
_SAME_CONTACT = 8.0  # equal phone or email
_OTHER_CONTACT = -2.0  # both present, different
_SAME_REGION = 1.0
_OTHER_REGION = {"company": -5.0, "person": -2.0}
_SIMILAR_ADDRESS, _SIMILAR_ADDRESS_AT = 2.0, 85.0
_OTHER_ADDRESS, _OTHER_ADDRESS_BELOW = -1.0, 50.0
_OTHER_KIND = -3.0


@dataclass(frozen=True, slots=True)
class Score:
    value: float  # 0–100
    reasons: tuple[str, ...]  # what agreed: "name", "phone", "email", "region", "address"


@dataclass(frozen=True, slots=True)
class NameStats:
    """How common one exact name key is among the records compared."""

    records: int = 1  # records carrying the key
    regions: int = 1  # distinct regions among them (records without a region not counted)


def name_stats(records: Iterable[MatchRecord]) -> dict[str, NameStats]:
    """NameStats of every key that more than one record carries (others: the default)."""
    counts: dict[str, int] = {}
    regions: dict[str, set[str]] = {}
    for record in records:
        counts[record.key] = counts.get(record.key, 0) + 1
        if record.region:
            regions.setdefault(record.key, set()).add(record.region)
    return {
        key: NameStats(count, max(1, len(regions.get(key, ()))))
        for key, count in counts.items()
        if count > 1
    }


def name_similarity(a: MatchRecord, b: MatchRecord) -> float:
    """0–1. Chinese keys: character edit similarity (one wrong character in 星辰科技 → 0.75);
    Latin keys: the best of edit similarity, Jaro–Winkler (typos, short names) and token-set
    similarity of the words (extra or reordered words), discounted."""
    if a.key == b.key:
        return 1.0
    if a.key == b.core or b.key == a.core:
        return _PLACE_PREFIX_SIMILARITY
    edit = fuzz.ratio(a.key, b.key) / 100
    if a.han or b.han:
        return edit
    jaro = JaroWinkler.normalized_similarity(a.key, b.key)
    tokens = _TOKEN_SET_WEIGHT * fuzz.token_set_ratio(a.words, b.words) / 100
    return max(edit, jaro, tokens)


def regions_agree(a: str, b: str) -> bool:
    """Equal, or one is inside the other ("CN-GD" and "CN-GD-SZ")."""
    return a == b or a.startswith(b + "-") or b.startswith(a + "-")


def score(a: MatchRecord, b: MatchRecord, common: NameStats | None = None) -> Score:
    """Score a pair. `common`: the stats of their shared name key, when known."""
    kind = a.kind if a.kind == b.kind else "person"  # mixed kinds: the weaker name evidence
    points, reasons = _BIAS, []
    if a.key and b.key:  # a form being typed may have no name yet: then it says nothing
        similarity = name_similarity(a, b)
        low, high = _NAME_RANGE[kind]
        points += min(high, max(low, _NAME_SLOPE[kind] * (similarity - _NAME_PIVOT)))
        if common is not None and a.key == b.key:
            same_place = a.region is not None and a.region == b.region
            points += _commonness(kind, common, same_place)
        if similarity >= _NAME_PIVOT:
            reasons.append("name")
    for field in ("phone", "email"):
        mine, theirs = getattr(a, field), getattr(b, field)
        if mine and theirs:
            same = mine == theirs
            points += _SAME_CONTACT if same else _OTHER_CONTACT
            if same:
                reasons.append(field)
    if a.region and b.region:
        if regions_agree(a.region, b.region):
            points += _SAME_REGION if a.region == b.region else 0.0
            reasons.append("region")
        else:
            points += _OTHER_REGION[kind]
    if a.address and b.address:
        address = fuzz.token_sort_ratio(a.address, b.address)
        if address >= _SIMILAR_ADDRESS_AT:
            points += _SIMILAR_ADDRESS
            reasons.append("address")
        elif address < _OTHER_ADDRESS_BELOW:
            points += _OTHER_ADDRESS
    if a.kind != b.kind:
        points += _OTHER_KIND
    return Score(round(100 / (1 + math.exp(-points)), 2), tuple(reasons))


def _commonness(kind: str, common: NameStats, same_place: bool) -> float:
    if kind == "company":
        return _COMPANY_NAMESAKES if common.regions > 1 and not same_place else 0.0
    for at_most, points in _RARE_PERSON:
        if common.records <= at_most:
            return points
    return _COMMON_PERSON_POINTS if common.records > _COMMON_PERSON else 0.0
