"""Storing due reminders exactly once: one occurrence row plus one in-app notification each.

The occurrence row (unique `dedup_key` = occurrence key + recipient) is written in the same
transaction as the notification and before anything is pushed, so however often the scan
runs, and wherever it crashes, each occurrence exists once and is pushed from there.
`notification_occurrence` is the same record for a notification made by notifications.notify().
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from functools import cached_property
from typing import Any
from uuid import UUID

from piccolo.engine.base import Engine

from server.db.reminder_tables import ReminderOccurrence
from server.db.tables import Notification, User
from server.domain.reminders import (
    MessageRef,
    Reminder,
    ReminderContext,
    ReminderKind,
    render_reminder,
)
from server.domain.schedule import (
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    next_delivery_time,
    resolve_time_zone,
)

log = logging.getLogger(__name__)

INSERT_BATCH = 500  # rows per multi-row INSERT, well under SQLite's bound-variable limit
TITLE_LIMIT = 200  # Notification.title is a Varchar(200)
NOTIFICATION_KINDS = {ReminderKind.ESCALATION: "escalation"}  # everything else: "reminder"
NOTIFICATION_KEY_PREFIX = "notification"  # occurrence key of a notify() push: "notification:<id>"


@dataclass(frozen=True)
class Recipient:
    """What delivery needs to know about a user: language, local time, team."""

    id: int
    display_name: str
    role: str
    team_id: int | None
    locale: str
    timezone: str
    quiet_start: str
    quiet_end: str
    active: bool = True  # inactive users keep their in-app list but get no pushes

    @cached_property
    def zone(self) -> tzinfo:
        """Resolved once per scan, not once per customer."""
        return resolve_time_zone(self.timezone)

    def delivery_time(self, now: dt.datetime) -> dt.datetime:
        """`now`, or the end of the user's quiet hours if `now` falls inside them."""
        try:
            return next_delivery_time(now, self.timezone, self.quiet_start, self.quiet_end)
        except ValueError:  # an unreadable profile value must not stop the worker
            return next_delivery_time(now, self.timezone, DEFAULT_QUIET_START, DEFAULT_QUIET_END)


@dataclass(frozen=True)
class StoredOccurrence:
    id: int
    deliver_at: dt.datetime


async def load_recipients(
    user_ids: Iterable[int] | None = None, *, include_inactive: bool = False
) -> dict[int, Recipient]:
    """Every active user (a small table), so the scan never looks users up one by one; or
    just the given users (notify()), inactive ones too if asked (see `Recipient.active`)."""
    query = User.select(
        User.id,
        User.display_name,
        User.role,
        User.team,
        User.locale,
        User.timezone,
        User.quiet_start,
        User.quiet_end,
        User.active,
    )
    if not include_inactive:
        query = query.where(User.active.eq(True))
    if user_ids is not None:
        query = query.where(User.id.is_in(list(user_ids) or [-1]))
    return {
        row["id"]: Recipient(
            id=row["id"],
            display_name=row["display_name"],
            role=row["role"],
            team_id=row["team"],
            locale=row["locale"] or "zh-CN",
            timezone=row["timezone"] or "",
            quiet_start=row["quiet_start"] or DEFAULT_QUIET_START,
            quiet_end=row["quiet_end"] or DEFAULT_QUIET_END,
            active=bool(row["active"]),
        )
        for row in await query
    }


# ---- the Reminder as JSON ----------------------------------------------------------------------


def _message_json(message: MessageRef) -> dict[str, Any]:
    return {"code": message.code, "params": dict(message.params)}


def _message_from(data: Mapping[str, Any]) -> MessageRef:
    return MessageRef(data["code"], dict(data.get("params") or {}))


def reminder_to_json(reminder: Reminder) -> dict[str, Any]:
    return {
        "kind": reminder.kind.value,
        "occurrence_key": reminder.occurrence_key,
        "customer_id": str(reminder.customer_id),
        "recipient_id": reminder.recipient_id,
        "due_at": reminder.due_at.astimezone(dt.UTC).isoformat(),
        "title": _message_json(reminder.title),
        "detail": _message_json(reminder.detail),
        "context": {
            "last_activity_summary": reminder.context.last_activity_summary,
            "key_facts": list(reminder.context.key_facts),
            "next_step": _message_json(reminder.context.next_step),
        },
        "escalates": reminder.escalates,
    }


def reminder_from_json(data: Mapping[str, Any] | str) -> Reminder:
    if isinstance(data, str):
        data = json.loads(data)
    context = data["context"]
    return Reminder(
        kind=ReminderKind(data["kind"]),
        occurrence_key=data["occurrence_key"],
        customer_id=data["customer_id"],
        recipient_id=int(data["recipient_id"]),
        due_at=dt.datetime.fromisoformat(data["due_at"]),
        title=_message_from(data["title"]),
        detail=_message_from(data["detail"]),
        context=ReminderContext(
            context.get("last_activity_summary"),
            tuple(context.get("key_facts") or ()),
            _message_from(context["next_step"]),
        ),
        escalates=data.get("escalates"),
    )


# ---- storing ---------------------------------------------------------------------------------


def dedup_key(reminder: Reminder) -> str:
    """Same shape as notifications.notify(dedup_key=…): "<key>:<user id>"."""
    return f"{reminder.occurrence_key}:{reminder.recipient_id}"


