"""Exactly once across crashes: a real `fieldcrm worker` process killed mid-push, and a Redis
restarted mid-job. What the user sees (notifications on the device, in-app rows) must not
double; at the push-service level, a crash after the service accepted a message and before
the worker recorded it is resent with the same Topic and tag, which the device collapses."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.config import Settings
from server.db.reminder_tables import ReminderOccurrence
from server.db.tables import Notification
from server.jobs import tasks
from server.worker import ArqPushQueue
from tests.worker import factory
from tests.worker.conftest import REDIS_URL, START
from tests.worker.holding_push_service import HoldingPushService
from tests.worker.own_redis import OwnRedis
from tests.worker.worker_process import WorkerProcess, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.redis]

LEASE_SECONDS = 1  # so the restarted worker may take over the dead one's claim quickly
WAIT_SECONDS = 60


@pytest.fixture
def workers(worker_settings: Settings, tmp_path: Path) -> Iterator:
    started: list[WorkerProcess] = []

    def start(redis_url: str = REDIS_URL) -> WorkerProcess:
        worker = WorkerProcess(
            worker_settings,
            redis_url,
            tmp_path / "worker.log",
            FIELDCRM_PUSH_LEASE_SECONDS=str(LEASE_SECONDS),
            # The real clock is far past the test's dates: with no cadence, the worker's own
            # scans find nothing new to add to what the test set up.
            FIELDCRM_REMINDER_CADENCE="",
        )
        started.append(worker.start())
        return worker

    yield start
    for worker in started:
        worker.kill()


@pytest.fixture
def holding(push_service: HoldingPushService) -> Iterator[HoldingPushService]:
    yield push_service
    push_service.release()


async def _one_follow_up_reminder(ctx, device) -> tuple:
    rep = await factory.person()
    phone = await device(rep.id)
    customer = await factory.customer(
        rep.id, created_at=START, last_contact_at=START - dt.timedelta(days=1)
    )
    await factory.follow_up(customer, START)
    assert (await tasks.scan_reminders(ctx))["new"] == 1
    return rep, phone


async def _occurrence() -> dict:
    [row] = await ReminderOccurrence.select()
    return row


async def _is_sent() -> bool:
    return (await _occurrence())["state"] == "sent"


async def _wait_for_hold(service: HoldingPushService, worker: WorkerProcess) -> None:
    if not await asyncio.to_thread(service.holding.wait, WAIT_SECONDS):
        raise AssertionError(f"the worker never pushed; its log:\n{worker.log()}")


async def test_killed_before_the_push_service_accepted_sends_once(
    queued_ctx, device, holding, workers
):
    _, phone = await _one_follow_up_reminder(queued_ctx, device)
    holding.hold("before")
    first = workers()
    await _wait_for_hold(holding, first)
    first.kill()
    holding.release()
    claimed = await _occurrence()
    assert (claimed["state"], claimed["attempts"]) == ("pending", 1)
    await asyncio.sleep(LEASE_SECONDS + 0.2)
    second = workers()  # its dispatcher hands the abandoned claim to a new job
    await wait_until(_is_sent, WAIT_SECONDS, "the takeover", second)
    assert len(holding.received(phone)) == 1
    assert (await _occurrence())["attempts"] == 2
    assert await Notification.count() == 1


async def test_killed_after_the_service_accepted_resends_with_the_same_tag_and_topic(
    queued_ctx, device, holding, workers
):
    _, phone = await _one_follow_up_reminder(queued_ctx, device)
    holding.hold("after")
    first = workers()
    await _wait_for_hold(holding, first)
    first.kill()  # accepted by the push service, never recorded as delivered
    holding.release()
    await asyncio.sleep(LEASE_SECONDS + 0.2)
    second = workers()
    await wait_until(_is_sent, WAIT_SECONDS, "the takeover", second)
    pushes = holding.received(phone)
    assert len(pushes) == 2  # the honest cost of a crash in that window …
    assert len({p.json()["tag"] for p in pushes}) == 1  # … which the browser shows once
    assert len({p.headers["topic"] for p in pushes}) == 1
    assert await Notification.count() == 1


async def test_redis_restarted_mid_job_sends_once(
    queued_ctx, device, holding, workers, worker_settings
):
    if not OwnRedis.available:
        pytest.skip("redis-server is not installed")
    with OwnRedis() as own:
        from arq.connections import ArqRedis

        pool = await ArqRedis.from_url(own.url)
        ctx = {**queued_ctx, "push_queue": ArqPushQueue(pool, worker_settings.job_queue)}
        _, phone = await _one_follow_up_reminder(ctx, device)
        await pool.aclose()
        holding.hold("after")
        worker = workers(own.url)
        await _wait_for_hold(holding, worker)
        own.restart()  # the queue and the job's in-progress marker are gone
        holding.release()
        await wait_until(_is_sent, WAIT_SECONDS, "the job to record its push", worker)
        await asyncio.sleep(LEASE_SECONDS + 1.5)  # room for a (wrong) second delivery
    assert len(holding.received(phone)) == 1
