"""The embedded scheduler: without Redis, the web process runs the jobs itself.

It uses the same CronJob definitions as the arq worker, runs one job at a time (the scan
and the pushes share the web process's event loop, so they yield at every await), logs and
survives a failing job, and on shutdown lets a running job finish (up to a limit).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack, suppress

from arq.cron import CronJob
from piccolo.engine.base import Engine

from server.config import Settings
from server.jobs.context import JobContext, job_context, utcnow
from server.jobs.schedule import JOBS_TIME_ZONE, cron_jobs

log = logging.getLogger(__name__)

MAX_IDLE_SECONDS = 30.0  # re-check the clock at least this often (e.g. after a suspend)
STOP_GRACE_SECONDS = 30.0  # then a job still running is cancelled


class InProcessScheduler:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._clock = clock
        self._stopping = asyncio.Event()
        self._jobs: list[CronJob] = cron_jobs("inprocess")
        self._stack = AsyncExitStack()
        self._task: asyncio.Task[None] | None = None
        self.ctx: JobContext = {}

    async def open(self) -> None:
        """Builds the job context; start() also schedules the loop."""
        self.ctx = await self._stack.enter_async_context(
            job_context(self._settings, self._engine, push_queue=None, clock=self._clock)
        )

    async def start(self) -> None:
        await self.open()
        self._task = asyncio.create_task(self._loop(), name="fieldcrm-scheduler")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, STOP_GRACE_SECONDS)
            except TimeoutError:
                log.warning("a job was still running at shutdown; cancelled")
            self._task = None
        await self._stack.aclose()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _local_now(self) -> dt.datetime:
        return self._clock().astimezone(JOBS_TIME_ZONE)

    async def run_due(self) -> list[str]:
        """Runs every job whose time has come (startup jobs on the first call); returns names."""
        now = self._local_now()
        ran = []
        for job in self._jobs:
            if self._stopping.is_set():
                break
            if job.next_run is None:
                if job.run_at_startup:
                    job.next_run = now
                else:
                    job.calculate_next(now)
            if job.next_run is not None and job.next_run <= now:
                await self._run(job)
                ran.append(job.name)
                job.calculate_next(now)
        return ran

    async def _run(self, job: CronJob) -> None:
        try:
            result = await job.coroutine(self.ctx)
            log.info("job %s: %s", job.name, result)
        except Exception:
            log.exception("job %s failed", job.name)

    def seconds_until_next(self) -> float:
        now = self._local_now()
        upcoming = [job.next_run for job in self._jobs if job.next_run is not None]
        if not upcoming:
            return 0.0
        wait = (min(upcoming) - now).total_seconds()
        return min(max(wait, 0.0), MAX_IDLE_SECONDS)

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            await self.run_due()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.seconds_until_next())