def subject_id(reminder: Reminder) -> str:
    """The record an occurrence is about: occurrence keys read "<kind>:<record id>:…"."""
    key = reminder.escalates or reminder.occurrence_key
    return key.split(":")[1]


async def existing_dedup_keys(keys: Iterable[str]) -> set[str]:
    wanted = list(set(keys))
    found: set[str] = set()
    for start in range(0, len(wanted), INSERT_BATCH):
        chunk = wanted[start : start + INSERT_BATCH]
        rows = await ReminderOccurrence.select(ReminderOccurrence.dedup_key).where(
            ReminderOccurrence.dedup_key.is_in(chunk)
        )
        found.update(row["dedup_key"] for row in rows)
    return found


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _notification_row(reminder: Reminder, recipient: Recipient) -> Notification:
    title, body = render_reminder(reminder, recipient.locale)
    data = {
        "code": f"reminder.{reminder.kind.value}",
        "kind": reminder.kind.value,
        "occurrence_key": reminder.occurrence_key,
        "customer_id": str(reminder.customer_id),
        "due_at": reminder.due_at.astimezone(dt.UTC).isoformat(),
        "params": dict(reminder.title.params),
    }
    return Notification(
        user=reminder.recipient_id,
        kind=NOTIFICATION_KINDS.get(reminder.kind, "reminder"),
        title=_shorten(title, TITLE_LIMIT),
        body=body,
        link=f"/customers/{reminder.customer_id}",
        data=json.dumps(data, ensure_ascii=False),
        dedup_key=dedup_key(reminder),
        read_at=None,  # explicit: Piccolo would default these nullable columns to "now"
        pushed_at=None,
    )


def _occurrence_row(
    reminder: Reminder, notification_id: int, deliver_at: dt.datetime, now: dt.datetime
) -> ReminderOccurrence:
    return ReminderOccurrence(
        dedup_key=dedup_key(reminder),
        occurrence_key=reminder.occurrence_key,
        recipient=reminder.recipient_id,
        kind=reminder.kind.value,
        customer_id=UUID(str(reminder.customer_id)),
        subject_id=subject_id(reminder),
        due_at=reminder.due_at,
        reminder=json.dumps(reminder_to_json(reminder), ensure_ascii=False),
        notification_id=notification_id,
        state="pending",
        deliver_at=deliver_at,
        attempts=0,
        delivered_to="[]",
        # Escalations are the end of the line; others wait to be judged (services/escalation.py).
        escalation="never" if reminder.kind is ReminderKind.ESCALATION else None,
        created_at=now,  # when the rep was reminded: escalation deadlines count from here too
    )


def notification_occurrence(
    notification_id: int, kind: str, recipient: Recipient, now: dt.datetime
) -> ReminderOccurrence:
    """The push of a notify() notification: keyed by the notification, so it exists once; no
    reminder or customer behind it, and nothing to escalate. Deferred past quiet hours."""
    key = f"{NOTIFICATION_KEY_PREFIX}:{notification_id}"
    return ReminderOccurrence(
        dedup_key=f"{key}:{recipient.id}",
        occurrence_key=key,
        recipient=recipient.id,
        kind=kind,
        customer_id=None,
        subject_id=None,
        due_at=now,
        reminder=None,
        notification_id=notification_id,
        state="pending",
        deliver_at=recipient.delivery_time(now),
        attempts=0,
        claimed_at=None,
        delivered_to="[]",
        sent_at=None,
        escalation="never",
        created_at=now,
    )


async def _insert_batch(
    reminders: Sequence[Reminder], recipients: Mapping[int, Recipient], now: dt.datetime
) -> list[StoredOccurrence]:
    """Notifications first, then occurrences pointing at them; ON CONFLICT DO NOTHING makes a
    concurrent or repeated insert of the same occurrence a no-op instead of an error."""
    inserted = await (
        Notification.insert(*[_notification_row(r, recipients[r.recipient_id]) for r in reminders])
        .on_conflict(target=Notification.dedup_key, action="DO NOTHING")
        .returning(Notification.id, Notification.dedup_key)
    )
    notification_ids = {row["dedup_key"]: row["id"] for row in inserted}
    fresh = [r for r in reminders if dedup_key(r) in notification_ids]
    if not fresh:
        return []
    occurrences = [
        _occurrence_row(
            r, notification_ids[dedup_key(r)], recipients[r.recipient_id].delivery_time(now), now
        )
        for r in fresh
    ]
    rows = await (
        ReminderOccurrence.insert(*occurrences)
        .on_conflict(target=ReminderOccurrence.dedup_key, action="DO NOTHING")
        .returning(ReminderOccurrence.id, ReminderOccurrence.deliver_at)
    )
    return [StoredOccurrence(row["id"], row["deliver_at"]) for row in rows]


async def store_reminders(
    engine: Engine,
    reminders: Iterable[Reminder],
    recipients: Mapping[int, Recipient],
    now: dt.datetime,
) -> list[StoredOccurrence]:
    """Stores the occurrences not stored yet, with their notifications; returns the new ones.

    Reminders for unknown or inactive recipients are dropped: nobody could act on them.
    """
    unique = {dedup_key(r): r for r in reminders if r.recipient_id in recipients}
    known = await existing_dedup_keys(unique)
    todo = [r for key, r in unique.items() if key not in known]
    stored: list[StoredOccurrence] = []
    for start in range(0, len(todo), INSERT_BATCH):
        async with engine.transaction():
            stored += await _insert_batch(todo[start : start + INSERT_BATCH], recipients, now)
    return stored
