"""Merge keeps everything, un-merge restores both records exactly, and edits made around a
merge are not lost."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from server.db.dedup_tables import MergeEvent
from server.db.tables import (
    Activity,
    AuditLog,
    Contact,
    Contract,
    Customer,
    CustomerShare,
    Deal,
    FollowUp,
    OwnerChange,
    Ticket,
)
from server.domain.access import Actor
from server.services import customers as customer_service
from server.services.dedup_merge import MergeRequest, merge_customers

SYNC_BOOKKEEPING = {"server_seq", "field_versions"}
CHILD_TABLES = (Contact, Activity, Deal, FollowUp, Contract, Ticket, OwnerChange, CustomerShare)


async def _create(user, **fields) -> dict[str, Any]:
    response = await user.post("/api/customers", json={**fields, "confirm_duplicate": True})
    assert response.status_code == 201, response.text
    return response.json()


async def _add_children(customer_id: str, author: int, share_with: int | None = None) -> None:
    cid = uuid.UUID(customer_id)
    now = dt.datetime.now(dt.UTC)
    await Contact(id=uuid.uuid4(), customer=cid, name="王经理", phone="+8613700137000").save()
    await Activity(
        id=uuid.uuid4(), customer=cid, author=author, summary="拜访", occurred_at=now
    ).save()
    await Deal(
        id=uuid.uuid4(), customer=cid, owner=author, title="一期", amount=Decimal("1000")
    ).save()
    await FollowUp(id=uuid.uuid4(), customer=cid, owner=author, title="回访", due_at=now).save()
    await Contract(
        id=uuid.uuid4(), customer=cid, number=f"HT-{cid.hex[:6]}", start_date=now.date(),
        end_date=now.date(),
    ).save()  # fmt: skip
    await Ticket(id=uuid.uuid4(), customer=cid, title="安装问题").save()
    if share_with is not None:
        await CustomerShare(customer=cid, user=share_with).save()


async def _children_of(customer_id: str) -> dict[str, list[dict]]:
    """Every child row, bookkeeping columns aside, by table."""
    out = {}
    for table in CHILD_TABLES:
        rows = await table.select().where(table.customer == uuid.UUID(customer_id))
        out[table._meta.tablename] = sorted(
            ({k: v for k, v in row.items() if k not in SYNC_BOOKKEEPING} for row in rows),
            key=lambda row: str(row["id"]),
        )
    return out


async def _row(customer_id: str) -> dict[str, Any]:
    return await Customer.select().where(Customer.id == uuid.UUID(customer_id)).first()


def _without_bookkeeping(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in SYNC_BOOKKEEPING}


async def test_merge_keeps_everything_and_unmerge_restores_both_exactly(make_user, team):
    manager = await make_user("manager", team)
    alice = await make_user("rep", team, name="alice")
    bob = await make_user("rep", team, name="bob")
    survivor = await _create(
        alice, name="星辰科技有限公司", phone="13800138000", region="北京", tags=["VIP"],
        grade="B", custom={}, notes="老客户",
    )  # fmt: skip
    loser = await _create(  # Bob's copy, let through by the manager
        manager, name="北京星辰科技", phone="13800138000", email="info@xingchen.cn",
        address="朝阳区建国路1号", tags=["展会"], grade="A", owner_id=bob.id,
        override_reason="test",
    )  # fmt: skip
    await _add_children(survivor["id"], alice.id)
    await _add_children(loser["id"], bob.id, share_with=manager.id)
    rows_before = {cid: await _row(cid) for cid in (survivor["id"], loser["id"])}
    children_before = {cid: await _children_of(cid) for cid in (survivor["id"], loser["id"])}

    merged = await manager.post(
        "/api/dedup/merges", json={"survivor_id": survivor["id"], "loser_id": loser["id"]}
    )
    assert merged.status_code == 201, merged.text
    event = merged.json()
    assert event["moved"]["contact"]["ids"] and event["loser_before"]["name"] == "北京星辰科技"

    after = await _row(survivor["id"])
    gone = await _row(loser["id"])
    assert gone["deleted"] and gone["merged_into"] == uuid.UUID(survivor["id"])
    assert after["email"] == "info@xingchen.cn"  # only the loser had one
    assert after["address"] == "朝阳区建国路1号"
    assert after["grade"] == "A"  # the loser's grade was written later
    assert after["notes"] == "老客户"
    assert sorted(customer_service.json.loads(after["tags"])) == ["VIP", "展会"]
    assert after["owner"] == alice.id  # ownership stays with the survivor
    for cid, row in ((survivor["id"], after), (loser["id"], gone)):
        assert row["server_seq"] > rows_before[cid]["server_seq"]
    moved = await _children_of(survivor["id"])
    for table, rows in children_before[loser["id"]].items():
        ids = {row["id"] for row in moved[table]}
        assert {row["id"] for row in rows} <= ids, table
    # Bob keeps seeing the customer his history now lives on.
    assert await CustomerShare.exists().where(
        (CustomerShare.customer == uuid.UUID(survivor["id"])) & (CustomerShare.user == bob.id)
    )
    view = (await alice.get(f"/api/customers/{survivor['id']}/360")).json()
    assert len(view["contacts"]) == 2 and len(view["activities"]) == 2
    actions = {row["action"] for row in view["audit"]}
    assert {"merge", "merged_into"} <= actions  # the loser's trail is part of the history
    assert await AuditLog.count().where(AuditLog.action == "merge") == 1

    undone = await manager.post(f"/api/dedup/merges/{event['id']}/undo")
    assert undone.status_code == 201, undone.text
    assert undone.json()["undone_by"] == manager.id
    for cid in (survivor["id"], loser["id"]):
        restored = await _row(cid)
        assert _without_bookkeeping(restored) == _without_bookkeeping(rows_before[cid])
        assert restored["server_seq"] > rows_before[cid]["server_seq"]
        assert await _children_of(cid) == children_before[cid]
    assert not await CustomerShare.exists().where(
        (CustomerShare.customer == uuid.UUID(survivor["id"])) & (CustomerShare.user == bob.id)
    )
    again = await manager.post(f"/api/dedup/merges/{event['id']}/undo")
    assert again.status_code == 409 and again.json()["code"] == "dedup.already_unmerged"


async def test_only_the_latest_merge_of_a_record_can_be_undone(make_user, team):
    manager = await make_user("manager", team)
    rep = await make_user("rep", team)
    a, b, c = [
        await _create(rep, name=f"宏达物流{suffix}", phone="13900139000")
        for suffix in ("有限公司", "股份有限公司", "集团有限公司")
    ]
    first = (
        await manager.post("/api/dedup/merges", json={"survivor_id": a["id"], "loser_id": b["id"]})
    ).json()
    await manager.post("/api/dedup/merges", json={"survivor_id": a["id"], "loser_id": c["id"]})
    blocked = await manager.post(f"/api/dedup/merges/{first['id']}/undo")
    assert blocked.status_code == 409 and blocked.json()["code"] == "dedup.unmerge_later_first"


async def test_merging_is_for_managers_of_the_team(make_user, team):
    rep = await make_user("rep", team)
    outsider = await make_user("manager", await _other_team())
    a = await _create(rep, name="宏达物流有限公司", phone="13900139000")
    b = await _create(rep, name="宏达物流股份有限公司", phone="13900139000")
    body = {"survivor_id": a["id"], "loser_id": b["id"]}
    assert (await rep.post("/api/dedup/merges", json=body)).status_code == 403
    assert (await outsider.post("/api/dedup/merges", json=body)).status_code == 404
    assert not (await _row(b["id"]))["deleted"]


async def _other_team() -> int:
    from server.services import accounts

    return await accounts.create_team(f"Other {uuid.uuid4().hex[:6]}")


async def test_an_edit_just_before_the_merge_is_part_of_the_merged_record(make_user, team, engine):
    rep = await make_user("rep", team)
    a = await _create(rep, name="星辰科技有限公司", phone="13800138000", region="北京")
    b = await _create(rep, name="星辰科技股份有限公司", phone="13800138000")
    await rep.patch(f"/api/customers/{b['id']}", json={"phone": "13811112222", "notes": "新号码"})
    request = MergeRequest(uuid.UUID(a["id"]), uuid.UUID(b["id"]), "manual")
    await merge_customers(engine, None, request)
    merged = await _row(a["id"])
    assert merged["phone"] == "+8613811112222" and merged["notes"] == "新号码"


async def test_an_edit_sent_to_the_merged_away_record_lands_on_the_survivor(
    make_user, team, engine
):
    rep = await make_user("rep", team)
    a = await _create(rep, name="星辰科技有限公司", phone="13800138000")
    b = await _create(rep, name="星辰科技股份有限公司", phone="13800138000")
    await merge_customers(
        engine, None, MergeRequest(uuid.UUID(a["id"]), uuid.UUID(b["id"]), "auto")
    )
    late = await rep.patch(f"/api/customers/{b['id']}", json={"notes": "离线时写的备注"})
    assert late.status_code == 200, late.text
    assert late.json()["id"] == a["id"]
    assert (await _row(a["id"]))["notes"] == "离线时写的备注"


async def test_an_edit_racing_the_merge_is_not_lost(make_user, team, engine):
    rep = await make_user("rep", team)
    actor = Actor(rep.id, "rep", team)
    checks = await customer_service.load_checks("CN")
    for attempt in range(5):
        a = await _create(rep, name=f"星辰科技{attempt}号有限公司", phone=f"1380013800{attempt}")
        b = await _create(
            rep, name=f"星辰科技{attempt}号股份有限公司", phone=f"1380013800{attempt}"
        )
        note = f"并发编辑 {attempt}"
        request = MergeRequest(uuid.UUID(a["id"]), uuid.UUID(b["id"]), "manual")
        edit = customer_service.update_customer(
            engine, actor, uuid.UUID(a["id"]), {"notes": note}, checks
        )
        await asyncio.gather(merge_customers(engine, None, request), edit)
        assert (await _row(a["id"]))["notes"] == note
        assert (await _row(b["id"]))["merged_into"] == uuid.UUID(a["id"])


async def test_an_edit_of_the_loser_racing_the_merge_ends_on_the_survivor(make_user, team, engine):
    rep = await make_user("rep", team)
    actor = Actor(rep.id, "rep", team)
    checks = await customer_service.load_checks("CN")
    for attempt in range(5):
        phone = f"1390013900{attempt}"
        a = await _create(rep, name=f"宏达{attempt}号物流有限公司", phone=phone)
        b = await _create(rep, name=f"宏达{attempt}号物流股份有限公司", phone=phone)
        note = f"离线备注 {attempt}"
        request = MergeRequest(uuid.UUID(a["id"]), uuid.UUID(b["id"]), "manual")
        edit = customer_service.update_customer(
            engine, actor, uuid.UUID(b["id"]), {"notes": note}, checks
        )
        await asyncio.gather(edit, merge_customers(engine, None, request))
        assert (await _row(a["id"]))["notes"] == note


async def test_nightly_merge_skips_a_pair_an_edit_made_different(make_user, team, engine):
    rep = await make_user("rep", team)
    a = await _create(rep, name="星辰科技有限公司", phone="13800138000", region="北京")
    b = await _create(rep, name="星辰科技股份有限公司", phone="13800138000", region="北京")
    await rep.patch(
        f"/api/customers/{b['id']}",
        json={"name": "宏达物流有限公司", "phone": "13900139000", "confirm_duplicate": True},
    )
    request = MergeRequest(uuid.UUID(a["id"]), uuid.UUID(b["id"]), "auto", min_score=97.0)
    assert await merge_customers(engine, None, request) is None
    assert await MergeEvent.count() == 0
