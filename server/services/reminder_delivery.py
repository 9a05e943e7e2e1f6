"""Pushing stored reminder occurrences to the recipient's devices, each exactly once.

An occurrence is a reminder (or escalation) or, without a `reminder`, the push of a notification
made by notifications.notify() (assignments, stale-lead releases, merges…); both go this way.

1. claim:  UPDATE … SET claimed_at = now, attempts = attempts + 1 WHERE state = 'pending' AND
           the lease of any earlier claim has run out — only one job can hold an occurrence.
2. send:   to every subscription of the recipient not yet delivered to, with the occurrence
           key as notification `tag` and (hashed) as the push `Topic`.
3. record: state 'sent' (or a retry time for the devices that answered "later"), the
           notification's pushed_at, the devices delivered to.

A crash before 3 leaves the claim to expire; the dispatcher then hands the occurrence to a
new job, which sends again only to devices not recorded as delivered. If the crash came after
a push service accepted the message, that device gets it a second time, with the same tag
and Topic, so the browser replaces the first notification instead of showing two.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from server.db.reminder_tables import PushSubscription, ReminderOccurrence
from server.db.tables import Notification
from server.domain.reminders import reminder_push_payload
from server.notify.webpush_sender import (
    DEFAULT_RETRY_POLICY,
    Delivered,
    DeliveryOutcome,
    Gone,
    PushSubscriptionInfo,
    Rejected,
    RetryLater,
    RetryPolicy,
    WebPushSender,
    push_topic,
    send_with_retry,
)
from server.services.notifications import load_push_payload
from server.services.reminder_store import reminder_from_json

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # jobs per occurrence before it is given up (the in-app notification stays)
RETRY_BASE = dt.timedelta(minutes=1)  # between jobs; doubles per attempt, after send_with_retry
RETRY_CAP = dt.timedelta(hours=1)
DISPATCH_LIMIT = 5000  # occurrences handed out per dispatcher run
INLINE_CONCURRENCY = 16  # occurrences pushed at once when there is no job queue


class PushQueue(Protocol):
    """Where push jobs go: the arq queue in production; absent in the embedded mode."""

    async def enqueue(self, occurrence_id: int, attempts: int, not_before: dt.datetime) -> None: ...


@dataclass
class DeliveryDeps:
    sender: WebPushSender
    clock: Callable[[], dt.datetime]
    lease: dt.timedelta = dt.timedelta(minutes=5)
    retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep


@dataclass
class DeliveryReport:
    occurrence_id: int
    status: str  # sent | retry | failed | skipped
    attempts: int = 0
    delivered: int = 0
    removed: int = 0  # subscriptions answered 404/410
    rejected: int = 0
    retry_at: dt.datetime | None = None
    outcomes: list[DeliveryOutcome] = field(default_factory=list)
    finished_at: dt.datetime | None = None


# ---- claiming --------------------------------------------------------------------------------


async def claim(occurrence_id: int, now: dt.datetime, lease: dt.timedelta) -> dict[str, Any] | None:
    """The occurrence if this caller may push it now; None if done, not due or held by another."""
    occ = ReminderOccurrence
    rows = await (
        occ.update({occ.claimed_at: now, occ.attempts: occ.attempts + 1})
        .where(
            occ.id == occurrence_id,
            occ.state == "pending",
            occ.deliver_at <= now,
            occ.claimed_at.is_null() | (occ.claimed_at <= now - lease),
        )
        .returning(
            occ.id,
            occ.occurrence_key,
            occ.recipient,
            occ.reminder,
            occ.notification_id,
            occ.attempts,
            occ.delivered_to,
            occ.claimed_at,
        )
    )
    return rows[0] if rows else None


def _json_list(value: Any) -> list[int]:
    return [int(v) for v in (json.loads(value) if isinstance(value, str) else value or [])]


async def _subscriptions(user_id: int, exclude: list[int]) -> list[dict[str, Any]]:
    """The user's devices not delivered to yet, each with the user's locale (one query)."""
    query = PushSubscription.select(
        PushSubscription.id,
        PushSubscription.endpoint,
        PushSubscription.p256dh,
        PushSubscription.auth,
        PushSubscription.user.locale.as_alias("locale"),
    ).where(PushSubscription.user == user_id)
    if exclude:
        query = query.where(PushSubscription.id.not_in(exclude))
    return await query


# ---- sending -----------------------------------------------------------------------------------


async def _send_to(
    subscription: dict[str, Any], payload: dict[str, Any], topic: str, deps: DeliveryDeps
) -> DeliveryOutcome:
    target = PushSubscriptionInfo(
        subscription["endpoint"], subscription["p256dh"], subscription["auth"]
    )
    return await send_with_retry(
        lambda: deps.sender.send(target, payload, topic=topic),
        deps.retry_policy,
        sleep=deps.sleep,
    )


def retry_delay(attempts: int, outcomes: list[DeliveryOutcome]) -> dt.timedelta:
    """Doubling per attempt, capped; a longer Retry-After from the service wins."""
    delay = min(RETRY_CAP, RETRY_BASE * 2 ** max(0, attempts - 1))
    asked = [o.retry_after for o in outcomes if isinstance(o, RetryLater) and o.retry_after]
    return max([delay, *(dt.timedelta(seconds=s) for s in asked)])


@dataclass(frozen=True)
class _Outcomes:
    delivered: list[int]  # subscription ids
    gone: list[int]
    rejected: int
    retry: bool


def _sort_outcomes(
    subscriptions: list[dict[str, Any]], outcomes: list[DeliveryOutcome]
) -> _Outcomes:
    pairs = list(zip(subscriptions, outcomes, strict=True))
    for subscription, outcome in pairs:
        if isinstance(outcome, Rejected):
            log.warning("push to subscription %s rejected: %s", subscription["id"], outcome.reason)
    return _Outcomes(
        delivered=[s["id"] for s, o in pairs if isinstance(o, Delivered)],
        gone=[s["id"] for s, o in pairs if isinstance(o, Gone)],
        rejected=sum(isinstance(o, Rejected) for o in outcomes),
        retry=any(isinstance(o, RetryLater) for o in outcomes),
    )


async def _save(
    row: dict[str, Any], delivered_to: list[int], sorted_: _Outcomes, report: DeliveryReport
) -> None:
    """Everything the push changed, in one transaction (one commit, not five)."""
    now = report.finished_at
    occ = ReminderOccurrence
    changes: dict[Any, Any] = {occ.claimed_at: None, occ.delivered_to: json.dumps(delivered_to)}
    if report.status == "retry":
        changes[occ.deliver_at] = report.retry_at
    else:
        changes[occ.state] = report.status
    if report.status == "sent":
        changes[occ.sent_at] = now
    async with occ._meta.db.transaction():
        # Fenced by our claim: a job that outlived its lease must not undo its successor's work.
        saved = await (
            occ.update(changes)
            .where(occ.id == row["id"], occ.claimed_at == row["claimed_at"])
            .returning(occ.id)
        )
        if not saved:
            log.warning("occurrence %s was taken over while pushing; not recorded", row["id"])
            return
        if sorted_.delivered:
            await PushSubscription.update({PushSubscription.last_success_at: now}).where(
                PushSubscription.id.is_in(sorted_.delivered)
            )
        if sorted_.gone:
            await PushSubscription.delete().where(PushSubscription.id.is_in(sorted_.gone))
        if report.status == "sent" and delivered_to and row["notification_id"]:
            await Notification.update({Notification.pushed_at: now}).where(
                Notification.id == row["notification_id"], Notification.pushed_at.is_null()
            )


async def _payload(row: dict[str, Any], locale: str) -> dict[str, Any] | None:
    """A reminder is rendered now, in the recipient's language; a notify() occurrence (no
    reminder) sends its in-app notification's text, already in that language."""
    if row["reminder"] is not None:
        return reminder_push_payload(reminder_from_json(row["reminder"]), locale)
    if row["notification_id"] is None:
        return None
    return await load_push_payload(row["notification_id"], row["occurrence_key"])


