"""Web push: the VAPID public key (public) and the signed-in user's device subscriptions."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, JSONBody

from server.api.auth import current_actor
from server.api.state import Ctx
from server.notify.webpush_sender import PushSubscriptionInfo
from server.services import push_subscriptions as service


class SubscriptionKeys(msgspec.Struct, forbid_unknown_fields=True):
    p256dh: str
    auth: str


class SubscriptionIn(msgspec.Struct, forbid_unknown_fields=True):
    """PushSubscription.toJSON() as the browser gives it, plus an optional device name."""

    endpoint: str
    keys: SubscriptionKeys
    expiration_time: float | None = msgspec.field(default=None, name="expirationTime")
    device_label: str | None = None


class UnsubscribeIn(msgspec.Struct, forbid_unknown_fields=True):
    endpoint: str


class PushController(Controller):
    path = "/api/push"
    tags = ["push"]

    @get("/public-key", exclude_from_auth=True)
    async def public_key(self, ctx: Ctx) -> dict[str, str]:
        return {"public_key": service.public_key(ctx.settings)}

    @get("/subscriptions")
    async def list_subscriptions(self, request: Request) -> list[dict[str, Any]]:
        return await service.list_for(current_actor(request))

    @post("/subscriptions")
    async def subscribe(
        self, request: Request, ctx: Ctx, data: JSONBody[SubscriptionIn]
    ) -> dict[str, Any]:
        subscription = PushSubscriptionInfo(data.endpoint, data.keys.p256dh, data.keys.auth)
        return await service.subscribe(
            current_actor(request),
            subscription,
            data.device_label,
            allow_http=ctx.settings.push_allow_http,
        )

    @delete("/subscriptions", status_code=204)
    async def unsubscribe(self, request: Request, data: JSONBody[UnsubscribeIn]) -> None:
        await service.unsubscribe(current_actor(request), endpoint=data.endpoint)

    @delete("/subscriptions/{subscription_id:int}", status_code=204)
    async def unsubscribe_by_id(self, request: Request, subscription_id: FromPath[int]) -> None:
        await service.unsubscribe(current_actor(request), id=subscription_id)
