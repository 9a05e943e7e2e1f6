"""Contacts, follow-ups and activities over REST (devices use /sync for the same writes)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from server.api.auth import current_actor
from server.api.state import Ctx
from server.db.tables import User
from server.domain.schedule import local_day_bounds
from server.services import records
from server.services.customers import load_checks

Body = JSONBody[dict[str, Any]]


async def _write(
    request: Request, ctx: Ctx, entity: str, record_id: str | None, data: dict
) -> dict:
    checks = await load_checks(ctx.settings.default_phone_region)
    return await records.write(ctx.engine, current_actor(request), entity, record_id, data, checks)


async def _delete(request: Request, ctx: Ctx, entity: str, record_id: str) -> None:
    checks = await load_checks(ctx.settings.default_phone_region)
    await records.delete(ctx.engine, current_actor(request), entity, record_id, checks)


class ContactController(Controller):
    path = "/api/contacts"
    tags = ["contacts"]

    @post("/")
    async def create(self, request: Request, ctx: Ctx, data: Body) -> dict[str, Any]:
        return await _write(request, ctx, "contact", None, data)

    @patch("/{contact_id:str}")
    async def update(
        self, request: Request, ctx: Ctx, contact_id: FromPath[str], data: Body
    ) -> dict[str, Any]:
        return await _write(request, ctx, "contact", contact_id, data)

    @delete("/{contact_id:str}")
    async def remove(self, request: Request, ctx: Ctx, contact_id: FromPath[str]) -> None:
        await _delete(request, ctx, "contact", contact_id)


class FollowUpController(Controller):
    path = "/api/follow-ups"
    tags = ["follow-ups"]

    @get("/")
    async def list_open(
        self,
        request: Request,
        due: Annotated[str, QueryParameter(pattern="^(overdue|today|upcoming|all)$")] = "all",
    ) -> list[dict[str, Any]]:
        """Open follow-ups; `due` is judged in the user's own time zone."""
        actor = current_actor(request)
        user = await User.select(User.timezone).where(User.id == actor.id).first()
        start, end = local_day_bounds(dt.datetime.now(dt.UTC), user["timezone"])
        return await records.follow_ups(actor, due, start, end)

    @post("/")
    async def create(self, request: Request, ctx: Ctx, data: Body) -> dict[str, Any]:
        return await _write(request, ctx, "follow_up", None, data)

    @patch("/{follow_up_id:str}")
    async def update(
        self, request: Request, ctx: Ctx, follow_up_id: FromPath[str], data: Body
    ) -> dict[str, Any]:
        """E.g. {"done_at": "2026-11-23T10:00:00+08:00"} marks it done."""
        return await _write(request, ctx, "follow_up", follow_up_id, data)

    @delete("/{follow_up_id:str}")
    async def remove(self, request: Request, ctx: Ctx, follow_up_id: FromPath[str]) -> None:
        await _delete(request, ctx, "follow_up", follow_up_id)


class ActivityController(Controller):
    path = "/api/activities"
    tags = ["activities"]

    @post("/")
    async def log(self, request: Request, ctx: Ctx, data: Body) -> dict[str, Any]:
        """Log a visit, call, meeting, email or note. Activities are append-only."""
        return await _write(request, ctx, "activity", None, data)
