"""The public pool: what reps see, claiming (races included), limits, protection, release."""

from __future__ import annotations

import asyncio
import datetime as dt

from server.db.tables import AuditLog, Customer, CustomerShare, Notification, OwnerChange
from tests.assignment.conftest import field_errors, insert_customer


async def test_reps_see_the_shared_pool_and_their_teams_share_with_thin_fields(two_teams):
    south, north = two_teams["south"], two_teams["north"]
    shared = await insert_customer(
        "公海深圳", phone="+8613812345678", email="a@b.cn", address="南山"
    )
    south_share = await insert_customer("华南专属", team=south)
    await insert_customer("华北专属", team=north)
    await insert_customer("有主的", owner=two_teams["r2"].id, team=south)
    page = (await two_teams["r1"].get("/api/pool")).json()
    assert {item["id"] for item in page["items"]} == {str(shared), str(south_share)}
    item = next(i for i in page["items"] if i["id"] == str(shared))
    assert item["phone"] == "*********5678"
    assert item["region"] == "CN-GD-SZ" and item["region_name"] == "Shenzhen"
    assert not {"email", "address", "notes", "tags", "custom"} & set(item)
    found = (await two_teams["r1"].get("/api/pool", params={"region": "广东", "q": "深圳"})).json()
    assert [i["id"] for i in found["items"]] == [str(shared)]
    bad = await two_teams["r1"].get("/api/pool", params={"region": "火星"})
    assert field_errors(bad) == {"region": "region.unknown"}
    everything = (await two_teams["admin"].get("/api/pool")).json()
    assert everything["total"] == 3


async def test_claim_gives_ownership_protection_history_and_audit(two_teams):
    r1 = two_teams["r1"]
    lead = await insert_customer("可领取线索")
    assert (await r1.get(f"/api/customers/{lead}")).status_code == 404
    response = await r1.post(f"/api/pool/{lead}/claim")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["owner_id"] == r1.id and body["team_id"] == two_teams["south"]
    claimed = dt.datetime.fromisoformat(body["claimed_at"])
    protected = dt.datetime.fromisoformat(body["protected_until"])
    assert protected - claimed == dt.timedelta(days=7)
    assert (await r1.get(f"/api/customers/{lead}")).status_code == 200
    history = await OwnerChange.select().where(OwnerChange.customer == lead)
    assert [(h["from_owner"], h["to_owner"], h["reason"]) for h in history] == [
        (None, r1.id, "claim")
    ]
    assert await AuditLog.count().where(AuditLog.action == "claim") == 1
    again = await two_teams["r2"].post(f"/api/pool/{lead}/claim")
    assert again.status_code == 409 and again.json()["code"] == "pool.already_claimed"
    other_share = await insert_customer("华北专属", team=two_teams["north"])
    assert (await r1.post(f"/api/pool/{other_share}/claim")).status_code == 404


async def test_two_reps_claiming_the_same_lead_at_once_exactly_one_wins(two_teams):
    lead = await insert_customer("抢手线索")
    reps = [two_teams[k] for k in ("r1", "r2", "r3", "north_rep")]
    responses = await asyncio.gather(*(rep.post(f"/api/pool/{lead}/claim") for rep in reps))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409], [r.text for r in responses]
    winner = next(rep for rep, r in zip(reps, responses, strict=True) if r.status_code == 201)
    row = await Customer.select(Customer.owner).where(Customer.id == lead).first()
    assert row["owner"] == winner.id
    assert await OwnerChange.count().where(OwnerChange.customer == lead) == 1


async def test_daily_and_total_claim_limits_hold_even_for_simultaneous_claims(two_teams):
    admin, r1 = two_teams["admin"], two_teams["r1"]
    settings = await admin.patch("/api/pool/settings", json={"claim_daily_limit": 2})
    assert settings.json()["claim_daily_limit"] == 2
    leads = [await insert_customer(f"线索{i}") for i in range(4)]
    responses = await asyncio.gather(*(r1.post(f"/api/pool/{lead}/claim") for lead in leads[:3]))
    assert sorted(r.status_code for r in responses) == [201, 201, 409]
    refused = next(r for r in responses if r.status_code == 409).json()
    assert refused["code"] == "pool.daily_limit_reached" and "2" in refused["message"]
    limits = (await r1.get("/api/pool/limits")).json()
    assert limits == {
        "claimed_today": 2,
        "daily_limit": 2,
        "owned": 2,
        "total_limit": 0,
        "protection_days": 7,
    }
    await admin.patch("/api/pool/settings", json={"claim_daily_limit": 0, "claim_total_limit": 2})
    over = await r1.post(f"/api/pool/{leads[3]}/claim")
    assert over.json()["code"] == "pool.total_limit_reached"
    assert (await two_teams["r2"].post(f"/api/pool/{leads[3]}/claim")).status_code == 201


async def test_pool_settings_are_validated_and_audited(two_teams):
    manager = two_teams["south_manager"]
    defaults = (await manager.get("/api/pool/settings")).json()
    assert defaults["stale_days"] == {"A": 60, "B": 30, "C": 14}
    bad = await manager.patch(
        "/api/pool/settings",
        json={"protection_days": -1, "stale_action": "delete", "stale_days": {"D": 3}},
    )
    assert bad.status_code == 422
    assert field_errors(bad) == {
        "protection_days": "assignment.out_of_range",
        "stale_action": "assignment.value_not_allowed",
        "stale_days": "assignment.value_not_allowed",
    }
    typed = await manager.patch("/api/pool/settings", json={"claim_daily_limit": "ten"})
    assert typed.status_code == 400
    ok = await manager.patch("/api/pool/settings", json={"stale_days": {"C": 7}})
    assert ok.json()["stale_days"] == {"A": 60, "B": 30, "C": 7}
    changes = await AuditLog.select().where(AuditLog.entity == "setting")
    assert len(changes) == 1 and "stale_days" in changes[0]["after"]


async def test_release_by_owner_or_manager_back_to_the_shared_pool(two_teams):
    r1, r2 = two_teams["r1"], two_teams["r2"]
    mine = await insert_customer("我的客户", owner=r1.id, team=two_teams["south"])
    await CustomerShare(customer=mine, user=r2.id).save()
    shared_release = await r2.post(f"/api/pool/{mine}/release")
    assert shared_release.status_code == 403
    assert (await two_teams["north_rep"].post(f"/api/pool/{mine}/release")).status_code == 404
    released = await r1.post(f"/api/pool/{mine}/release", json={"note": "客户不需要"})
    assert released.status_code == 201, released.text
    row = await Customer.select().where(Customer.id == mine).first()
    assert (row["owner"], row["team"], row["claimed_at"]) == (None, None, None)
    assert (await r1.get(f"/api/customers/{mine}")).status_code == 404
    assert str(mine) in {i["id"] for i in (await r2.get("/api/pool")).json()["items"]}
    reasons = [h["reason"] for h in await OwnerChange.select().where(OwnerChange.customer == mine)]
    assert reasons == ["release: 客户不需要"]
    assert (await r1.post(f"/api/pool/{mine}/release")).status_code == 404  # no longer theirs
    theirs = await insert_customer("经理释放", owner=r2.id, team=two_teams["south"])
    assert (await two_teams["south_manager"].post(f"/api/pool/{theirs}/release")).status_code == 201
    told = await Notification.select().where(Notification.user == r2.id)
    assert [n["kind"] for n in told] == ["assignment"] and "经理释放" in told[0]["body"]
    assert await AuditLog.count().where(AuditLog.action == "release") == 2
