"""The job functions. Each takes arq's `ctx` (see context.py) and returns a small summary dict
(logged by arq, asserted by tests); "now" always comes from ctx["clock"]."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from server.jobs.context import JobContext
from server.services import reminder_escalation, reminder_scan
from server.services.reminder_delivery import (
    deliver_inline,
    deliver_occurrence,
    dispatch_due,
    enqueue_all,
)
from server.services.reminder_settings import load_reminder_settings, load_stage_days
from server.services.reminder_store import StoredOccurrence

log = logging.getLogger(__name__)

Summary = dict[str, Any]


async def _push_new(ctx: JobContext, stored: list[StoredOccurrence]) -> None:
    """Queue each new occurrence for its delivery time; in-process, push the due ones now
    (deferred ones are picked up by dispatch_pushes once their quiet hours end)."""
    queue = ctx.get("push_queue")
    if queue is not None:
        await enqueue_all(queue, [(s.id, 0, s.deliver_at) for s in stored])
        return
    now = ctx["clock"]()
    await deliver_inline([s.id for s in stored if s.deliver_at <= now], ctx["delivery"])


async def scan_reminders(ctx: JobContext) -> Summary:
    settings = await load_reminder_settings(ctx["settings"])
    result = await reminder_scan.scan_reminders(
        ctx["engine"], ctx["clock"](), settings, await load_stage_days()
    )
    await _push_new(ctx, result.stored)
    return {"customers": result.customers, "due": result.due, "new": len(result.stored)}


async def escalate_reminders(ctx: JobContext) -> Summary:
    settings = await load_reminder_settings(ctx["settings"])
    result = await reminder_escalation.escalate_overdue(
        ctx["engine"], ctx["clock"](), settings.escalate_after_hours
    )
    await _push_new(ctx, result.stored)
    return {"judged": result.judged, "escalated": result.escalated, "new": len(result.stored)}


async def dispatch_pushes(ctx: JobContext) -> Summary:
    """The safety net: hands out pending occurrences whose push job was lost (Redis restart),
    never queued (crash after storing) or died holding its claim (worker killed)."""
    delivery = ctx["delivery"]
    count = await dispatch_due(ctx["clock"](), delivery.lease, ctx.get("push_queue"), delivery)
    return {"dispatched": count}


async def push_reminder(ctx: JobContext, occurrence_id: int) -> Summary:
    report = await deliver_occurrence(occurrence_id, ctx["delivery"])
    queue = ctx.get("push_queue")
    if report.status == "retry" and report.retry_at and queue is not None:
        await queue.enqueue(occurrence_id, report.attempts, report.retry_at)
    return {
        "status": report.status,
        "delivered": report.delivered,
        "removed": report.removed,
        "rejected": report.rejected,
    }


# ---- nightly housekeeping, implemented by other areas -----------------------------------------


def optional_job(module: str, name: str) -> Callable[..., Awaitable[Any]] | None:
    """Imported when the job runs, so the worker starts even before that area has landed."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


async def _run_optional(ctx: JobContext, module: str, name: str) -> Summary:
    function = optional_job(module, name)
    if function is None:
        log.warning("%s.%s is not available yet; skipped", module, name)
        return {"missing": f"{module}.{name}"}
    result = await function(ctx["engine"], ctx["clock"]())
    return dict(result or {})


async def release_stale_leads(ctx: JobContext) -> Summary:
    return await _run_optional(ctx, "server.services.pool", "release_stale_leads")


async def nightly_dedup(ctx: JobContext) -> Summary:
    return await _run_optional(ctx, "server.services.dedup", "run_nightly_dedup")


async def purge_expired_tokens(ctx: JobContext) -> Summary:
    from server.services.accounts import purge_expired_tokens as purge

    return {"purged": await purge()}
