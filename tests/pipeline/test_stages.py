"""Configurable pipeline stages: the seeded defaults, admin edits, and moves that follow them."""

from __future__ import annotations

from server.db.tables import AuditLog
from server.domain.pipeline import DEFAULT_STAGES
from server.services.stages import list_stages


async def test_defaults_are_seeded_in_order_with_both_names(make_user):
    rep = await make_user("rep")
    rep.lang = "zh-CN"
    stages = (await rep.get("/api/pipeline/stages")).json()
    assert [s["key"] for s in stages] == [s.key for s in DEFAULT_STAGES]
    assert [s["name"] for s in stages][:6] == [
        "线索获取",
        "初步接触",
        "需求确认",
        "方案展示",
        "商务谈判",
        "合同签署",
    ]
    first_contact = stages[1]
    assert (first_contact["name_en"], first_contact["exit_criteria"]) == (
        "First contact",
        ["amount"],
    )
    assert (first_contact["expected_days"], first_contact["probability"]) == (14, 20)
    assert stages[-1]["closed"] and stages[-2]["closed"]


async def test_admin_adds_a_stage_with_exit_criteria_and_moves_follow_it(make_user, team):
    admin, rep = await make_user("admin"), await make_user("rep", team)
    created = await admin.post(
        "/api/pipeline/stages",
        json={
            "key": "trial",
            "name_zh": "试用",
            "name_en": "Trial",
            "expected_days": 30,
            "probability": 70,
            "exit_criteria": ["probability"],
            "position": 5,  # after proposal, before negotiation
        },
    )
    assert created.status_code == 201, created.text
    keys = [s.key for s in await list_stages()]
    assert keys == [
        "lead",
        "first_contact",
        "needs_confirmed",
        "proposal",
        "trial",
        "negotiation",
        "won",
        "lost",
    ]
    customer = await rep.post("/api/customers", json={"name": "试用客户", "phone": "13700000001"})
    deal = await rep.post(
        "/api/deals",
        json={
            "customer_id": customer.json()["id"],
            "title": "试用转正",
            "stage": "trial",
            "amount": 1000,
            "expected_close": "2026-12-31",
        },
    )
    assert deal.status_code == 201, deal.text
    moved = await rep.post(f"/api/deals/{deal.json()['id']}/stage", json={"stage": "negotiation"})
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["message"] == (
        "Enter the win probability before the deal leaves the stage “Trial”."
    )
    assert await AuditLog.count().where(AuditLog.entity == "pipeline_stage") == 1


async def test_admin_edits_and_reorders_and_deactivates(make_user):
    admin = await make_user("admin")
    edited = await admin.patch(
        "/api/pipeline/stages/proposal",
        json={"name_en": "Demo", "exit_criteria": ["expected_close", "amount"], "position": 1},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["exit_criteria"] == ["expected_close", "amount"]
    assert [s.key for s in await list_stages()][:2] == ["proposal", "lead"]
    off = await admin.patch("/api/pipeline/stages/negotiation", json={"active": False})
    assert off.json()["active"] is False


async def test_stage_settings_are_validated(make_user):
    admin = await make_user("admin")
    bad = await admin.post(
        "/api/pipeline/stages",
        json={"key": "Bad Key", "name_en": "X", "exit_criteria": ["colour"], "probability": 101},
    )
    assert bad.status_code == 422
    fields = {e["field"]: e["code"] for e in bad.json()["errors"]}
    assert fields == {
        "key": "stage.key.invalid",
        "name_zh": "required",
        "exit_criteria": "stage.exit_criteria.unknown",
        "probability": "probability.invalid",
    }
    duplicate = await admin.post(
        "/api/pipeline/stages", json={"key": "lead", "name_zh": "线索", "name_en": "Lead"}
    )
    assert duplicate.status_code == 409
    fixed = await admin.patch("/api/pipeline/stages/won", json={"probability": 90})
    assert fixed.status_code == 422
    assert fixed.json()["errors"][0]["code"] == "stage.closed.fixed"
    renamed = await admin.patch("/api/pipeline/stages/won", json={"name_zh": "赢单"})
    assert renamed.status_code == 200
    assert (await admin.patch("/api/pipeline/stages/nope", json={})).status_code == 404


async def test_only_admins_edit_stages(make_user, team):
    manager = await make_user("manager", team)
    response = await manager.patch("/api/pipeline/stages/lead", json={"expected_days": 3})
    assert response.status_code == 403
