"""Pure rule matching, strategy choice, rule and settings validation, Gini (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from server.domain.assignment import (
    Assigner,
    Conditions,
    Lead,
    PoolSettings,
    Rep,
    Rule,
    gini,
    mask_phone,
    parse_rule,
    parse_settings,
    spread_evenly,
    stale_cutoffs,
)
from server.domain.errors import ValidationFailed


def lead(n: int = 1, **row) -> Lead:
    return Lead.from_row({"id": n, "grade": "C", **row})


def rule_for(rule_id: int, conditions: dict | None = None, **kw) -> Rule:
    definition = parse_rule({"name": f"r{rule_id}", "conditions": conditions or {}, **kw})
    return Rule(
        rule_id,
        definition.name,
        definition.strategy,
        definition.conditions,
        definition.team_id,
        definition.user_id,
        definition.is_default,
    )


def errors_of(raw: dict) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        parse_rule(raw)
    return {e.field: e.code for e in caught.value.errors}


# ---- matching ------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["广东", "广东省", "粤", "Guangdong", "CN-GD", "廣東"])
def test_a_province_condition_in_any_spelling_matches_its_cities(spelling):
    conditions = parse_rule(
        {
            "name": "south",
            "strategy": "team_pool",
            "team_id": 1,
            "conditions": {"regions": [spelling]},
        }
    ).conditions
    assert conditions.regions == {"CN-GD"}
    assert conditions.matches(lead(region_code="CN-GD-SZ"))  # 深圳
    assert conditions.matches(lead(region_code="CN-GD"))
    assert not conditions.matches(lead(region_code="CN-JS-SZ"))  # 苏州, also "SZ"
    assert not conditions.matches(lead(region_code=None))


def test_a_city_condition_matches_only_that_city():
    conditions = Conditions(regions=frozenset({"CN-GD-SZ"}))
    assert conditions.matches(lead(region_code="CN-GD-SZ"))
    assert not conditions.matches(lead(region_code="CN-GD-GZ"))
    assert not conditions.matches(lead(region_code="CN-GD"))


def test_all_condition_kinds_must_match_and_sources_ignore_case_and_width():
    conditions = parse_rule(
        {
            "name": "x",
            "strategy": "team_pool",
            "team_id": 1,
            "conditions": {
                "industries": ["制造"],
                "sizes": ["51-200"],
                "grades": ["a", "B"],
                "sources": ["Trade Show"],
            },
        }
    ).conditions
    good = {
        "industry": "manufacturing",
        "size": "51-200",
        "grade": "A",
        "source": "ＴＲＡＤＥ show",
    }
    assert conditions.matches(lead(**good))
    assert not conditions.matches(lead(**{**good, "grade": "C"}))
    assert not conditions.matches(lead(**{**good, "size": "1-10"}))
    assert not conditions.matches(lead(**{**good, "source": "web"}))


# ---- strategies ----------------------------------------------------------------------------


def reps(*specs: tuple[int, int], **kw) -> list[Rep]:
    return [Rep(rep_id, team, **kw) for rep_id, team in specs]


def test_first_matching_rule_wins_and_the_default_comes_last_whatever_its_position():
    default = rule_for(1, strategy="direct", user_id=10, is_default=True)
    south = rule_for(2, {"regions": ["广东"]}, strategy="direct", user_id=11)
    also_south = rule_for(3, {"regions": ["深圳"]}, strategy="direct", user_id=12)
    assigner = Assigner([default, south, also_south], reps((10, 1), (11, 1), (12, 1)))
    assert assigner.place(lead(region_code="CN-GD-SZ")).owner_id == 11
    assert assigner.place(lead(region_code="CN-BJ")).owner_id == 10


def test_round_robin_rotates_over_the_team_and_continues_from_a_stored_turn():
    rule = rule_for(1, {"grades": ["C"]}, strategy="round_robin", team_id=5)
    team = reps((3, 5), (1, 5), (2, 5), (9, 6))
    first = Assigner([rule], team)
    assert [first.place(lead(n)).owner_id for n in range(4)] == [1, 2, 3, 1]
    restarted = Assigner([rule], reps((3, 5), (1, 5), (2, 5)), turns=first.turns)
    assert [restarted.place(lead(n)).owner_id for n in range(2)] == [2, 3]


def test_capacity_caps_skip_full_reps_and_a_full_team_falls_through_to_the_next_rule():
    rr = rule_for(1, {"grades": ["C"]}, strategy="round_robin", team_id=5)
    fallback = rule_for(2, strategy="team_pool", team_id=5, is_default=True)
    team = [Rep(1, 5, capacity=1, load=1), Rep(2, 5, capacity=2, load=0), Rep(3, 5, load=50)]
    assigner = Assigner([rr, fallback], team)
    owners = [assigner.place(lead(n)).owner_id for n in range(4)]
    assert owners == [2, 3, 2, 3]  # rep 1 is full, rep 2 fills at 2, rep 3 has no cap
    least = Assigner(
        [rule_for(3, {"grades": ["C"]}, strategy="least_loaded", team_id=5)],
        [Rep(1, 5, capacity=1, load=1), Rep(2, 5, capacity=1, load=0)],
    )
    assert least.place(lead()).owner_id == 2
    assert least.place(lead()) is None  # everyone full: stays in the pool


def test_least_loaded_levels_out_and_senior_takes_only_a_grade_leads():
    least = Assigner(
        [rule_for(1, {"grades": ["B"]}, strategy="least_loaded", team_id=5)],
        [Rep(1, 5, load=3), Rep(2, 5, load=0), Rep(3, 5, load=1)],
    )
    owners = [least.place(lead(n, grade="B")).owner_id for n in range(5)]
    assert owners == [2, 2, 3, 2, 3]
    senior = Assigner(
        [rule_for(2, {"regions": ["北京"]}, strategy="senior", team_id=5)],
        [Rep(1, 5, senior=False), Rep(2, 5, senior=True, load=4), Rep(3, 5, senior=True)],
    )
    assert senior.place(lead(grade="A", region_code="CN-BJ")).owner_id == 3
    assert senior.place(lead(grade="B", region_code="CN-BJ")) is None


def test_restricted_receivers_skip_other_people_and_team_pools():
    rules = [
        rule_for(1, {"grades": ["C"]}, strategy="direct", user_id=1),
        rule_for(2, {"grades": ["C"]}, strategy="team_pool", team_id=5),
        rule_for(3, {"grades": ["C"]}, strategy="least_loaded", team_id=5),
    ]
    assigner = Assigner(rules, reps((1, 5), (2, 5), (3, 5)), allowed_owners=[3])
    assert assigner.place(lead()).owner_id == 3


def test_spread_evenly_deals_in_turn():
    assert spread_evenly(["a", "b", "c", "d", "e"], [7, 8]) == {
        "a": 7,
        "b": 8,
        "c": 7,
        "d": 8,
        "e": 7,
    }


# ---- rule validation -----------------------------------------------------------------------


def test_bad_rules_report_every_field():
    assert errors_of({"name": "", "strategy": "lottery", "conditions": {"regions": ["火星"]}}) == {
        "name": "required",
        "strategy": "assignment.strategy_unknown",
        "conditions.regions": "assignment.region_unknown",
    }
    assert errors_of({"name": "x", "strategy": "round_robin", "team_id": 1}) == {
        "conditions": "assignment.conditions_required"
    }
    assert errors_of(
        {"name": "x", "strategy": "direct", "is_default": True, "conditions": {"grades": ["A"]}}
    ) == {"conditions": "assignment.default_has_conditions", "user_id": "required"}
    assert errors_of(
        {
            "name": "x",
            "strategy": "senior",
            "team_id": 1,
            "user_id": 3,
            "conditions": {"grades": ["B"], "sizes": ["huge"], "industries": ["magic"]},
        }
    ) == {
        "conditions.grades": "assignment.senior_grades",
        "conditions.sizes": "assignment.value_not_allowed",
        "conditions.industries": "assignment.industry_unknown",
        "user_id": "assignment.user_not_for_strategy",
    }


# ---- settings, masks, fairness ---------------------------------------------------------------


def test_settings_merge_onto_the_current_ones_and_reject_bad_values():
    changed = parse_settings({"claim_daily_limit": 3, "stale_days": {"A": 0}}, PoolSettings())
    assert changed.claim_daily_limit == 3
    assert changed.stale_days == {"A": 0, "B": 30, "C": 14}
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert set(stale_cutoffs(changed, now)) == {"B", "C"}  # 0 = A never goes stale
    with pytest.raises(ValidationFailed) as caught:
        parse_settings(
            {
                "claim_daily_limit": -1,
                "stale_action": "delete",
                "stale_days": {"Z": 1},
                "protection_days": True,
                "colour": "red",
            }
        )
    assert {e.field: e.code for e in caught.value.errors} == {
        "claim_daily_limit": "assignment.out_of_range",
        "stale_action": "assignment.value_not_allowed",
        "stale_days": "assignment.value_not_allowed",
        "protection_days": "type.number",
        "colour": "field.unknown",
    }


def test_phone_masks_keep_only_the_last_four_digits():
    assert mask_phone("+8613812345678") == "*********5678"
    assert mask_phone(None) is None


def test_gini_is_zero_for_equal_shares_and_grows_with_concentration():
    assert gini([5, 5, 5, 5]) == 0.0
    assert gini([0, 0, 0]) == 0.0
    assert gini([]) == 0.0
    assert gini([0, 0, 0, 10]) == 0.75
    assert 0 < gini([1, 2, 3, 4]) < gini([0, 1, 2, 7])
