"""The arq worker (`fieldcrm worker`, or `arq server.worker.WorkerSettings`): runs the job
functions of server/jobs on Redis, with the cron schedule of server/jobs/schedule.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from contextlib import AsyncExitStack
from typing import Any

from arq import Worker
from arq.connections import ArqRedis, RedisSettings
from arq.worker import func
from piccolo.engine.base import Engine

from server.config import Settings, get_settings
from server.db.engine import bind_engine, make_engine, start_engine, stop_engine
from server.db.migrate import migrate
from server.jobs import tasks
from server.jobs.context import job_context
from server.jobs.schedule import JOBS_TIME_ZONE, cron_jobs

log = logging.getLogger(__name__)

PUSH_JOB_TIMEOUT = 120  # seconds; keep below FIELDCRM_PUSH_LEASE_SECONDS
MIGRATE_ATTEMPTS = 5  # the web process may be migrating the same database right now


class ArqPushQueue:
    """PushQueue on arq. The job id names the occurrence and its attempt count, so a repeated
    enqueue of the same attempt is a no-op, while a takeover after a crash gets a new job."""

    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self._redis = redis
        self._queue_name = queue_name

    def job_id(self, occurrence_id: int, attempts: int) -> str:
        return f"{self._queue_name}:push:{occurrence_id}:{attempts}"

    async def enqueue(self, occurrence_id: int, attempts: int, not_before: dt.datetime) -> None:
        # arq derives the job's expiry from the deferral; a time in the past would make it
        # negative, and "now" is what it means anyway.
        defer = not_before if not_before > dt.datetime.now(dt.UTC) else None
        await self._redis.enqueue_job(
            tasks.push_reminder.__name__,
            occurrence_id,
            _job_id=self.job_id(occurrence_id, attempts),
            _queue_name=self._queue_name,
            _defer_until=defer,
        )


async def _migrate_with_retry(engine: Engine) -> None:
    for attempt in range(1, MIGRATE_ATTEMPTS + 1):
        try:
            await migrate(engine)
            return
        except Exception:
            if attempt == MIGRATE_ATTEMPTS:
                raise
            log.warning("migration attempt %d failed; retrying", attempt, exc_info=True)
            await asyncio.sleep(attempt)


def _startup(settings: Settings):
    async def startup(ctx: dict[str, Any]) -> None:
        engine = make_engine(settings)
        bind_engine(engine)
        await start_engine(engine)
        await _migrate_with_retry(engine)
        stack = AsyncExitStack()
        queue = ArqPushQueue(ctx["redis"], settings.job_queue)
        ctx.update(await stack.enter_async_context(job_context(settings, engine, queue)))
        ctx["exit_stack"] = stack

    return startup


async def _shutdown(ctx: dict[str, Any]) -> None:
    if "exit_stack" in ctx:
        await ctx["exit_stack"].aclose()
    if "engine" in ctx:
        await stop_engine(ctx["engine"])


def worker_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of arq's Worker for these settings."""
    return {
        # keep_result=0 frees the job id at once, so the dispatcher can re-queue an occurrence
        # whose job ran early (clock skew) or was skipped; the database keeps the outcome.
        "functions": [
            func(tasks.push_reminder, timeout=PUSH_JOB_TIMEOUT, max_tries=3, keep_result=0)
        ],
        "cron_jobs": cron_jobs(settings.job_queue),
        "queue_name": settings.job_queue,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "on_startup": _startup(settings),
        "on_shutdown": _shutdown,
        "timezone": JOBS_TIME_ZONE,
        "keep_result": 3600,
        "max_jobs": 20,
    }


def create_worker(settings: Settings, **overrides: Any) -> Worker:
    return Worker(**{**worker_options(settings), **overrides})


def run_worker(settings: Settings) -> None:
    """Blocks until SIGINT/SIGTERM; arq finishes or re-queues the running jobs."""
    create_worker(settings).run()


def _worker_settings() -> dict[str, Any]:
    settings = get_settings()
    return worker_options(settings) if settings.redis_url else {}


# For arq's own command line (`arq server.worker.WorkerSettings`); needs REDIS_URL.
WorkerSettings: dict[str, Any] = _worker_settings()
