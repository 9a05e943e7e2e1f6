"""Deals through the API and the shared write path: stage moves with exit criteria, lost
reasons, closed_at, stage history, audit, server_seq, access, and the board."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from server.db.tables import AuditLog, Deal, DealStageChange
from server.domain.errors import Forbidden, NotFound, ValidationFailed
from server.domain.pipeline import OPEN_STAGE_KEYS
from server.services.deals import apply_deal_fields
from server.services.sequence import current_server_seq
from tests.pipeline.conftest import actor_of, at

CUSTOMER = {"name": "上海云杉信息技术有限公司", "phone": "13900001111", "region": "上海"}


@pytest.fixture
async def rep(make_user, team):
    return await make_user("rep", team)


async def new_customer(user) -> str:
    unique = {"phone": None, "email": f"{uuid.uuid4().hex}@example.cn"}
    response = await user.post("/api/customers", json={**CUSTOMER, **unique})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def new_deal(user, **fields) -> dict:
    customer_id = fields.pop("customer_id", None) or await new_customer(user)
    body = {"customer_id": customer_id, "title": "年度采购", **fields}
    response = await user.post("/api/deals", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_starts_in_the_first_stage_with_history_audit_and_seq(rep):
    before = await current_server_seq()
    deal = await new_deal(rep, amount=12000.5)
    assert deal["stage"] == "lead"
    assert deal["stage_name"] == "Lead"
    assert deal["owner_id"] == rep.id
    assert deal["amount"] == 12000.5
    assert deal["effective_probability"] == 10  # the stage's default
    assert deal["closed_at"] is None
    assert deal["server_seq"] > before
    changes = await DealStageChange.select().where(DealStageChange.deal == deal["id"])
    assert [(c["from_stage"], c["to_stage"]) for c in changes] == [(None, "lead")]
    audit = await AuditLog.select().where(AuditLog.record_id == deal["id"])
    assert [a["action"] for a in audit] == ["create"]


async def test_moving_on_without_exit_criteria_names_every_missing_field(rep):
    deal = await new_deal(rep)
    url = f"/api/deals/{deal['id']}/stage"
    assert (await rep.post(url, json={"stage": "first_contact"})).status_code == 200
    # Skipping to proposal passes first_contact (amount) and needs_confirmed (expected_close).
    response = await rep.post(url, json={"stage": "proposal"})
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert set(errors) == {"amount", "expected_close"}
    assert errors["amount"]["code"] == "deal.exit_criteria.amount"
    assert errors["amount"]["message"] == (
        "Enter the amount before the deal leaves the stage “First contact”."
    )
    rep.lang = "zh-CN"
    response = await rep.post(url, json={"stage": "proposal"})
    messages = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert messages["expected_close"] == "商机离开“需求确认”阶段前，请填写预计成交日期。"
    assert messages["amount"] == "商机离开“初步接触”阶段前，请填写金额。"
    stored = await Deal.select(Deal.stage).where(Deal.id == deal["id"]).first()
    assert stored["stage"] == "first_contact"  # nothing written


async def test_fields_given_with_the_move_count_for_exit_criteria(rep):
    deal = await new_deal(rep, stage="first_contact", amount=0)
    response = await rep.patch(
        f"/api/deals/{deal['id']}",
        json={"stage": "proposal", "amount": 5000, "expected_close": "2026-12-31"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["stage"] == "proposal"
    assert response.json()["effective_probability"] == 60


async def test_creating_past_a_stage_also_needs_its_criteria(rep):
    customer = await new_customer(rep)
    response = await rep.post(
        "/api/deals", json={"customer_id": customer, "title": "直接谈判", "stage": "negotiation"}
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"amount", "expected_close"}


async def test_lost_needs_a_reason_and_won_lost_set_closed_at(rep):
    deal = await new_deal(rep)
    url = f"/api/deals/{deal['id']}/stage"
    missing = await rep.post(url, json={"stage": "lost"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "lost_reason"
    lost = await rep.post(url, json={"stage": "lost", "lost_reason": "选择了竞品"})
    assert lost.status_code == 200
    assert lost.json()["closed_at"] is not None
    assert lost.json()["effective_probability"] == 0
    reopened = (await rep.post(url, json={"stage": "lead"})).json()
    assert (reopened["closed_at"], reopened["lost_reason"]) == (None, None)
    won = await rep.patch(
        f"/api/deals/{deal['id']}",
        json={"stage": "won", "amount": 8000, "expected_close": "2026-12-01"},
    )
    assert won.json()["closed_at"] is not None
    assert won.json()["effective_probability"] == 100
    history = (await rep.get(f"/api/deals/{deal['id']}/stages")).json()
    assert [h["to_stage"] for h in history] == ["lead", "lost", "lead", "won"]


async def test_unknown_stage_and_bad_values(rep):
    deal = await new_deal(rep)
    response = await rep.patch(
        f"/api/deals/{deal['id']}", json={"stage": "nirvana", "probability": 150, "title": " "}
    )
    assert response.status_code == 422
    codes = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert codes == {
        "stage": "stage.unknown",
        "probability": "probability.invalid",
        "title": "required",
    }
    unknown = await rep.patch(f"/api/deals/{deal['id']}", json={"colour": "red"})
    assert unknown.status_code == 400


async def test_rep_cannot_move_another_reps_deal_even_on_a_shared_customer(make_user, team):
    owner, other = await make_user("rep", team), await make_user("rep", team)
    deal = await new_deal(owner)
    share = await owner.request(
        "PUT", f"/api/customers/{deal['customer_id']}/share", json={"user_id": other.id}
    )
    assert share.status_code == 200
    assert (await other.get(f"/api/deals/{deal['id']}")).status_code == 200  # may see it
    move = {"stage": "lost", "lost_reason": "x"}
    moved = await other.post(f"/api/deals/{deal['id']}/stage", json=move)
    assert moved.status_code == 403
    assert moved.json()["code"] == "deal.not_owner"


async def test_rep_cannot_see_deals_of_customers_they_cannot_see(make_user, team):
    owner, stranger = await make_user("rep", team), await make_user("rep", team)
    deal = await new_deal(owner)
    assert (await stranger.get(f"/api/deals/{deal['id']}")).status_code == 404
    assert (await stranger.get("/api/deals")).json()["total"] == 0
    patched = await stranger.patch(f"/api/deals/{deal['id']}", json={"title": "mine"})
    assert patched.status_code == 404
    on_their_customer = await stranger.post(
        "/api/deals", json={"customer_id": deal["customer_id"], "title": "抢单"}
    )
    assert on_their_customer.status_code == 404


async def test_manager_moves_team_deals_and_assigns_within_the_team(make_user, team):
    rep, manager = await make_user("rep", team), await make_user("manager", team)
    outsider = await make_user("rep", None)
    deal = await new_deal(rep)
    url = f"/api/deals/{deal['id']}"
    assert (await manager.post(f"{url}/stage", json={"stage": "first_contact"})).status_code == 200
    other_team = await manager.patch(url, json={"owner_id": outsider.id})
    assert other_team.status_code == 422
    assert other_team.json()["errors"][0]["code"] == "deal.owner.other_team"
    colleague = await make_user("rep", team)
    handover = await rep.patch(url, json={"owner_id": colleague.id})
    assert handover.status_code == 403  # reps don't hand deals over; their manager does
    assigned = await manager.patch(url, json={"owner_id": colleague.id})
    assert assigned.json()["owner_id"] == colleague.id


async def test_noop_write_changes_nothing(rep, engine):
    deal = await new_deal(rep, amount=100)
    seq = (await Deal.select(Deal.server_seq).where(Deal.id == deal["id"]).first())["server_seq"]
    same = await rep.patch(f"/api/deals/{deal['id']}", json={"amount": "100.00", "stage": "lead"})
    assert same.json()["server_seq"] == seq
    assert await AuditLog.count().where(AuditLog.record_id == deal["id"]) == 1


async def test_sync_path_dates_moves_by_the_device_time(rep, engine):
    """What the sync engine does: JSON-plain values and the time the edit was made."""
    actor = actor_of(rep)
    customer = uuid.UUID(await new_customer(rep))
    deal_id = uuid.uuid4()
    created = await apply_deal_fields(
        engine,
        actor,
        deal_id,
        {
            "customer_id": str(customer),
            "title": "离线商机",
            "amount": "5000",
            "expected_close": "2026-09-30",
        },
        at=at(3, 1),
    )
    assert created["created_at"] == at(3, 1)
    assert created["stage_entered_at"] == at(3, 1)
    moved = await apply_deal_fields(engine, actor, deal_id, {"stage": "needs_confirmed"}, at(3, 4))
    assert moved["stage_entered_at"] == at(3, 4)
    # A late-arriving edit made before the current stage was entered: dwell stays >= 0.
    late = await apply_deal_fields(engine, actor, deal_id, {"stage": "proposal"}, at(3, 2))
    assert late["stage_entered_at"] == at(3, 4)
    # A device clock running ahead is capped at the server's now.
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    won = await apply_deal_fields(engine, actor, deal_id, {"stage": "won"}, future)
    assert won["closed_at"] <= dt.datetime.now(dt.UTC)
    changes = await DealStageChange.select(DealStageChange.to_stage).where(
        DealStageChange.deal == deal_id
    )
    assert [c["to_stage"] for c in changes] == ["lead", "needs_confirmed", "proposal", "won"]


async def test_sync_path_raises_domain_errors(make_user, team, engine):
    owner, other = await make_user("rep", team), await make_user("rep", team)
    deal = await new_deal(owner)
    deal_id = uuid.UUID(deal["id"])
    with pytest.raises(NotFound):
        await apply_deal_fields(engine, actor_of(other), deal_id, {"title": "x"})
    with pytest.raises(ValidationFailed) as failed:
        await apply_deal_fields(engine, actor_of(owner), deal_id, {"stage": "proposal"})
    assert {e.field for e in failed.value.errors} == {"amount", "expected_close"}
    with pytest.raises(ValidationFailed):
        await apply_deal_fields(
            engine, actor_of(owner), deal_id, {"customer_id": str(uuid.uuid4())}
        )
    with pytest.raises(Forbidden):
        await apply_deal_fields(engine, actor_of(owner), deal_id, {"owner_id": other.id})


async def test_tombstone_through_the_write_path(rep, engine):
    deal = await new_deal(rep)
    await apply_deal_fields(engine, actor_of(rep), uuid.UUID(deal["id"]), {"deleted": True})
    assert (await rep.get(f"/api/deals/{deal['id']}")).status_code == 404
    assert (await rep.patch(f"/api/deals/{deal['id']}", json={"title": "x"})).status_code == 404
    same_id = {"id": deal["id"], "customer_id": deal["customer_id"], "title": "dup"}
    again = await rep.post("/api/deals", json=same_id)
    assert again.status_code == 409


async def test_board_groups_by_stage_with_counts_and_sums(history):
    board = (await history.m1.get("/api/deals/board")).json()
    stages = {s["key"]: s for s in board["stages"]}
    assert list(stages) == [*OPEN_STAGE_KEYS, "won", "lost"]
    # Team 1's deals: D5 first_contact; D3 proposal; D1, D4, D7 won; D2 lost.
    counts = [stages[k]["count"] for k in [*OPEN_STAGE_KEYS, "won", "lost"]]
    assert counts == [0, 1, 0, 1, 0, 3, 1]
    assert stages["won"]["amount"] == 220000.0
    assert board["count"] == 6
    assert stages["proposal"]["deals"][0]["title"] == "D3"
    assert stages["proposal"]["deals"][0]["stage_overdue"] is True  # since 03-01, 14 expected

    mine = (await history.admin.get(f"/api/deals/board?owner_id={history.r2.id}")).json()
    assert mine["count"] == 2
    team2 = (await history.admin.get(f"/api/deals/board?team_id={history.team2}")).json()
    assert team2["count"] == 1 and team2["amount"] == 70000.0
    # Open at some time in March: everything but D2 and D6 (closed in Jan/Feb) and D7
    # (created in April); D1 closed 02-21 too.
    march = (await history.admin.get("/api/deals/board?from=2026-03-01&to=2026-03-31")).json()
    assert march["count"] == 3  # D3, D4 (won 03-02), D5
    beijing = (await history.admin.get("/api/deals/board?region=北京&per_stage=0")).json()
    assert beijing["count"] == 6  # C1's and C4's deals
    assert all(s["deals"] == [] for s in beijing["stages"])


async def test_list_filters(history):
    listed = (await history.m1.get("/api/deals?stage=won")).json()
    assert listed["total"] == 3
    rep_view = (await history.r2.get("/api/deals")).json()
    assert {d["title"] for d in rep_view["items"]} == {"D3", "D4"}
    by_customer = await history.admin.get(f"/api/deals?customer_id={history.customers['C5']}")
    assert [d["title"] for d in by_customer.json()["items"]] == ["D6"]


async def test_stage_history_has_exact_dwell(history):
    response = await history.r1.get(f"/api/deals/{history.deals['D1']}/stages")
    dwell = [h["dwell_seconds"] for h in response.json()]
    assert dwell[:-1] == [d * 86400 for d in (5, 10, 12, 10, 10)]
    assert dwell[-1] is None  # closed as won: no dwell in the last stage
