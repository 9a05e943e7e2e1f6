"""Customer routes: list/search, create, read, update, delete, share, 360° view."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from msgspec import UNSET, UnsetType

from server.api.auth import current_actor
from server.api.schemas import Page, audit_out, customer_out
from server.api.state import Ctx, request_language
from server.domain.dedup import DuplicateCheck
from server.services import customers as service


class CustomerWrite(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Fields a client may send; omitted fields are left as they are (PATCH semantics)."""

    kind: str | UnsetType = UNSET
    name: str | UnsetType = UNSET
    phone: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    region: str | UnsetType | None = UNSET
    address: str | UnsetType | None = UNSET
    industry: str | UnsetType | None = UNSET
    size: str | UnsetType | None = UNSET
    grade: str | UnsetType = UNSET
    lifecycle: str | UnsetType = UNSET
    source: str | UnsetType | None = UNSET
    tags: list[str] | UnsetType = UNSET
    custom: dict[str, Any] | UnsetType = UNSET
    notes: str | UnsetType | None = UNSET
    owner_id: int | UnsetType = UNSET
    id: uuid.UUID | UnsetType = UNSET  # offline-created records bring their own id
    # Likely duplicates answer 409 unless the user confirms it is another customer, or a
    # manager/admin saves over another rep's record with a reason (audited).
    confirm_duplicate: bool | UnsetType = UNSET
    override_reason: str | UnsetType = UNSET

    def field_values(self) -> dict[str, Any]:
        return provided(self, "owner_id", "id", "confirm_duplicate", "override_reason")

    def duplicate_check(self) -> DuplicateCheck:
        return DuplicateCheck(
            confirm_duplicate=self.confirm_duplicate is True,
            override_reason=self.override_reason or None,
        )


class ShareRequest(msgspec.Struct, forbid_unknown_fields=True):
    user_id: int
    shared: bool = True


def provided(data: msgspec.Struct, *exclude: str) -> dict[str, Any]:
    return {
        k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET and k not in exclude
    }


class CustomerController(Controller):
    path = "/api/customers"
    tags = ["customers"]

    @get("/")
    async def list_customers(
        self,
        request: Request,
        ctx: Ctx,
        q: FromQuery[str | None] = None,
        phone: FromQuery[str | None] = None,
        region: FromQuery[str | None] = None,
        grade: FromQuery[str | None] = None,
        stage: Annotated[str | None, QueryParameter(description="lifecycle stage")] = None,
        owner_id: FromQuery[int | None] = None,
        tag: FromQuery[str | None] = None,
        page: Annotated[int, QueryParameter(ge=1)] = 1,
        per_page: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> Page:
        flt = service.CustomerFilter(q, phone, region, grade, stage, owner_id, tag)
        region_code = ctx.settings.default_phone_region
        rows, total = await service.list_customers(
            current_actor(request), flt, page, per_page, region_code
        )
        lang = request_language(request)
        items = [customer_out(r, lang, region_code) for r in rows]
        return Page(items, total, page, per_page, total_capped=total > service.COUNT_CAP)

    @post("/")
    async def create_customer(
        self, request: Request, ctx: Ctx, data: JSONBody[CustomerWrite]
    ) -> dict[str, Any]:
        phone_region = ctx.settings.default_phone_region
        row = await service.create_customer(
            ctx.engine,
            current_actor(request),
            data.field_values(),
            await service.load_checks(phone_region),
            owner_id=data.owner_id or None,
            customer_id=data.id or None,
            duplicates=data.duplicate_check(),
        )
        return customer_out(row, request_language(request), phone_region)

    @get("/{customer_id:uuid}")
    async def get_customer(
        self, request: Request, ctx: Ctx, customer_id: FromPath[uuid.UUID]
    ) -> dict[str, Any]:
        row = await service.get_customer(current_actor(request), customer_id)
        return customer_out(row, request_language(request), ctx.settings.default_phone_region)

    @patch("/{customer_id:uuid}")
    async def update_customer(
        self,
        request: Request,
        ctx: Ctx,
        customer_id: FromPath[uuid.UUID],
        data: JSONBody[CustomerWrite],
    ) -> dict[str, Any]:
        phone_region = ctx.settings.default_phone_region
        row = await service.update_customer(
            ctx.engine,
            current_actor(request),
            customer_id,
            data.field_values(),
            await service.load_checks(phone_region),
            duplicates=data.duplicate_check(),
        )
        return customer_out(row, request_language(request), phone_region)

    @delete("/{customer_id:uuid}")
    async def delete_customer(
        self, request: Request, ctx: Ctx, customer_id: FromPath[uuid.UUID]
    ) -> None:
        checks = await service.load_checks(ctx.settings.default_phone_region)
        await service.delete_customer(ctx.engine, current_actor(request), customer_id, checks)

    @post("/{customer_id:uuid}/restore")
    async def restore_customer(
        self, request: Request, ctx: Ctx, customer_id: FromPath[uuid.UUID]
    ) -> dict[str, Any]:
        """Undo a delete."""
        phone_region = ctx.settings.default_phone_region
        row = await service.restore_customer(
            ctx.engine, current_actor(request), customer_id, await service.load_checks(phone_region)
        )
        return customer_out(row, request_language(request), phone_region)

    @put("/{customer_id:uuid}/share")
    async def share_customer(
        self,
        request: Request,
        ctx: Ctx,
        customer_id: FromPath[uuid.UUID],
        data: JSONBody[ShareRequest],
    ) -> dict[str, bool]:
        await service.share_customer(
            ctx.engine, current_actor(request), customer_id, data.user_id, data.shared
        )
        return {"shared": data.shared}

    @get("/{customer_id:uuid}/360")
    async def customer_360(
        self, request: Request, ctx: Ctx, customer_id: FromPath[uuid.UUID]
    ) -> dict[str, Any]:
        view = await service.customer_360(current_actor(request), customer_id)
        lang = request_language(request)
        view["profile"] = customer_out(view["profile"], lang, ctx.settings.default_phone_region)
        view["audit"] = [audit_out(row) for row in view["audit"]]
        return view
