"""Public pool routes: browse and claim unowned leads, release your own, pool settings."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from msgspec import UNSET, UnsetType

from server.api.auth import current_actor, managers_only
from server.api.schemas import Page, customer_out
from server.api.state import Ctx, request_language
from server.domain.regions import region_name
from server.services import customers, pool


class ReleaseRequest(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(max_length=150)] | None = None


class PoolSettingsWrite(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    claim_daily_limit: int | UnsetType = UNSET
    claim_total_limit: int | UnsetType = UNSET
    protection_days: int | UnsetType = UNSET
    stale_days: dict[str, int] | UnsetType = UNSET  # {"A": 60, "B": 30, "C": 14}; 0 = never
    stale_action: str | UnsetType = UNSET  # release | low_priority | archive
    stale_lifecycles: list[str] | UnsetType = UNSET
    stale_include_late_deals: bool | UnsetType = UNSET


def _item_out(row: dict[str, Any], lang: str) -> dict[str, Any]:
    code = row.pop("region_code")
    return {
        **row,
        "region": code,
        "region_name": region_name(code, lang) if code else None,
        "team_id": row.pop("team"),
    }


class PoolController(Controller):
    path = "/api/pool"
    tags = ["public pool"]

    @get("/")
    async def list_pool(
        self,
        request: Request,
        q: FromQuery[str | None] = None,
        region: FromQuery[str | None] = None,
        industry: FromQuery[str | None] = None,
        grade: FromQuery[str | None] = None,
        page: Annotated[int, QueryParameter(ge=1)] = 1,
        per_page: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> Page:
        """Unowned leads you may claim, with non-sensitive fields only (phone masked)."""
        flt = pool.PoolFilter(q, region, industry, grade)
        rows, total = await pool.list_pool(current_actor(request), flt, page, per_page)
        lang = request_language(request)
        return Page([_item_out(row, lang) for row in rows], total, page, per_page)

    @get("/limits")
    async def limits(self, request: Request) -> dict[str, Any]:
        """Your claims today and customers owned, against the limits (0 = no limit)."""
        settings = await pool.load_settings()
        allowance = await pool.claim_allowance(current_actor(request), settings)
        return {**dataclasses.asdict(allowance), "protection_days": settings.protection_days}

    @post("/{customer_id:uuid}/claim")
    async def claim(
        self, request: Request, ctx: Ctx, customer_id: FromPath[uuid.UUID]
    ) -> dict[str, Any]:
        actor = current_actor(request)
        await pool.claim(ctx.engine, actor, customer_id)
        row = await customers.get_customer(actor, customer_id)
        return customer_out(row, request_language(request), ctx.settings.default_phone_region)

    @post("/{customer_id:uuid}/release")
    async def release(
        self,
        request: Request,
        ctx: Ctx,
        customer_id: FromPath[uuid.UUID],
        data: JSONBody[ReleaseRequest | None] = None,
    ) -> dict[str, bool]:
        """Back to the public pool: by its owner, their manager or an admin."""
        note = data.note if data else None
        await pool.release(ctx.engine, current_actor(request), customer_id, note)
        return {"released": True}

    @get("/settings", guards=[managers_only])
    async def get_settings(self) -> dict[str, Any]:
        return (await pool.load_settings()).to_json()

    @patch("/settings", guards=[managers_only])
    async def update_settings(
        self, request: Request, ctx: Ctx, data: JSONBody[PoolSettingsWrite]
    ) -> dict[str, Any]:
        changes = msgspec.to_builtins(data)
        updated = await pool.update_settings(ctx.engine, current_actor(request), changes)
        return updated.to_json()
