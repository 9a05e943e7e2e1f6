"""Sync endpoints for devices: push a batch of changes, pull by cursor, list conflicts."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.exceptions import ValidationException
from litestar.params import FromQuery, JSONBody, QueryParameter

from server.api.auth import current_actor
from server.api.state import Ctx, request_language
from server.i18n import translate
from server.services import sync_protocol
from server.services.customers import load_checks
from sync import wall_clock_ms


class PushRequest(msgspec.Struct, forbid_unknown_fields=True):
    device_id: str
    # Decoded one by one in the service, so one malformed change is refused on its own.
    changes: list[dict[str, Any]]


def _result_out(result: sync_protocol.ChangeResult, lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {"op_id": result.op_id, "status": result.status, "seq": result.seq}
    if result.record is not None:
        out["record"] = result.record
    rejection = result.rejection
    if rejection is not None:
        out.update(
            http_status=rejection.status,
            code=rejection.code,
            message=translate(rejection.code, lang, rejection.params),
            details=rejection.params,
            errors=[
                {"field": e.field, "code": e.code, "message": translate(e.code, lang, e.params)}
                for e in rejection.errors
            ],
        )
    return out


class SyncController(Controller):
    path = "/sync"
    tags = ["sync"]

    @post("/push", status_code=200)
    async def push(self, request: Request, ctx: Ctx, data: JSONBody[PushRequest]) -> dict[str, Any]:
        """Apply a device's outbox batch; every change gets its own result (docs/SYNC.md)."""
        if len(data.changes) > sync_protocol.MAX_CHANGES_PER_PUSH:
            raise ValidationException(
                detail=f"at most {sync_protocol.MAX_CHANGES_PER_PUSH} changes per push"
            )
        actor = current_actor(request)
        await sync_protocol.claim_device(actor, data.device_id)
        checks = await load_checks(ctx.settings.default_phone_region)
        lang = request_language(request)
        results, conflicts = await sync_protocol.push_batch(
            ctx.engine, actor, data.device_id, data.changes, checks
        )
        return {
            "results": [_result_out(result, lang) for result in results],
            "conflicts": conflicts,
            "server_ms": wall_clock_ms(),
        }

    @get("/pull")
    async def pull(
        self,
        request: Request,
        cursor: Annotated[int, QueryParameter(ge=0)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=2000)] = 500,
    ) -> dict[str, Any]:
        """Everything the user may see that changed after `cursor` (docs/SYNC.md)."""
        return await sync_protocol.pull(current_actor(request), cursor, limit)

    @get("/conflicts")
    async def conflicts(
        self, request: Request, record_id: FromQuery[str | None] = None
    ) -> list[dict[str, Any]]:
        """Values of yours someone else's later write replaced, and values you replaced."""
        return await sync_protocol.conflicts_for(current_actor(request), record_id)
