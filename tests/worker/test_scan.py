"""The reminder scan with time travel: one notification per occurrence, however often it runs."""

from __future__ import annotations

import datetime as dt
import json

from server.db.reminder_tables import ReminderOccurrence
from server.db.tables import Notification, Setting
from server.domain.reminders import DEFAULT_SETTINGS
from server.jobs import tasks
from server.services.reminder_scan import scan_reminders
from server.services.reminder_settings import default_stage_days
from tests.worker import factory
from tests.worker.conftest import START


async def _notifications(user_id: int) -> list[dict]:
    return await Notification.select().where(Notification.user == user_id).order_by(Notification.id)


async def _scan_times(ctx, times: int = 3) -> list[dict]:
    return [await tasks.scan_reminders(ctx) for _ in range(times)]


async def test_cadence_reminds_once_per_period(ctx, clock):
    rep = await factory.person()
    await factory.customer(
        rep.id,
        grade="A",
        created_at=START - dt.timedelta(days=30),
        last_contact_at=START - dt.timedelta(days=4),
    )
    summaries = await _scan_times(ctx)
    assert [s["new"] for s in summaries] == [1, 0, 0]
    [note] = await _notifications(rep.id)
    assert note["kind"] == "reminder"
    assert note["title"] == "Time to contact 华东机电"
    clock.advance(days=1)
    await _scan_times(ctx)
    assert len(await _notifications(rep.id)) == 1  # same period: still the same occurrence
    clock.advance(days=2)  # the next 3-day period of an ignored A customer
    await _scan_times(ctx)
    assert len(await _notifications(rep.id)) == 2


async def test_follow_up_reminds_at_its_time_and_not_when_done(ctx, clock):
    rep = await factory.person()
    customer = await factory.customer(rep.id, created_at=START)
    await factory.follow_up(customer, START + dt.timedelta(hours=2))
    await factory.follow_up(
        customer, START + dt.timedelta(hours=1), done_at=START + dt.timedelta(minutes=30)
    )
    assert (await tasks.scan_reminders(ctx))["new"] == 0
    clock.advance(hours=2)
    await _scan_times(ctx)
    [note] = await _notifications(rep.id)
    assert note["title"] == "Follow up: 回访报价"
    assert "Next: 下周报价" not in note["body"]  # no activity yet: the generic suggestion
    assert "Next: Call or visit to check in." in note["body"]


async def test_contract_expiry_once_per_contract_end(ctx, clock):
    rep = await factory.person(locale="zh-CN")
    customer = await factory.customer(rep.id, created_at=START)
    await factory.contract(customer, START.date() + dt.timedelta(days=40))
    await factory.contract(customer, START.date() + dt.timedelta(days=20), status="terminated")
    await tasks.scan_reminders(ctx)
    assert await _notifications(rep.id) == []
    clock.advance(days=11)  # 29 days left
    for _ in range(5):
        await tasks.scan_reminders(ctx)
        clock.advance(days=1)
    [note] = await _notifications(rep.id)
    assert note["title"] == "合同 HT-2025-001 将于 29 天后到期"  # the recipient's language


async def test_birthday_and_anniversary_once_each(ctx, clock):
    rep = await factory.person()
    customer = await factory.customer(rep.id, created_at=START)
    await factory.contact(customer, birthday=dt.date(1980, 3, 12), anniversary=dt.date(2015, 3, 11))
    for _ in range(4):
        await tasks.scan_reminders(ctx)
        clock.advance(hours=12)
    titles = sorted(n["title"] for n in await _notifications(rep.id))
    assert titles == ["王经理's anniversary in 1 days", "王经理's birthday in 2 days"]
    kinds = await ReminderOccurrence.select(ReminderOccurrence.kind)
    assert sorted(k["kind"] for k in kinds) == ["anniversary", "birthday"]


async def test_stage_overdue_once_per_stay_and_not_for_closed_deals(ctx, clock):
    rep = await factory.person()
    customer = await factory.customer(
        rep.id,
        created_at=START - dt.timedelta(days=60),
        last_contact_at=START - dt.timedelta(days=1),
    )
    await factory.deal(customer, "lead", START - dt.timedelta(days=8))  # lead: 7 days
    await factory.deal(customer, "proposal", START - dt.timedelta(days=3))  # within 14 days
    await factory.deal(customer, "negotiation", START - dt.timedelta(days=40), closed_at=START)
    await factory.activity(customer, START - dt.timedelta(days=1), "电话沟通需求")
    await _scan_times(ctx)
    [note] = await _notifications(rep.id)
    assert note["title"] == "二期扩容 has been in lead for 8 days"
    assert "Last: 电话沟通需求" in note["body"]  # context: the last activity
    assert "Next: Qualify the lead and make first contact." in note["body"]


async def test_scan_reads_customers_in_batches(client, engine, clock):
    rep = await factory.person()
    for _ in range(5):
        await factory.customer(rep.id, grade="A", created_at=START - dt.timedelta(days=10))
    stage_days = default_stage_days()
    result = await scan_reminders(engine, clock(), DEFAULT_SETTINGS, stage_days, batch_size=2)
    assert (result.customers, result.due, len(result.stored)) == (5, 5, 5)
    again = await scan_reminders(engine, clock(), DEFAULT_SETTINGS, stage_days, batch_size=2)
    assert (again.due, len(again.stored)) == (5, 0)


async def test_cadence_comes_from_the_setting_table(ctx):
    rep = await factory.person()
    await factory.customer(rep.id, grade="C", created_at=START - dt.timedelta(days=10))
    assert (await tasks.scan_reminders(ctx))["new"] == 0  # C: monthly by default
    await Setting.insert(Setting(key="reminders", value=json.dumps({"cadence_days": {"C": 7}})))
    assert (await tasks.scan_reminders(ctx))["new"] == 1


async def test_pool_customers_and_inactive_reps_get_no_reminders(ctx):
    from server.db.tables import User

    gone = await factory.person()
    await User.update({User.active: False}).where(User.id == gone.id)
    await factory.customer(None, grade="A", created_at=START - dt.timedelta(days=10))
    await factory.customer(gone.id, grade="A", created_at=START - dt.timedelta(days=10))
    assert (await tasks.scan_reminders(ctx))["new"] == 0


async def test_every_reminder_is_in_the_in_app_list(ctx, make_user):
    rep = await make_user("rep")
    await factory.customer(rep.id, grade="A", created_at=START - dt.timedelta(days=10))
    await tasks.scan_reminders(ctx)
    listed = (await rep.get("/api/notifications")).json()
    assert [n["kind"] for n in listed] == ["reminder"]
    assert listed[0]["data"]["kind"] == "cadence"
    assert listed[0]["link"].startswith("/customers/")
