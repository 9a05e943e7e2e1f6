"""The embedded default: without REDIS_URL the web process runs the same jobs itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from litestar.testing import AsyncTestClient

from server.app import create_app
from server.config import Settings
from server.db.engine import bind_engine
from server.db.reminder_tables import ReminderOccurrence
from server.jobs.inprocess import InProcessScheduler
from server.jobs.schedule import JOBS_TIME_ZONE
from tests.worker import factory
from tests.worker.conftest import START, FrozenClock


async def test_runs_the_cron_table_on_its_clock_and_pushes_inline(
    client, engine, worker_settings, device, push_service
):
    # 10:03:30 in Shanghai: the next scan is at 10:05.
    clock = FrozenClock(dt.datetime(2025, 3, 10, 10, 3, 30, tzinfo=JOBS_TIME_ZONE))
    rep = await factory.person()
    phone = await device(rep.id)
    await factory.customer(rep.id, grade="A", created_at=START - dt.timedelta(days=10))
    scheduler = InProcessScheduler(worker_settings, engine, clock=clock)
    await scheduler.open()
    try:
        assert await scheduler.run_due() == ["inprocess:cron:dispatch_pushes"]  # at startup
        assert await scheduler.run_due() == []
        assert scheduler.seconds_until_next() == 30.0  # capped idle wait
        clock.advance(minutes=1, seconds=31)  # 10:05:01 (arq runs crons at .123456 s)
        assert await scheduler.run_due() == [
            "inprocess:cron:dispatch_pushes",
            "inprocess:cron:scan_reminders",
        ]
    finally:
        await scheduler.stop()
    assert len(push_service.received(phone)) == 1
    assert [r["state"] for r in await ReminderOccurrence.select(ReminderOccurrence.state)] == [
        "sent"
    ]


async def test_a_failing_job_is_logged_and_the_scheduler_goes_on(client, engine, worker_settings):
    scheduler = InProcessScheduler(worker_settings, engine, clock=FrozenClock())
    await scheduler.open()
    scheduler.ctx["delivery"] = None  # dispatch_pushes will fail on it
    try:
        assert await scheduler.run_due() == ["inprocess:cron:dispatch_pushes"]
    finally:
        await scheduler.stop()


async def test_the_app_starts_the_scheduler_only_without_redis(engine, tmp_path: Path):
    embedded = Settings(data_dir=tmp_path / "embedded", database_url="", redis_url="")
    with_redis = replace(embedded, data_dir=tmp_path / "redis", redis_url="redis://unused:1/0")
    try:
        async with AsyncTestClient(create_app(embedded)) as http:
            scheduler = http.app.state.scheduler
            assert scheduler is not None and scheduler.running
        assert not scheduler.running
        async with AsyncTestClient(create_app(with_redis)) as http:
            assert http.app.state.scheduler is None
    finally:
        bind_engine(engine)  # the apps bound the tables to their own databases