async def _push(
    row: dict[str, Any], subscriptions: list[dict[str, Any]], deps: DeliveryDeps
) -> list[DeliveryOutcome]:
    if not subscriptions:
        return []
    payload = await _payload(row, subscriptions[0]["locale"] or "zh-CN")
    if payload is None:
        log.warning("occurrence %s: its notification is gone; nothing to push", row["id"])
        return [Rejected(None, "nothing to push") for _ in subscriptions]
    topic = push_topic(row["occurrence_key"])
    return list(await asyncio.gather(*(_send_to(s, payload, topic, deps) for s in subscriptions)))


async def deliver_occurrence(occurrence_id: int, deps: DeliveryDeps) -> DeliveryReport:
    """Claims, pushes and records one occurrence; never raises for delivery problems."""
    now = deps.clock()
    row = await claim(occurrence_id, now, deps.lease)
    if row is None:
        return DeliveryReport(occurrence_id, "skipped")
    already = _json_list(row["delivered_to"])
    subscriptions = await _subscriptions(row["recipient"], already)
    outcomes = await _push(row, subscriptions, deps)
    sorted_ = _sort_outcomes(subscriptions, outcomes)
    report = DeliveryReport(
        occurrence_id,
        "sent",
        attempts=row["attempts"],
        delivered=len(sorted_.delivered),
        removed=len(sorted_.gone),
        rejected=sorted_.rejected,
        outcomes=outcomes,
        finished_at=deps.clock(),
    )
    if sorted_.retry:
        if row["attempts"] >= MAX_ATTEMPTS:
            report.status = "failed"
        else:
            report.status = "retry"
            report.retry_at = now + retry_delay(row["attempts"], outcomes)
    await _save(row, already + sorted_.delivered, sorted_, report)
    return report


