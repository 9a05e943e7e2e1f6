"""Web-push subscriptions of the signed-in user's devices, and the server's VAPID public key."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from server.config import Settings
from server.db.reminder_tables import PushSubscription
from server.domain.access import Actor
from server.domain.errors import NotFound
from server.domain.push_subscriptions import check_subscription
from server.notify.vapid import load_or_create_vapid_keys
from server.notify.webpush_sender import PushSubscriptionInfo

PUBLIC_COLUMNS = (
    PushSubscription.id,
    PushSubscription.endpoint,
    PushSubscription.device_label,
    PushSubscription.created_at,
    PushSubscription.last_success_at,
)


@cache
def _application_server_key(data_dir: Path, configured_key: str) -> str:
    return load_or_create_vapid_keys(data_dir, configured_key).application_server_key


def public_key(settings: Settings) -> str:
    """What the PWA passes to pushManager.subscribe() as applicationServerKey."""
    return _application_server_key(settings.data_dir, settings.vapid_private_key)


async def list_for(actor: Actor) -> list[dict[str, Any]]:
    return (
        await PushSubscription.select(*PUBLIC_COLUMNS)
        .where(PushSubscription.user == actor.id)
        .order_by(PushSubscription.id)
    )


async def subscribe(
    actor: Actor,
    subscription: PushSubscriptionInfo,
    device_label: str | None,
    allow_http: bool = False,
) -> dict[str, Any]:
    """Stores the device's subscription for this user. An endpoint belongs to one browser
    profile, so re-subscribing it (after a key change, or another user signing in on the
    same phone) updates the one row instead of adding a second."""
    check_subscription(subscription, device_label, allow_http)
    values = {
        PushSubscription.user: actor.id,
        PushSubscription.p256dh: subscription.p256dh,
        PushSubscription.auth: subscription.auth,
        PushSubscription.device_label: device_label,
    }
    existing = await PushSubscription.select(PushSubscription.id).where(
        PushSubscription.endpoint == subscription.endpoint
    )
    if existing:
        await PushSubscription.update(values).where(PushSubscription.id == existing[0]["id"])
    else:
        await PushSubscription.insert(
            PushSubscription(
                endpoint=subscription.endpoint,
                created_at=dt.datetime.now(dt.UTC),
                **{column._meta.name: value for column, value in values.items()},
            )
        ).on_conflict(target=PushSubscription.endpoint, action="DO NOTHING")
    row = (
        await PushSubscription.select(*PUBLIC_COLUMNS)
        .where(PushSubscription.endpoint == subscription.endpoint)
        .first()
    )
    if row is None:  # deleted by a concurrent unsubscribe
        raise NotFound("push_subscription")
    return row


async def unsubscribe(actor: Actor, *, endpoint: str | None = None, id: int | None = None) -> None:
    """Removes one of the user's own subscriptions; someone else's is answered NotFound."""
    query = PushSubscription.delete().where(PushSubscription.user == actor.id)
    if endpoint is not None:
        query = query.where(PushSubscription.endpoint == endpoint)
    if id is not None:
        query = query.where(PushSubscription.id == id)
    if not await query.returning(PushSubscription.id):
        raise NotFound("push_subscription")
