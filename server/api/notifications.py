"""The signed-in user's in-app notifications."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody

from server.api.auth import current_actor
from server.services import notifications


class MarkRead(msgspec.Struct, forbid_unknown_fields=True):
    ids: list[int] | None = None  # omitted → mark all read


class NotificationController(Controller):
    path = "/api/notifications"
    tags = ["notifications"]

    @get("/")
    async def list_notifications(
        self, request: Request, unread_only: FromQuery[bool] = False
    ) -> list[dict[str, Any]]:
        return await notifications.list_for(current_actor(request), unread_only)

    @post("/read")
    async def mark_read(self, request: Request, data: JSONBody[MarkRead]) -> dict[str, int]:
        return {"marked": await notifications.mark_read(current_actor(request), data.ids)}
