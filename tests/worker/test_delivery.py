"""Pushes through the real local push service: decrypted payloads, VAPID, 404/410, retries,
quiet hours, and one push per occurrence whatever runs twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from server.db.reminder_tables import PushSubscription, ReminderOccurrence
from server.db.tables import Notification
from server.jobs import tasks
from server.notify.webpush_sender import push_topic
from server.services import reminder_delivery
from server.services.reminder_delivery import claim, deliver_occurrence
from tests.worker import factory
from tests.worker.conftest import START


async def _due_customer(rep_id: int, **values) -> None:
    """An A customer last contacted 4 days ago: one cadence reminder due now."""
    await factory.customer(
        rep_id,
        grade="A",
        created_at=START - dt.timedelta(days=30),
        last_contact_at=START - dt.timedelta(days=4),
        **values,
    )


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


async def _occurrence() -> dict:
    [row] = await ReminderOccurrence.select()
    return row


async def test_push_arrives_decrypted_with_valid_vapid_and_the_occurrence_as_tag(
    ctx, device, push_service, worker_settings
):
    rep = await factory.person(locale="zh-CN")
    phone = await device(rep.id)
    await _due_customer(rep.id, tags=["年采购额约 200 万"])
    await tasks.scan_reminders(ctx)
    [push] = push_service.received(phone)
    payload = push.json()
    occurrence = await _occurrence()
    assert payload["title"] == "该联系华东机电了"
    assert "要点：年采购额约 200 万" in payload["body"]
    assert payload["tag"] == occurrence["occurrence_key"]
    assert push.headers["topic"] == push_topic(occurrence["occurrence_key"])
    assert push.claims["aud"] == push_service.origin
    assert push.claims["sub"] == worker_settings.vapid_subject
    assert occurrence["state"] == "sent"
    [note] = await Notification.select(Notification.pushed_at, Notification.read_at)
    assert note == {"pushed_at": START, "read_at": None}
    [sub] = await PushSubscription.select(PushSubscription.last_success_at)
    assert sub["last_success_at"] == START


async def test_every_device_of_the_recipient_gets_it_once(ctx, device, push_service):
    rep = await factory.person()
    other = await factory.person()
    phone, laptop, not_mine = await device(rep.id), await device(rep.id), await device(other.id)
    await _due_customer(rep.id)
    for _ in range(3):
        await tasks.scan_reminders(ctx)
        await tasks.dispatch_pushes(ctx)
    assert (len(push_service.received(phone)), len(push_service.received(laptop))) == (1, 1)
    assert push_service.received(not_mine) == []


async def test_gone_subscriptions_are_removed(ctx, device, push_service):
    rep = await factory.person()
    revoked, kept = await device(rep.id), await device(rep.id)
    push_service.unsubscribe(revoked)  # → 410
    expired = await device(rep.id)
    push_service.fail_next(expired, 404)
    await _due_customer(rep.id)
    await tasks.scan_reminders(ctx)
    endpoints = {r["endpoint"] for r in await PushSubscription.select(PushSubscription.endpoint)}
    assert endpoints == {kept.endpoint}
    assert len(push_service.received(kept)) == 1
    assert (await _occurrence())["state"] == "sent"


async def test_server_errors_are_retried_with_backoff(ctx, device, push_service):
    rep = await factory.person()
    phone = await device(rep.id)
    push_service.fail_next(phone, 500, times=2)
    await _due_customer(rep.id)
    await tasks.scan_reminders(ctx)
    assert push_service.attempts(phone) == 3
    assert len(push_service.received(phone)) == 1
    delays = ctx["delivery"].sleep.delays
    assert len(delays) == 2 and delays[1] > delays[0] / 2  # doubling, with jitter


async def test_a_long_outage_moves_the_push_later_and_finally_gives_up(
    ctx, clock, device, push_service
):
    rep = await factory.person()
    phone = await device(rep.id)
    push_service.fail_next(phone, 503, times=100)
    await _due_customer(rep.id)
    await tasks.scan_reminders(ctx)
    first = await _occurrence()
    assert (first["state"], first["attempts"], first["claimed_at"]) == ("pending", 1, None)
    assert first["deliver_at"] == START + dt.timedelta(minutes=1)
    assert (await tasks.dispatch_pushes(ctx))["dispatched"] == 0  # not before its retry time
    for _ in range(reminder_delivery.MAX_ATTEMPTS):
        clock.advance(hours=2)
        await tasks.dispatch_pushes(ctx)
    last = await _occurrence()
    assert (last["state"], last["attempts"]) == ("failed", reminder_delivery.MAX_ATTEMPTS)
    assert push_service.received(phone) == []
    assert await Notification.count() == 1  # the in-app list still has it


async def test_a_device_that_got_it_is_not_sent_it_again_on_retry(ctx, clock, device, push_service):
    rep = await factory.person()
    good, flaky = await device(rep.id), await device(rep.id)
    push_service.fail_next(flaky, 500, times=3)  # outlasts one job's quick retries
    await _due_customer(rep.id)
    await tasks.scan_reminders(ctx)
    assert (await _occurrence())["state"] == "pending"
    clock.advance(minutes=2)
    await tasks.dispatch_pushes(ctx)
    assert (await _occurrence())["state"] == "sent"
    assert (len(push_service.received(good)), len(push_service.received(flaky))) == (1, 1)


async def test_without_devices_the_reminder_is_only_in_app(ctx):
    rep = await factory.person()
    await _due_customer(rep.id)
    await tasks.scan_reminders(ctx)
    assert (await _occurrence())["state"] == "sent"
    [note] = await Notification.select(Notification.pushed_at)
    assert note["pushed_at"] is None


async def test_quiet_hours_defer_the_push_not_the_in_app_notification(
    ctx, clock, device, push_service
):
    # 23:30 in New York is 04:30 UTC; the rep's quiet hours end at 07:30 local.
    clock.now = dt.datetime(2025, 3, 11, 3, 30, tzinfo=dt.UTC)
    rep = await factory.person(timezone="America/New_York", quiet=("22:00", "07:30"))
    phone = await device(rep.id)
    await _due_customer(rep.id)
    await tasks.scan_reminders(ctx)
    assert await Notification.count() == 1
    occurrence = await _occurrence()
    assert occurrence["deliver_at"] == dt.datetime(2025, 3, 11, 11, 30, tzinfo=dt.UTC)
    clock.advance(hours=7, minutes=59)
    await tasks.dispatch_pushes(ctx)
    assert push_service.received(phone) == []
    clock.advance(minutes=1)
    await tasks.dispatch_pushes(ctx)
    await tasks.dispatch_pushes(ctx)
    assert len(push_service.received(phone)) == 1


async def test_two_jobs_racing_for_one_occurrence_push_once(ctx, device, push_service):
    rep = await factory.person()
    phone = await device(rep.id)
    await _due_customer(rep.id)
    ctx_without_push = {**ctx, "push_queue": _NoQueue()}
    await tasks.scan_reminders(ctx_without_push)  # stored, queued nowhere
    occurrence_id = (await _occurrence())["id"]
    reports = await asyncio.gather(
        *(deliver_occurrence(occurrence_id, ctx["delivery"]) for _ in range(4))
    )
    assert sorted(r.status for r in reports) == ["sent", "skipped", "skipped", "skipped"]
    assert len(push_service.received(phone)) == 1


async def test_a_crashed_claim_is_taken_over_after_the_lease(ctx, clock, device, push_service):
    rep = await factory.person()
    phone = await device(rep.id)
    await _due_customer(rep.id)
    await tasks.scan_reminders({**ctx, "push_queue": _NoQueue()})
    lease = ctx["delivery"].lease
    assert await claim((await _occurrence())["id"], clock(), lease)  # …and then the job died
    clock.advance(seconds=lease.total_seconds() - 1)
    assert (await tasks.dispatch_pushes(ctx))["dispatched"] == 0
    clock.advance(seconds=1)
    assert (await tasks.dispatch_pushes(ctx))["dispatched"] == 1
    assert len(push_service.received(phone)) == 1
    assert (await _occurrence())["attempts"] == 2


class _NoQueue:
    """A queue that loses every job, as a crash right after storing would."""

    async def enqueue(self, occurrence_id: int, attempts: int, not_before: dt.datetime) -> None:
        return None


async def test_a_job_that_outlived_its_lease_does_not_overwrite_its_successor(
    ctx, clock, device, push_service
):
    rep = await factory.person()
    phone = await device(rep.id)
    await _due_customer(rep.id)
    await tasks.scan_reminders({**ctx, "push_queue": _NoQueue()})
    occurrence_id = (await _occurrence())["id"]
    push_service.hold("before")
    try:
        stuck = asyncio.create_task(deliver_occurrence(occurrence_id, ctx["delivery"]))
        assert await asyncio.to_thread(push_service.holding.wait, 10)
        push_service.mode = None  # later requests go through; the stuck one stays stuck
        clock.advance(seconds=ctx["delivery"].lease.total_seconds())
        successor = await deliver_occurrence(occurrence_id, ctx["delivery"])
        assert successor.status == "sent"
        push_service.fail_next(phone, 503, times=10)  # the stuck job will end up "retry"
    finally:
        push_service.release()
    assert (await stuck).status == "retry"
    row = await _occurrence()
    assert (row["state"], row["attempts"], row["claimed_at"]) == ("sent", 2, None)
    assert row["deliver_at"] == START  # not moved to the stuck job's retry time
    assert _json(row["delivered_to"]) != []  # the successor's record, not the stuck job's
