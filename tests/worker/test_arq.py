"""The arq side against a real Redis: enqueue, run, retry, the cron table, lost queues."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from dataclasses import replace

import pytest
from arq import Worker
from arq.connections import ArqRedis

from server.config import Settings
from server.db.reminder_tables import ReminderOccurrence
from server.db.tables import AuthToken
from server.jobs import tasks
from server.jobs.context import JobContext
from server.jobs.schedule import JOBS_TIME_ZONE, cron_jobs
from server.services import accounts
from server.worker import ArqPushQueue, create_worker, worker_options
from tests.worker import factory
from tests.worker.conftest import REDIS_URL, START, delete_queue_keys
from tests.worker.own_redis import OwnRedis

pytestmark = pytest.mark.redis

BURST_LIMIT_SECONDS = 30


def burst_worker(settings: Settings, ctx: JobContext, redis_url: str = REDIS_URL) -> Worker:
    """arq's real Worker in burst mode (stops when the queue is empty), on the test's
    engine and clock instead of the production startup."""

    async def startup(worker_ctx: dict) -> None:
        worker_ctx.update(
            {**ctx, "push_queue": ArqPushQueue(worker_ctx["redis"], settings.job_queue)}
        )

    return create_worker(
        replace(settings, redis_url=redis_url),
        burst=True,
        handle_signals=False,
        on_startup=startup,
        on_shutdown=None,
        poll_delay=0.05,
    )


async def run_burst(worker: Worker) -> None:
    try:
        await asyncio.wait_for(worker.main(), BURST_LIMIT_SECONDS)
    finally:
        await worker.close()


async def _due_customers(rep_id: int, count: int) -> None:
    for _ in range(count):
        await factory.customer(rep_id, grade="A", created_at=START - dt.timedelta(days=10))


async def _states() -> list[str]:
    rows = await ReminderOccurrence.select(ReminderOccurrence.state)
    return sorted(r["state"] for r in rows)


async def test_scan_enqueues_one_job_per_occurrence_and_the_worker_pushes(
    queued_ctx, arq_redis: ArqRedis, worker_settings, device, push_service
):
    rep = await factory.person()
    phone = await device(rep.id)
    await _due_customers(rep.id, 3)
    assert (await tasks.scan_reminders(queued_ctx))["new"] == 3
    assert (await tasks.scan_reminders(queued_ctx))["new"] == 0
    queued = sorted(j.decode() for j in await arq_redis.zrange(worker_settings.job_queue, 0, -1))
    ids = sorted(r["id"] for r in await ReminderOccurrence.select(ReminderOccurrence.id))
    assert queued == sorted(f"{worker_settings.job_queue}:push:{i}:0" for i in ids)
    assert push_service.received(phone) == []  # nothing sent by the scan itself
    await run_burst(burst_worker(worker_settings, queued_ctx))
    assert len(push_service.received(phone)) == 3
    assert await _states() == ["sent"] * 3


async def test_a_deferred_push_is_queued_for_the_end_of_quiet_hours(
    queued_ctx, clock, arq_redis: ArqRedis, worker_settings
):
    # 23:00 in Shanghai on a day ahead of the real clock, so arq really defers the job.
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).date()
    clock.now = dt.datetime.combine(day, dt.time(15, 0), dt.UTC)
    rep = await factory.person()
    await _due_customers(rep.id, 1)
    await tasks.scan_reminders(queued_ctx)
    [(_, score)] = await arq_redis.zrange(worker_settings.job_queue, 0, -1, withscores=True)
    quiet_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), dt.UTC)  # 08:00
    assert score == quiet_end.timestamp() * 1000


async def test_a_failed_push_is_retried_by_a_later_job(
    queued_ctx, clock, arq_redis: ArqRedis, worker_settings, device, push_service
):
    rep = await factory.person()
    phone = await device(rep.id)
    push_service.fail_next(phone, 500, times=3)  # more than one job's quick retries
    await _due_customers(rep.id, 1)
    await tasks.scan_reminders(queued_ctx)
    await run_burst(burst_worker(worker_settings, queued_ctx))
    [row] = await ReminderOccurrence.select()
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert row["deliver_at"] == START + dt.timedelta(minutes=1)
    clock.advance(minutes=1)
    await run_burst(burst_worker(worker_settings, queued_ctx))  # the dispatcher re-queues it
    assert len(push_service.received(phone)) == 1
    assert await _states() == ["sent"]


async def test_a_redis_restart_loses_the_queue_but_not_a_reminder(
    queued_ctx, worker_settings, device, push_service
):
    if not OwnRedis.available:
        pytest.skip("redis-server is not installed")
    rep = await factory.person()
    phone = await device(rep.id)
    await _due_customers(rep.id, 4)
    with OwnRedis() as own:
        pool = await ArqRedis.from_url(own.url)
        ctx = {**queued_ctx, "push_queue": ArqPushQueue(pool, worker_settings.job_queue)}
        await tasks.scan_reminders(ctx)
        assert await pool.zcard(worker_settings.job_queue) == 4
        await pool.aclose()
        own.restart()
        await run_burst(burst_worker(worker_settings, queued_ctx, own.url))
    assert len(push_service.received(phone)) == 4
    assert await _states() == ["sent"] * 4


# ---- the schedule ------------------------------------------------------------------------------


def _next_run(name: str, after: dt.datetime) -> dt.datetime:
    [job] = [j for j in cron_jobs("q") if j.name == f"q:cron:{name}"]
    job.calculate_next(after.astimezone(JOBS_TIME_ZONE))
    return job.next_run.replace(microsecond=0)


def _local(hour: int, minute: int, day: int = 10) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=JOBS_TIME_ZONE)


def test_cron_table_has_the_expected_times():
    assert {j.name: (j.hour, j.minute, j.run_at_startup) for j in cron_jobs("q")} == {
        "q:cron:dispatch_pushes": (None, set(range(60)), True),
        "q:cron:scan_reminders": (None, set(range(0, 60, 5)), False),
        "q:cron:escalate_reminders": (None, {2, 17, 32, 47}, False),
        "q:cron:release_stale_leads": (2, 0, False),
        "q:cron:nightly_dedup": (2, 30, False),
        "q:cron:purge_expired_tokens": (4, 0, False),
    }
    assert _next_run("scan_reminders", _local(10, 1)) == _local(10, 5)
    assert _next_run("escalate_reminders", _local(10, 20)) == _local(10, 32)
    assert _next_run("release_stale_leads", _local(10, 0)) == _local(2, 0, day=11)
    assert _next_run("nightly_dedup", _local(2, 10)) == _local(2, 30)
    assert _next_run("purge_expired_tokens", _local(3, 0)) == _local(4, 0)


def test_worker_runs_the_cron_table_in_the_teams_time_zone(worker_settings):
    options = worker_options(replace(worker_settings, redis_url=REDIS_URL))
    assert options["timezone"] is JOBS_TIME_ZONE
    assert options["queue_name"] == worker_settings.job_queue
    assert [f.name for f in options["cron_jobs"]] == [
        j.name for j in cron_jobs(worker_settings.job_queue)
    ]
    assert options["redis_settings"].database == int(REDIS_URL.rsplit("/", 1)[1])


# ---- nightly jobs, run directly with the injected clock ------------------------------------------


async def test_nightly_jobs_call_the_other_areas_with_engine_and_now(ctx, monkeypatch):
    calls = []

    async def release_stale_leads(engine, now):
        calls.append((engine, now))
        return {"released": 2}

    module = type(sys)("fake_pool")
    module.release_stale_leads = release_stale_leads
    monkeypatch.setitem(sys.modules, "server.services.pool", module)
    assert await tasks.release_stale_leads(ctx) == {"released": 2}
    assert calls == [(ctx["engine"], START)]


async def test_the_real_nightly_jobs_run_on_the_job_context(ctx):
    assert "missing" not in await tasks.release_stale_leads(ctx)
    assert "missing" not in await tasks.nightly_dedup(ctx)


async def test_a_missing_nightly_job_is_skipped_not_fatal(ctx, monkeypatch):
    monkeypatch.setitem(sys.modules, "server.services.dedup", None)  # import → ImportError
    assert await tasks.nightly_dedup(ctx) == {"missing": "server.services.dedup.run_nightly_dedup"}


async def test_expired_tokens_are_purged(ctx):
    rep = await factory.person()
    await accounts.issue_token(rep.id, ttl_hours=1)
    await AuthToken.insert(
        AuthToken(
            token_hash="0" * 64,
            user=rep.id,
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
        )
    )
    assert await tasks.purge_expired_tokens(ctx) == {"purged": 1}
    assert await AuthToken.count() == 1


async def test_delete_queue_keys_leaves_other_queues_alone(arq_redis: ArqRedis, worker_settings):
    other = f"{worker_settings.job_queue}-other"
    await arq_redis.enqueue_job("push_reminder", 1, _job_id=f"{other}:push:1:0", _queue_name=other)
    await delete_queue_keys(REDIS_URL, worker_settings.job_queue)
    assert await arq_redis.zcard(other) == 1
    await delete_queue_keys(REDIS_URL, other)
    assert await arq_redis.zcard(other) == 0
