"""When each job runs. One table feeds both the arq worker's cron jobs and the in-process
scheduler (which computes next runs with arq's own CronJob), so the two cannot drift apart.

Times are wall-clock times in JOBS_TIME_ZONE, so "nightly" means night for the sales teams.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from arq.cron import CronJob, cron

from server.domain.schedule import DEFAULT_TIME_ZONE
from server.jobs import tasks

JOBS_TIME_ZONE = ZoneInfo(DEFAULT_TIME_ZONE)

JobFunction = Callable[..., Coroutine[Any, Any, Any]]


@dataclass(frozen=True)
class ScheduledJob:
    function: JobFunction
    minute: set[int] | int
    hour: set[int] | int | None = None  # None: every hour
    timeout_seconds: int = 300
    run_at_startup: bool = False

    @property
    def name(self) -> str:
        return self.function.__name__


EVERY_MINUTE = set(range(60))

SCHEDULE: tuple[ScheduledJob, ...] = (
    # Recovery first: a restarted worker re-queues what a crash or a Redis restart lost.
    ScheduledJob(tasks.dispatch_pushes, EVERY_MINUTE, timeout_seconds=120, run_at_startup=True),
    ScheduledJob(tasks.scan_reminders, set(range(0, 60, 5)), timeout_seconds=600),
    # Offset from the scan so the two do not start together.
    ScheduledJob(tasks.escalate_reminders, {2, 17, 32, 47}, timeout_seconds=300),
    ScheduledJob(tasks.release_stale_leads, 0, hour=2, timeout_seconds=1800),
    ScheduledJob(tasks.nightly_dedup, 30, hour=2, timeout_seconds=3600),
    ScheduledJob(tasks.purge_expired_tokens, 0, hour=4, timeout_seconds=300),
)


def cron_jobs(prefix: str) -> list[CronJob]:
    """Fresh arq CronJobs (they carry their next run time, so each scheduler needs its own).

    `prefix` (the queue name) goes into the names, because arq derives a cron run's job id
    from the name: two deployments sharing one Redis would otherwise swallow each other's runs.
    """
    return [
        cron(
            job.function,
            name=f"{prefix}:cron:{job.name}",
            minute=job.minute,
            hour=job.hour,
            timeout=job.timeout_seconds,
            run_at_startup=job.run_at_startup,
        )
        for job in SCHEDULE
    ]
