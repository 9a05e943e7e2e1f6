"""Stale-lead cleanup with time travel: `now` is injected, as the nightly job does."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from server.db.sync_tables import SyncRemoval
from server.db.tables import Activity, AuditLog, Customer, Deal, FollowUp, Notification, OwnerChange
from server.services import pool
from tests.assignment.conftest import insert_customer

TODAY = dt.datetime.now(dt.UTC)
LATER = TODAY + dt.timedelta(days=20)  # C-grade leads (14 days) are stale by then, B (30) not


@pytest.fixture
async def book(two_teams) -> dict[str, uuid.UUID]:
    """r1's customers, each kept from going stale by one thing (or by nothing)."""
    owner, team = two_teams["r1"].id, two_teams["south"]

    async def mine(name: str, **columns) -> uuid.UUID:
        return await insert_customer(name, owner=owner, team=team, created_at=TODAY, **columns)

    book = {
        "stale": await mine("无人跟进"),
        "stale_prospect": await mine("潜在客户", lifecycle="prospect"),
        "b_grade": await mine("B级", grade="B"),
        "a_never": await mine("A级", grade="A"),
        "contacted": await mine("刚联系", last_contact_at=LATER - dt.timedelta(days=2)),
        "protected": await mine("保护期内", protected_until=LATER + dt.timedelta(days=1)),
        "late_deal": await mine("方案阶段"),
        "follow_up_due": await mine("有待办"),
        "visited": await mine("刚拜访"),
        "active": await mine("成交客户", lifecycle="active"),
    }
    await Deal(
        id=uuid.uuid4(), customer=book["late_deal"], owner=owner, title="方案", stage="proposal"
    ).save()
    await FollowUp(
        id=uuid.uuid4(),
        customer=book["follow_up_due"],
        owner=owner,
        title="回访",
        due_at=LATER + dt.timedelta(days=3),
    ).save()
    await Activity(
        id=uuid.uuid4(),
        customer=book["visited"],
        author=owner,
        summary="拜访",
        occurred_at=LATER - dt.timedelta(days=1),
    ).save()
    return book


async def _owners() -> dict[uuid.UUID, int | None]:
    return {r["id"]: r["owner"] for r in await Customer.select(Customer.id, Customer.owner)}


async def test_stale_leads_go_back_to_the_pool_with_history_audit_and_one_notice(
    engine, two_teams, book
):
    r1 = two_teams["r1"]
    assert (await pool.release_stale_leads(engine, TODAY))["released"] == 0  # nothing old yet
    summary = await pool.release_stale_leads(engine, LATER)
    assert summary["released"] == 2 and summary["owners_notified"] == 1
    owners = await _owners()
    released = {key for key, cid in book.items() if owners[cid] is None}
    assert released == {"stale", "stale_prospect"}
    history = await OwnerChange.select().where(OwnerChange.customer == book["stale"])
    assert [(h["from_owner"], h["to_owner"], h["reason"], h["actor"]) for h in history] == [
        (r1.id, None, "stale", None)
    ]
    assert await AuditLog.count().where(AuditLog.action == "stale_release") == 2
    removals = await SyncRemoval.select().where(SyncRemoval.user == r1.id)
    assert {r["customer_id"] for r in removals} == {str(book["stale"]), str(book["stale_prospect"])}
    notices = await Notification.select().where(Notification.user == r1.id)
    assert [n["kind"] for n in notices] == ["stale_release"] and "2" in notices[0]["title"]
    again = await pool.release_stale_leads(engine, LATER)
    assert again["released"] == 0
    assert await Notification.count().where(Notification.user == r1.id) == 1
    much_later = await pool.release_stale_leads(engine, LATER + dt.timedelta(days=15))
    # B is stale now; protection, the visit, the contact ran out; the follow-up is overdue
    assert much_later["released"] == 5
    owners = await _owners()
    kept = {key for key, cid in book.items() if owners[cid] is not None}
    assert kept == {"a_never", "late_deal", "active"}


async def test_low_priority_or_archive_instead_and_late_deals_when_configured(
    engine, two_teams, book
):
    admin = two_teams["admin"]
    await admin.patch(
        "/api/pool/settings",
        json={"stale_action": "low_priority", "stale_include_late_deals": True},
    )
    summary = await pool.release_stale_leads(engine, LATER)
    assert summary["low_priority"] == 3 and summary["released"] == 0
    flagged = await Customer.select(Customer.id, Customer.owner).where(
        Customer.low_priority.eq(True)
    )
    assert {r["id"] for r in flagged} == {book["stale"], book["stale_prospect"], book["late_deal"]}
    assert all(r["owner"] == two_teams["r1"].id for r in flagged)
    assert (await pool.release_stale_leads(engine, LATER))["low_priority"] == 0
    await admin.patch(
        "/api/pool/settings", json={"stale_action": "archive", "stale_days": {"C": 0}}
    )
    archived = await pool.release_stale_leads(engine, LATER + dt.timedelta(days=15))
    assert archived["archived"] == 1  # only B is left to go stale; C never does now
    row = await Customer.select().where(Customer.id == book["b_grade"]).first()
    assert row["archived_at"] is not None and row["owner"] == two_teams["r1"].id
    assert await AuditLog.count().where(AuditLog.action == "stale_archive") == 1
