"""In-app notifications: the list every user sees, and the hand-off point for web push.

`notify` writes the rows (idempotently, when given a dedup key) and, in the same transaction,
one push occurrence per row (server/services/reminder_store.py `notification_occurrence`),
deferred past the recipient's quiet hours. The reminders' delivery pipeline pushes it
(server/services/reminder_delivery.py): the worker's or the web process's dispatcher picks it
up within a minute, exactly once, with retries, and drops subscriptions answered 404/410.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from server.db.engine import write_transaction
from server.db.tables import Notification
from server.domain.access import Actor
from server.domain.clock import utcnow
from server.i18n import translate
from server.services.reminder_store import load_recipients, notification_occurrence

PUSH_BODY_LIMIT = 400  # characters; a push body shows two or three lines, and must fit 4 KB


async def notify(
    user_ids: Iterable[int],
    kind: str,
    message_code: str,
    params: dict[str, Any] | None = None,
    link: str | None = None,
    dedup_key: str | None = None,
) -> int:
    """Create one notification per user, text rendered in each user's own language, and queue
    its web push to the user's devices (active users only).
    With `dedup_key`, a second call for the same user and key adds nothing. Returns rows added."""
    recipients = sorted(set(user_ids))
    if not recipients:
        return 0
    users = await load_recipients(recipients, include_inactive=True)
    now = utcnow()
    added = 0
    # Joins the caller's transaction if there is one: the notification and its push occurrence
    # are stored together or not at all, before anything is sent.
    async with write_transaction(Notification._meta.db):
        for user_id in recipients:
            key = f"{dedup_key}:{user_id}" if dedup_key else None
            if key and await Notification.exists().where(Notification.dedup_key == key):
                continue
            user = users.get(user_id)
            lang = user.locale if user else "zh-CN"
            [row] = await Notification.insert(
                Notification(
                    user=user_id,
                    kind=kind,
                    title=translate(f"{message_code}.title", lang, params),
                    body=translate(f"{message_code}.body", lang, params),
                    link=link,
                    data=json.dumps(
                        {"code": message_code, "params": params or {}}, ensure_ascii=False
                    ),
                    dedup_key=key,
                    created_at=now,
                )
            ).returning(Notification.id)
            if user is not None and user.active:
                await notification_occurrence(row["id"], kind, user, now).save()
            added += 1
    return added


def push_payload(notification: dict[str, Any], tag: str) -> dict[str, Any]:
    """What the PWA's service worker shows (pwa/sw.js): title, body, the occurrence key as
    tag (a repeated delivery replaces the notification), and where a tap leads."""
    body = notification["body"] or ""
    if len(body) > PUSH_BODY_LIMIT:
        body = body[: PUSH_BODY_LIMIT - 1] + "…"
    return {
        "title": notification["title"],
        "body": body,
        "tag": tag,
        "data": {"link": notification["link"], "kind": notification["kind"]},
    }


async def load_push_payload(notification_id: int, tag: str) -> dict[str, Any] | None:
    """The push of one stored notification, in the language it was written in (the
    recipient's); None if the notification is gone."""
    rows = await Notification.select(
        Notification.title, Notification.body, Notification.link, Notification.kind
    ).where(Notification.id == notification_id)
    return push_payload(rows[0], tag) if rows else None


async def list_for(
    actor: Actor, unread_only: bool = False, limit: int = 50
) -> list[dict[str, Any]]:
    query = Notification.select().where(Notification.user == actor.id)
    if unread_only:
        query = query.where(Notification.read_at.is_null())
    rows = await query.order_by(Notification.id, ascending=False).limit(limit)
    for row in rows:
        row["data"] = json.loads(row["data"]) if isinstance(row["data"], str) else row["data"]
    return rows


async def mark_read(actor: Actor, notification_ids: list[int] | None) -> int:
    """Mark the given notifications (or all when None) of this user as read."""
    query = Notification.update({Notification.read_at: utcnow()}).where(
        (Notification.user == actor.id) & Notification.read_at.is_null()
    )
    if notification_ids is not None:
        query = query.where(Notification.id.is_in(notification_ids or [-1]))
    return len(await query.returning(Notification.id))
