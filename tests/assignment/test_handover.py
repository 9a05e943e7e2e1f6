"""Handover: a rep's customers, open deals and follow-ups move; history stays; access moves."""

from __future__ import annotations

import datetime as dt
import uuid

from server.db.sync_tables import SyncRemoval
from server.db.tables import Customer, CustomerShare, Deal, FollowUp, Notification, OwnerChange
from tests.assignment.conftest import add_rule, field_errors, insert_customer


async def _deal(customer: uuid.UUID, owner: int, stage: str = "lead") -> uuid.UUID:
    deal_id = uuid.uuid4()
    await Deal(id=deal_id, customer=customer, owner=owner, title="商机", stage=stage).save()
    return deal_id


async def _follow_up(customer: uuid.UUID, owner: int, done: bool = False) -> uuid.UUID:
    follow_up_id = uuid.uuid4()
    now = dt.datetime.now(dt.UTC)
    await FollowUp(
        id=follow_up_id,
        customer=customer,
        owner=owner,
        title="回访",
        due_at=now,
        done_at=now if done else None,
    ).save()
    return follow_up_id


async def test_handover_moves_everything_open_and_the_old_owner_loses_access(two_teams):
    r1, r2, r3, south = two_teams["r1"], two_teams["r2"], two_teams["r3"], two_teams["south"]
    customers = [
        await insert_customer(
            f"老客户{i}",
            owner=r1.id,
            team=south,
            created_at=dt.datetime(2026, 1, i + 1, tzinfo=dt.UTC),
        )
        for i in range(3)
    ]
    open_deal = await _deal(customers[0], r1.id)
    won_deal = await _deal(customers[1], r1.id, stage="won")
    elsewhere = await insert_customer("别人的客户", owner=r2.id, team=south)
    deal_elsewhere = await _deal(elsewhere, r1.id)
    pending = await _follow_up(customers[0], r1.id)
    done = await _follow_up(customers[1], r1.id, done=True)
    await CustomerShare(customer=customers[2], user=two_teams["north_rep"].id).save()
    seq_before = max(r["server_seq"] for r in await Customer.select(Customer.server_seq))

    response = await two_teams["south_manager"].post(
        "/api/assignment/handover",
        json={"from_user_id": r1.id, "to_user_ids": [r2.id, r3.id], "spread": "even"},
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["customers"], report["deals"], report["follow_ups"]) == (3, 2, 1)
    assert report["by_owner"] == {str(r2.id): 2, str(r3.id): 1}

    owners = {r["id"]: r for r in await Customer.select()}
    assert [owners[c]["owner"] for c in customers] == [r2.id, r3.id, r2.id]
    assert all(owners[c]["server_seq"] > seq_before for c in customers)
    for cid in customers:
        assert (await r1.get(f"/api/customers/{cid}")).status_code == 404
    assert (await r2.get(f"/api/customers/{customers[0]}")).status_code == 200
    assert (await r3.get(f"/api/customers/{customers[1]}")).status_code == 200
    deals = {r["id"]: r["owner"] for r in await Deal.select(Deal.id, Deal.owner)}
    assert deals[open_deal] == r2.id and deals[won_deal] == r1.id  # closed deals keep history
    assert deals[deal_elsewhere] in (r2.id, r3.id)
    follow_ups = {r["id"]: r["owner"] for r in await FollowUp.select(FollowUp.id, FollowUp.owner)}
    assert follow_ups[pending] == r2.id and follow_ups[done] == r1.id
    history = await OwnerChange.select().where(OwnerChange.reason == "handover")
    assert {(h["from_owner"], h["customer"]) for h in history} == {(r1.id, c) for c in customers}
    assert await CustomerShare.count() == 1  # shares made by others stay
    removed = {
        r["customer_id"] for r in await SyncRemoval.select().where(SyncRemoval.user == r1.id)
    }
    assert removed == {str(c) for c in customers}
    kinds = {n["user"]: n["kind"] for n in await Notification.select()}
    assert kinds == {r2.id: "assignment", r3.id: "assignment"}


async def test_handover_by_rules_spreads_among_the_targets_only(two_teams):
    r1, r2, r3, south = two_teams["r1"], two_teams["r2"], two_teams["r3"], two_teams["south"]
    admin = two_teams["admin"]
    await add_rule(
        admin, name="A级给r3", strategy="direct", user_id=r3.id, conditions={"grades": ["A"]}
    )
    await add_rule(
        admin,
        name="给北方",
        strategy="direct",
        user_id=two_teams["north_rep"].id,
        conditions={"grades": ["B"]},
    )
    a_grade = await insert_customer("A级", owner=r1.id, team=south, grade="A")
    b_grade = await insert_customer("B级", owner=r1.id, team=south, grade="B")
    report = (
        await admin.post(
            "/api/assignment/handover",
            json={"from_user_id": r1.id, "to_user_ids": [r2.id, r3.id], "spread": "rules"},
        )
    ).json()
    assert report["customers"] == 2
    rows = {r["id"]: r for r in await Customer.select()}
    assert (rows[a_grade]["owner"], rows[a_grade]["assigned_rule"]) == (r3.id, "A级给r3")
    assert rows[b_grade]["owner"] == r2.id  # the B rule's person is not a target: spread evenly


async def test_handover_checks_team_targets_and_input(two_teams):
    r1, r2 = two_teams["r1"], two_teams["r2"]
    north_manager, south_manager = two_teams["north_manager"], two_teams["south_manager"]
    body = {"from_user_id": r1.id, "to_user_ids": [r2.id]}
    foreign = await north_manager.post("/api/assignment/handover", json=body)
    assert foreign.status_code == 403 and foreign.json()["code"] == "assignment.not_your_team"
    other_team = await south_manager.post(
        "/api/assignment/handover", json={**body, "to_user_ids": [two_teams["north_rep"].id]}
    )
    assert field_errors(other_team) == {"to_user_ids": "assignment.user_other_team"}
    to_self = await south_manager.post(
        "/api/assignment/handover", json={**body, "to_user_ids": [r1.id], "spread": "random"}
    )
    assert field_errors(to_self) == {
        "to_user_ids": "assignment.targets_invalid",
        "spread": "assignment.value_not_allowed",
    }
    nobody = await south_manager.post("/api/assignment/handover", json={**body, "to_user_ids": []})
    assert field_errors(nobody) == {"to_user_ids": "required"}
    missing = await south_manager.post(
        "/api/assignment/handover", json={**body, "from_user_id": 99999}
    )
    assert missing.status_code == 404
