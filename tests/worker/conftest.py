"""Worker fixtures: a frozen clock, the job context, the real local push service, Redis."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest
import redis.asyncio as aioredis
from arq.connections import ArqRedis, RedisSettings, create_pool
from piccolo.engine.base import Engine

from server.config import Settings
from server.domain.access import Actor
from server.jobs.context import JobContext, job_context
from server.notify.webpush_sender import PushSubscriptionInfo, RetryPolicy
from server.services import push_subscriptions
from server.worker import ArqPushQueue
from tests.support.push_service import BrowserSubscription
from tests.worker.holding_push_service import HoldingPushService

# A database number of the shared Redis that other suites leave alone; every test also
# gets its own queue name, and only its own keys are deleted afterwards.
REDIS_URL = os.environ.get("FIELDCRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")

# Monday 2025-03-10 10:00 in Shanghai: working hours for the default profile.
START = dt.datetime(2025, 3, 10, 2, 0, tzinfo=dt.UTC)


class FrozenClock:
    """The job's "now"; tests move it by hand."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def worker_settings(settings: Settings) -> Settings:
    # The local push service speaks http; production settings refuse that.
    return replace(settings, push_allow_http=True, job_queue=f"fieldcrm-test:{uuid.uuid4().hex}")


@pytest.fixture(scope="module")
def push_service() -> Iterator[HoldingPushService]:
    with HoldingPushService() as service:
        yield service


@pytest.fixture
async def ctx(
    client, worker_settings: Settings, engine: Engine, clock: FrozenClock
) -> AsyncIterator[JobContext]:
    """Job context on empty tables, pushing inline (no queue), with instant retries."""
    async with job_context(worker_settings, engine, push_queue=None, clock=clock) as context:
        context["delivery"].sleep = RecordingSleep()
        context["delivery"].retry_policy = RetryPolicy(max_attempts=3, base_delay=0.01)
        yield context


@pytest.fixture
def device(push_service: HoldingPushService, worker_settings: Settings):
    """Subscribes a user's new browser, bound to the server's VAPID key, like the PWA does."""

    async def subscribe(user_id: int, label: str = "phone") -> BrowserSubscription:
        key = push_subscriptions.public_key(worker_settings)
        browser = push_service.subscribe(application_server_key=key)
        info = PushSubscriptionInfo.from_json(browser.to_json())
        actor = Actor(id=user_id, role="rep", team_id=None)
        await push_subscriptions.subscribe(actor, info, label, allow_http=True)
        return browser

    return subscribe


# ---- Redis ------------------------------------------------------------------------------------


@pytest.fixture
async def arq_redis(worker_settings: Settings) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(
        RedisSettings.from_dsn(REDIS_URL), default_queue_name=worker_settings.job_queue
    )
    yield pool
    await delete_queue_keys(REDIS_URL, worker_settings.job_queue)
    await pool.aclose()


async def delete_queue_keys(url: str, queue: str) -> None:
    """Only this test's keys: its queue, and jobs/results/retries whose ids start with it."""
    client = aioredis.from_url(url)
    try:
        keys = [queue]
        for prefix in ("arq:job:", "arq:result:", "arq:retry:", "arq:in-progress:"):
            keys += [k async for k in client.scan_iter(match=f"{prefix}{queue}:*")]
        await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
def queued_ctx(ctx: JobContext, arq_redis: ArqRedis, worker_settings: Settings) -> JobContext:
    """The same context, but pushes go to the arq queue, as in production."""
    return {**ctx, "push_queue": ArqPushQueue(arq_redis, worker_settings.job_queue)}
