"""Field-level survivorship of a merge, and what a save does with likely duplicates."""

from __future__ import annotations

import pytest

from server.domain.access import Actor
from server.domain.dedup import DuplicateCheck, Finding, Side, judge_save, merged_values
from server.domain.errors import Conflict, Forbidden

OLD, NEW = "1732380000000:00000:dev-a", "1732390000000:00000:dev-b"
LEGACY = "0000000000000:00000:legacy"
FIELDS = ("name", "phone", "email", "grade", "notes", "custom")


def side(values, versions=None, updated_at_ms=1_700_000_000_000) -> Side:
    return Side(values, versions or {}, updated_at_ms)


def test_each_field_takes_the_most_recent_non_empty_value() -> None:
    survivor = side(
        {"name": "星辰科技", "phone": "+8613800138000", "email": None, "grade": "B"},
        {"name": NEW, "phone": OLD, "grade": OLD},
    )
    loser = side(
        {"name": "星辰科技有限公司", "phone": "+8613900139000", "email": "a@x.cn", "grade": "A"},
        {"name": OLD, "phone": NEW, "email": OLD, "grade": NEW},
    )
    merged = merged_values(survivor, loser, FIELDS)
    assert merged["name"] == "星辰科技"  # survivor's is newer
    assert merged["phone"] == "+8613900139000"  # loser's is newer
    assert merged["email"] == "a@x.cn"  # only the loser has one
    assert merged["grade"] == "A"


def test_a_newer_empty_value_does_not_wipe_an_older_one() -> None:
    survivor = side({"notes": ""}, {"notes": NEW})
    loser = side({"notes": "大客户，每月拜访"}, {"notes": OLD})
    assert merged_values(survivor, loser, ("notes",))["notes"] == "大客户，每月拜访"


def test_without_real_versions_updated_at_decides_then_completeness() -> None:
    older = side({"phone": "+8613800138000", "grade": "B"}, {"phone": LEGACY}, 1_000)
    newer = side({"phone": "+8613900139000"}, {"phone": LEGACY}, 2_000)
    assert merged_values(older, newer, ("phone",))["phone"] == "+8613900139000"
    complete = side({"phone": "+8613800138000", "email": "a@x.cn"}, updated_at_ms=5)
    sparse = side({"phone": "+8613900139000"}, updated_at_ms=5)
    assert merged_values(sparse, complete, ("phone",))["phone"] == "+8613800138000"
    assert (
        merged_values(sparse, side({"phone": "+8613700137000"}, updated_at_ms=5), ("phone",))[
            "phone"
        ]
        == "+8613900139000"
    )  # full tie: the survivor's


def test_tags_are_united_and_custom_fields_merged_key_by_key() -> None:
    survivor = side(
        {"tags": ["重点", "VIP"], "custom": {"size": "大", "src": "展会"}}, {"custom": NEW}
    )
    loser = side(
        {"tags": ["展会", "VIP"], "custom": {"size": "小", "budget": "50万"}}, {"custom": OLD}
    )
    merged = merged_values(survivor, loser, ("custom",), set_fields=("tags",))
    assert merged["tags"] == sorted({"重点", "VIP", "展会"})
    assert merged["custom"] == {"size": "大", "src": "展会", "budget": "50万"}


REP = Actor(1, "rep", 1, "Li Wei")
MANAGER = Actor(2, "manager", 1, "Boss")


def finding(owner_id, visible=True, owner_name="王芳") -> Finding:
    return Finding("c1", "星辰科技有限公司", owner_id, owner_name, visible, 97.0, ("name",))


def test_another_reps_customer_is_refused_with_the_owner_and_no_details() -> None:
    with pytest.raises(Conflict) as refused:
        judge_save([finding(9, visible=False)], REP.id, REP, DuplicateCheck(confirm_duplicate=True))
    assert refused.value.code == "customer.duplicate_owned"
    assert refused.value.params["owner"] == "王芳"
    assert refused.value.params["duplicates"] == [
        {"visible": False, "name": "星辰科技有限公司", "owner_name": "王芳"}
    ]


def test_a_public_pool_customer_is_refused_as_such() -> None:
    with pytest.raises(Conflict) as refused:
        judge_save([finding(None, visible=False, owner_name=None)], REP.id, REP, DuplicateCheck())
    assert refused.value.code == "customer.duplicate_in_pool"


def test_own_likely_duplicates_need_a_confirmation() -> None:
    with pytest.raises(Conflict) as refused:
        judge_save([finding(REP.id)], REP.id, REP, DuplicateCheck())
    assert refused.value.code == "customer.duplicate_likely"
    assert refused.value.params["duplicates"][0]["id"] == "c1"
    assert judge_save([finding(REP.id)], REP.id, REP, DuplicateCheck(True)) == "confirmed"
    offline = DuplicateCheck(offline=True)
    assert judge_save([finding(REP.id)], REP.id, REP, offline) == "left_for_review"
    with pytest.raises(Conflict):  # another rep's customer is refused even offline
        judge_save([finding(9, visible=False)], REP.id, REP, offline)


def test_only_managers_override_and_only_with_a_reason() -> None:
    with pytest.raises(Forbidden):
        judge_save([finding(9)], REP.id, REP, DuplicateCheck(override_reason="mine"))
    with pytest.raises(Conflict):
        judge_save([finding(9)], MANAGER.id, MANAGER, DuplicateCheck(override_reason="  "))
    check = DuplicateCheck(override_reason="分公司，独立签约")
    assert judge_save([finding(9)], MANAGER.id, MANAGER, check) == "overridden"
    assert judge_save([], REP.id, REP, DuplicateCheck()) == "no_duplicates"