# ---- handing out -------------------------------------------------------------------------------


async def due_occurrences(
    now: dt.datetime, lease: dt.timedelta, limit: int = DISPATCH_LIMIT
) -> list[dict[str, Any]]:
    """Pending, due, and not held by a live claim: lost jobs and crashed workers end up here."""
    occ = ReminderOccurrence
    return (
        await occ.select(occ.id, occ.attempts, occ.deliver_at)
        .where(
            occ.state == "pending",
            occ.deliver_at <= now,
            occ.claimed_at.is_null() | (occ.claimed_at <= now - lease),
        )
        .order_by(occ.deliver_at)
        .limit(limit)
    )


async def deliver_inline(occurrence_ids: list[int], deps: DeliveryDeps) -> list[DeliveryReport]:
    """The embedded mode's push job: a few occurrences at a time in this process."""
    gate = asyncio.Semaphore(INLINE_CONCURRENCY)

    async def one(occurrence_id: int) -> DeliveryReport:
        async with gate:
            return await deliver_occurrence(occurrence_id, deps)

    return list(await asyncio.gather(*(one(i) for i in occurrence_ids)))


async def dispatch_due(
    now: dt.datetime, lease: dt.timedelta, queue: PushQueue | None, deps: DeliveryDeps
) -> int:
    """Queues (or, without a queue, pushes) every due occurrence; returns how many."""
    due = await due_occurrences(now, lease)
    if queue is None:
        await deliver_inline([row["id"] for row in due], deps)
    else:
        await enqueue_all(queue, [(row["id"], row["attempts"], row["deliver_at"]) for row in due])
    return len(due)


async def enqueue_all(
    queue: PushQueue, jobs: list[tuple[int, int, dt.datetime]], concurrency: int = 64
) -> None:
    """(occurrence id, attempts, not before) → push jobs, a few Redis round trips at a time."""
    for start in range(0, len(jobs), concurrency):
        chunk = jobs[start : start + concurrency]
        await asyncio.gather(*(queue.enqueue(*job) for job in chunk))
