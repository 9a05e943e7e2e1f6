"""In-app notifications made by notify() (here: a new owner assigned by the rules) are pushed
through the reminders' pipeline: through the real local push service, in the recipient's
language, after their quiet hours, once, and never instead of the in-app row.

notify() stamps its rows with the real time, so these tests set the job clock to it."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from server.db.engine import write_transaction
from server.db.reminder_tables import PushSubscription, ReminderOccurrence
from server.db.tables import Notification, User
from server.jobs import tasks
from server.jobs.inprocess import InProcessScheduler
from server.notify.webpush_sender import push_topic
from server.services.notifications import notify
from tests.assignment.conftest import add_rule
from tests.worker import factory
from tests.worker.conftest import FrozenClock
from tests.worker.test_arq import burst_worker, run_burst

ZONE = "America/New_York"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _quiet(inside: bool) -> tuple[str, str]:
    """Quiet hours (in ZONE) that contain this moment, or that are hours away from it."""
    local = _utcnow().astimezone(ZoneInfo(ZONE))
    start, end = (-1, 2) if inside else (3, 4)
    return tuple(  # type: ignore[return-value]
        (local + dt.timedelta(hours=h)).strftime("%H:%M") for h in (start, end)
    )


async def _rep(team: int, locale: str = "zh-CN", quiet_now: bool = False) -> factory.Person:
    return await factory.person(
        team_id=team, locale=locale, timezone=ZONE, quiet=_quiet(inside=quiet_now)
    )


async def _assign_a_lead_to(rep_id: int, manager) -> str:
    """The manager's new lead goes to the rep by a direct rule (issue 7): notify() runs in the
    web request, inside the assignment's transaction."""
    await add_rule(
        manager,
        name="广东直派",
        strategy="direct",
        user_id=rep_id,
        conditions={"regions": ["广东"]},
    )
    response = await manager.post(
        "/api/customers",
        json={"name": "深圳湾科技有限公司", "phone": "13912345678", "region": "深圳市"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["owner_id"] == rep_id
    return response.json()["id"]


async def _occurrences() -> list[dict]:
    return await ReminderOccurrence.select().order_by(ReminderOccurrence.id)


@pytest.fixture
async def manager(make_user, team):
    return await make_user("manager", team)


async def test_the_new_owner_gets_the_assignment_pushed_in_their_language(
    ctx, clock, device, push_service, manager, team
):
    rep = await _rep(team, locale="zh-CN")
    phone = await device(rep.id)
    customer_id = await _assign_a_lead_to(rep.id, manager)
    assert push_service.received(phone) == []  # stored, not sent, by the request
    [note] = await Notification.select().where(Notification.user == rep.id)
    [occurrence] = await _occurrences()
    assert occurrence["notification_id"] == note["id"]
    assert (occurrence["recipient"], occurrence["kind"], occurrence["state"]) == (
        rep.id,
        "assignment",
        "pending",
    )
    assert occurrence["reminder"] is None and occurrence["customer_id"] is None
    clock.now = _utcnow()
    assert (await tasks.dispatch_pushes(ctx))["dispatched"] == 1
    [push] = push_service.received(phone)
    assert push.json() == {
        "title": "新客户已分配给您",
        "body": "深圳湾科技有限公司（分配规则：广东直派）",
        "tag": occurrence["occurrence_key"],
        "data": {"link": f"/customers/{customer_id}", "kind": "assignment"},
    }
    assert push.headers["topic"] == push_topic(occurrence["occurrence_key"])
    assert push.claims["aud"] == push_service.origin
    [occurrence] = await _occurrences()
    assert occurrence["state"] == "sent"
    [note] = await Notification.select(Notification.pushed_at, Notification.read_at).where(
        Notification.user == rep.id
    )
    assert note == {"pushed_at": clock.now, "read_at": None}


async def test_an_english_speaking_owner_gets_it_in_english(
    ctx, clock, device, push_service, manager, team
):
    rep = await _rep(team, locale="en")
    phone = await device(rep.id)
    await _assign_a_lead_to(rep.id, manager)
    clock.now = _utcnow()
    await tasks.dispatch_pushes(ctx)
    [push] = push_service.received(phone)
    assert push.json()["title"] == "New customer assigned to you"
    assert push.json()["body"] == "深圳湾科技有限公司 (rule: 广东直派)"


async def test_quiet_hours_defer_the_push_not_the_in_app_notification(
    ctx, clock, device, push_service, manager, team
):
    rep = await _rep(team, quiet_now=True)
    phone = await device(rep.id)
    await _assign_a_lead_to(rep.id, manager)
    assert await Notification.count().where(Notification.user == rep.id) == 1
    [occurrence] = await _occurrences()
    deliver_at = occurrence["deliver_at"]
    quiet_end = (await User.select(User.quiet_end).where(User.id == rep.id))[0]["quiet_end"]
    assert deliver_at.astimezone(ZoneInfo(ZONE)).strftime("%H:%M") == quiet_end
    clock.now = _utcnow()
    assert deliver_at - clock.now > dt.timedelta(hours=1)
    await tasks.dispatch_pushes(ctx)
    clock.now = deliver_at - dt.timedelta(seconds=1)
    await tasks.dispatch_pushes(ctx)
    assert push_service.received(phone) == []
    clock.now = deliver_at
    await tasks.dispatch_pushes(ctx)
    await tasks.dispatch_pushes(ctx)
    assert len(push_service.received(phone)) == 1


async def test_pushed_exactly_once_whatever_runs_again(
    ctx, clock, device, push_service, manager, team
):
    rep = await _rep(team)
    phone, laptop = await device(rep.id), await device(rep.id)
    await _assign_a_lead_to(rep.id, manager)
    clock.now = _utcnow()
    await asyncio.gather(*(tasks.dispatch_pushes(ctx) for _ in range(3)))  # racing dispatchers
    for _ in range(3):
        clock.advance(hours=1)  # well past any lease
        await tasks.dispatch_pushes(ctx)
        await tasks.scan_reminders(ctx)
        await tasks.escalate_reminders(ctx)  # never judges a notification's push
    assert (len(push_service.received(phone)), len(push_service.received(laptop))) == (1, 1)
    [occurrence] = await _occurrences()
    assert (occurrence["state"], occurrence["attempts"], occurrence["escalation"]) == (
        "sent",
        1,
        "never",
    )


async def test_without_devices_the_owner_still_gets_the_in_app_notification(
    ctx, clock, manager, team
):
    rep = await _rep(team, locale="en")
    customer_id = await _assign_a_lead_to(rep.id, manager)
    clock.now = _utcnow()
    await tasks.dispatch_pushes(ctx)
    [note] = await Notification.select().where(Notification.user == rep.id)
    assert (note["kind"], note["title"], note["link"]) == (
        "assignment",
        "New customer assigned to you",
        f"/customers/{customer_id}",
    )
    assert note["pushed_at"] is None and note["read_at"] is None
    assert [o["state"] for o in await _occurrences()] == ["sent"]


async def test_gone_subscriptions_are_removed_and_failures_retried(
    ctx, clock, device, push_service, manager, team
):
    rep = await _rep(team)
    revoked, flaky = await device(rep.id), await device(rep.id)
    push_service.unsubscribe(revoked)  # → 410
    push_service.fail_next(flaky, 503, times=3)  # outlasts one job's quick retries
    await _assign_a_lead_to(rep.id, manager)
    clock.now = _utcnow()
    await tasks.dispatch_pushes(ctx)
    endpoints = [r["endpoint"] for r in await PushSubscription.select(PushSubscription.endpoint)]
    assert endpoints == [flaky.endpoint]
    [occurrence] = await _occurrences()
    assert occurrence["state"] == "pending" and occurrence["deliver_at"] > clock.now
    clock.now = occurrence["deliver_at"]
    await tasks.dispatch_pushes(ctx)
    assert len(push_service.received(flaky)) == 1
    assert (await _occurrences())[0]["state"] == "sent"


async def test_a_repeated_notify_with_a_dedup_key_pushes_once_and_inactive_users_never(
    ctx, clock, device, push_service, team
):
    rep, gone = await _rep(team, locale="en"), await _rep(team, locale="en")
    phone, old_phone = await device(rep.id), await device(gone.id)
    await User.update({User.active: False}).where(User.id == gone.id)
    for _ in range(2):
        await notify(
            [rep.id, gone.id],
            "assignment",
            "assignment.assigned_many",
            {"count": 3},
            "/customers",
            dedup_key="batch-1",
        )
    assert await Notification.count() == 2  # the inactive user's list keeps it
    assert [o["recipient"] for o in await _occurrences()] == [rep.id]
    clock.now = _utcnow()
    await tasks.dispatch_pushes(ctx)
    [push] = push_service.received(phone)
    assert push.json()["title"] == "3 new customers assigned to you"
    assert push.json()["data"] == {"link": "/customers", "kind": "assignment"}
    assert push_service.received(old_phone) == []


async def test_the_web_processs_own_scheduler_delivers_it(
    client, engine, worker_settings, device, push_service, manager, team
):
    """Embedded default (no REDIS_URL): the in-process dispatcher picks it up."""
    rep = await _rep(team)
    phone = await device(rep.id)
    await _assign_a_lead_to(rep.id, manager)
    scheduler = InProcessScheduler(worker_settings, engine, clock=FrozenClock(_utcnow()))
    await scheduler.open()
    try:
        assert await scheduler.run_due() == ["inprocess:cron:dispatch_pushes"]
    finally:
        await scheduler.stop()
    assert len(push_service.received(phone)) == 1


@pytest.mark.redis
async def test_the_worker_dispatches_it_to_the_queue_and_pushes_it(
    queued_ctx, clock, worker_settings, device, push_service, manager, team
):
    rep = await _rep(team)
    phone = await device(rep.id)
    await _assign_a_lead_to(rep.id, manager)
    clock.now = _utcnow()
    assert (await tasks.dispatch_pushes(queued_ctx))["dispatched"] == 1
    assert push_service.received(phone) == []  # queued, not sent
    await run_burst(burst_worker(worker_settings, queued_ctx))
    assert len(push_service.received(phone)) == 1
    assert [o["state"] for o in await _occurrences()] == ["sent"]


async def test_the_push_is_stored_in_the_callers_transaction(ctx, engine, team):
    rep = await _rep(team)

    async def notify_then_fail() -> None:
        async with write_transaction(engine):
            await notify([rep.id], "assignment", "assignment.assigned_many", {"count": 1})
            assert len(await _occurrences()) == 1
            raise RuntimeError("the assignment failed after notifying")

    with pytest.raises(RuntimeError):
        await notify_then_fail()
    assert (await Notification.count(), await ReminderOccurrence.count()) == (0, 0)
