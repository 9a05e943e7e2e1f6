"""Escalation to the team's manager when a rep leaves a reminder unhandled for N hours."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from server.db.reminder_tables import ReminderOccurrence
from server.db.tables import FollowUp, Notification, Setting
from server.jobs import tasks
from server.services import accounts
from tests.worker import factory
from tests.worker.conftest import START


async def _team() -> int:
    return await accounts.create_team(f"East {uuid.uuid4().hex[:8]}")


async def _rep_with_follow_up(team: int | None, manager_locale: str = "en"):
    manager = await factory.person("manager", team, locale=manager_locale) if team else None
    rep = await factory.person("rep", team)
    customer = await factory.customer(
        rep.id, created_at=START, last_contact_at=START - dt.timedelta(days=1)
    )
    follow_up = await factory.follow_up(customer, START)
    return manager, rep, customer, follow_up


async def _titles(user_id: int) -> list[str]:
    rows = await Notification.select(Notification.title).where(Notification.user == user_id)
    return [r["title"] for r in rows]


async def _escalate_hourly(ctx, clock, hours: int) -> None:
    for _ in range(hours):
        clock.advance(hours=1)
        await tasks.escalate_reminders(ctx)


async def test_unhandled_reminder_goes_to_the_manager_after_24_hours_once(
    ctx, clock, device, push_service
):
    team = await _team()
    manager, rep, _, _ = await _rep_with_follow_up(team)
    boss_phone = await device(manager.id)
    await tasks.scan_reminders(ctx)
    await _escalate_hourly(ctx, clock, 23)
    assert await _titles(manager.id) == []
    await _escalate_hourly(ctx, clock, 5)
    assert await _titles(manager.id) == [f"Overdue: {rep.name} has not acted on 华东机电"]
    [push] = push_service.received(boss_phone)
    assert push.json()["data"]["kind"] == "escalation"
    kinds = await ReminderOccurrence.select(
        ReminderOccurrence.kind, ReminderOccurrence.escalation
    ).order_by(ReminderOccurrence.id)
    assert kinds == [
        {"kind": "follow_up", "escalation": "escalated"},
        {"kind": "escalation", "escalation": "never"},
    ]


async def test_an_activity_after_the_reminder_counts_as_acted_on(ctx, clock):
    team = await _team()
    manager, _, customer, _ = await _rep_with_follow_up(team)
    await factory.activity(customer, START - dt.timedelta(hours=1))  # before: does not count
    await tasks.scan_reminders(ctx)
    await factory.activity(customer, START + dt.timedelta(hours=20))
    await _escalate_hourly(ctx, clock, 30)
    assert await _titles(manager.id) == []
    [row] = await ReminderOccurrence.select(ReminderOccurrence.escalation)
    assert row["escalation"] == "acted"


async def test_marking_the_follow_up_done_counts_but_only_before_the_deadline(ctx, clock):
    team = await _team()
    manager, _, _, follow_up = await _rep_with_follow_up(team)
    await tasks.scan_reminders(ctx)
    await FollowUp.update({FollowUp.done_at: START + dt.timedelta(hours=25)}).where(
        FollowUp.id == follow_up
    )
    await _escalate_hourly(ctx, clock, 30)
    assert len(await _titles(manager.id)) == 1  # done, but after the 24 h deadline


async def test_the_delay_is_configurable_and_a_rep_without_manager_is_not_escalated(ctx, clock):
    await Setting.insert(Setting(key="reminders", value=json.dumps({"escalate_after_hours": 2})))
    team = await _team()
    manager, _, _, _ = await _rep_with_follow_up(team)
    _, loner, _, _ = await _rep_with_follow_up(None)
    await tasks.scan_reminders(ctx)
    await _escalate_hourly(ctx, clock, 3)
    assert len(await _titles(manager.id)) == 1
    verdicts = await ReminderOccurrence.select(ReminderOccurrence.escalation).where(
        ReminderOccurrence.recipient == loner.id
    )
    assert verdicts == [{"escalation": "no_manager"}]


async def test_long_overdue_reminders_give_the_rep_the_full_delay_first(ctx, clock):
    """First deployment or an outage: a follow-up due days ago is escalated only N hours
    after the rep was actually reminded, not at once."""
    team = await _team()
    manager, _, customer, _ = await _rep_with_follow_up(team)
    await factory.follow_up(customer, START - dt.timedelta(days=5))
    await tasks.scan_reminders(ctx)
    await _escalate_hourly(ctx, clock, 23)
    assert await _titles(manager.id) == []
    await _escalate_hourly(ctx, clock, 2)
    assert len(await _titles(manager.id)) == 2  # both follow-ups, each once
