"""In-app notifications: the list every user sees, and the hand-off point for web push.

`notify` writes the rows (idempotently, when given a dedup key); the worker's push job
picks up rows with `pushed_at IS NULL` and delivers them to the user's devices.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from server.db.tables import Notification, User
from server.domain.access import Actor
from server.i18n import translate


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _locales(user_ids: Iterable[int]) -> dict[int, str]:
    rows = await User.select(User.id, User.locale).where(User.id.is_in(list(user_ids)))
    return {r["id"]: r["locale"] for r in rows}


async def notify(
    user_ids: Iterable[int],
    kind: str,
    message_code: str,
    params: dict[str, Any] | None = None,
    link: str | None = None,
    dedup_key: str | None = None,
) -> int:
    """Create one notification per user, text rendered in each user's own language.
    With `dedup_key`, a second call for the same user and key adds nothing. Returns rows added."""
    recipients = sorted(set(user_ids))
    if not recipients:
        return 0
    locales = await _locales(recipients)
    added = 0
    for user_id in recipients:
        key = f"{dedup_key}:{user_id}" if dedup_key else None
        if key and await Notification.exists().where(Notification.dedup_key == key):
            continue
        lang = locales.get(user_id, "zh-CN")
        await Notification(
            user=user_id,
            kind=kind,
            title=translate(f"{message_code}.title", lang, params),
            body=translate(f"{message_code}.body", lang, params),
            link=link,
            data=json.dumps({"code": message_code, "params": params or {}}, ensure_ascii=False),
            dedup_key=key,
        ).save()
        added += 1
    return added


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
