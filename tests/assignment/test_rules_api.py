"""Managing assignment rules: validation with field errors, team scoping, order, permissions."""

from __future__ import annotations

from server.db.tables import AuditLog
from tests.assignment.conftest import add_rule, field_errors


async def test_manager_creates_lists_updates_and_deletes_a_rule(two_teams):
    manager, south = two_teams["south_manager"], two_teams["south"]
    rule = await add_rule(
        manager,
        name="华南轮转",
        strategy="round_robin",
        team_id=south,
        conditions={"regions": ["广东省", "深圳"], "grades": ["a"]},
    )
    assert rule["conditions"] == {"regions": ["CN-GD", "CN-GD-SZ"], "grades": ["A"]}
    assert rule["team_id"] == south and rule["active"] is True
    changed = await manager.patch(
        f"/api/assignment/rules/{rule['id']}", json={"conditions": {"industries": ["IT"]}}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["conditions"] == {"industries": ["it_software"]}
    assert [r["name"] for r in (await manager.get("/api/assignment/rules")).json()] == ["华南轮转"]
    assert (await manager.delete(f"/api/assignment/rules/{rule['id']}")).status_code == 204
    assert (await manager.get("/api/assignment/rules")).json() == []
    actions = {
        r["action"] for r in await AuditLog.select().where(AuditLog.entity == "assignment_rule")
    }
    assert actions == {"create", "update", "delete"}


async def test_bad_rule_definitions_get_4xx_with_field_errors(two_teams):
    manager, admin = two_teams["south_manager"], two_teams["admin"]
    unknown = await manager.post(
        "/api/assignment/rules",
        json={"name": "x", "strategy": "lottery", "conditions": {"regions": ["火星"]}},
    )
    assert unknown.status_code == 422
    assert field_errors(unknown) == {
        "strategy": "assignment.strategy_unknown",
        "conditions.regions": "assignment.region_unknown",
    }
    assert "火星" in unknown.json()["errors"][1]["message"]
    other_team_rep = await manager.post(
        "/api/assignment/rules",
        json={
            "name": "x",
            "strategy": "direct",
            "user_id": two_teams["north_rep"].id,
            "conditions": {"grades": ["A"]},
        },
    )
    assert field_errors(other_team_rep) == {"user_id": "assignment.user_other_team"}
    other_team = await manager.post(
        "/api/assignment/rules",
        json={
            "name": "x",
            "strategy": "least_loaded",
            "team_id": two_teams["north"],
            "conditions": {"grades": ["A"]},
        },
    )
    assert field_errors(other_team) == {"team_id": "assignment.team_not_yours"}
    no_conditions = await admin.post(
        "/api/assignment/rules",
        json={"name": "x", "strategy": "team_pool", "team_id": two_teams["south"]},
    )
    assert field_errors(no_conditions) == {"conditions": "assignment.conditions_required"}
    typo = await admin.post(
        "/api/assignment/rules",
        json={"name": "x", "strategy": "team_pool", "team_id": 1, "conditions": {"region": []}},
    )
    assert typo.status_code == 400
    assert field_errors(typo) == {"region": "field.unknown"}
    wrong_team_for_user = await admin.post(
        "/api/assignment/rules",
        json={
            "name": "x",
            "strategy": "direct",
            "user_id": two_teams["r1"].id,
            "team_id": two_teams["north"],
            "conditions": {"grades": ["A"]},
        },
    )
    assert field_errors(wrong_team_for_user) == {"user_id": "assignment.user_other_team"}


async def test_names_are_unique_and_each_team_has_one_default(two_teams):
    admin, south = two_teams["admin"], two_teams["south"]
    await add_rule(admin, name="默认", strategy="team_pool", team_id=south, is_default=True)
    again = await admin.post(
        "/api/assignment/rules",
        json={"name": "默认", "strategy": "least_loaded", "team_id": south, "is_default": True},
    )
    assert field_errors(again) == {
        "name": "assignment.rule_name_taken",
        "is_default": "assignment.default_exists",
    }
    north_default = await admin.post(
        "/api/assignment/rules",
        json={
            "name": "北方默认",
            "strategy": "least_loaded",
            "team_id": two_teams["north"],
            "is_default": True,
        },
    )
    assert north_default.status_code == 201


async def test_managers_see_only_their_teams_rules_and_reorder_within_their_slots(two_teams):
    admin, south = two_teams["admin"], two_teams["south"]
    a = await add_rule(
        admin, name="A", strategy="team_pool", team_id=south, conditions={"grades": ["A"]}
    )
    n = await add_rule(
        admin,
        name="N",
        strategy="team_pool",
        team_id=two_teams["north"],
        conditions={"grades": ["B"]},
    )
    b = await add_rule(
        admin, name="B", strategy="team_pool", team_id=south, conditions={"grades": ["C"]}
    )
    manager = two_teams["south_manager"]
    assert [r["name"] for r in (await manager.get("/api/assignment/rules")).json()] == ["A", "B"]
    assert (
        await manager.patch(f"/api/assignment/rules/{n['id']}", json={"active": False})
    ).status_code == 404
    reordered = await manager.request(
        "PUT", "/api/assignment/rules/order", json={"rule_ids": [b["id"], a["id"]]}
    )
    assert [r["name"] for r in reordered.json()] == ["B", "A"]
    assert [r["name"] for r in (await admin.get("/api/assignment/rules")).json()] == ["B", "N", "A"]
    foreign = await manager.request(
        "PUT", "/api/assignment/rules/order", json={"rule_ids": [n["id"], a["id"]]}
    )
    assert field_errors(foreign) == {"rule_ids": "assignment.rule_unknown"}


async def test_reps_cannot_manage_rules_run_assignment_hand_over_or_see_reports(two_teams):
    rep = two_teams["r1"]
    rule = {
        "name": "x",
        "strategy": "team_pool",
        "team_id": two_teams["south"],
        "conditions": {"grades": ["A"]},
    }
    calls = [
        ("GET", "/api/assignment/rules", None),
        ("POST", "/api/assignment/rules", rule),
        ("PUT", "/api/assignment/rules/order", {"rule_ids": []}),
        ("POST", "/api/assignment/run", {}),
        (
            "POST",
            "/api/assignment/handover",
            {"from_user_id": two_teams["r2"].id, "to_user_ids": [rep.id]},
        ),
        ("GET", "/api/assignment/fairness", None),
        ("GET", "/api/pool/settings", None),
        ("PATCH", "/api/pool/settings", {"claim_daily_limit": 1000}),
    ]
    for method, url, body in calls:
        response = await rep.request(method, url, json=body)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["code"] == "auth.forbidden"
