"""Assignment routes (managers and admins): rules, bulk runs, handover, fairness report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from msgspec import UNSET, UnsetType

from server.api.auth import current_actor, managers_only
from server.api.state import Ctx
from server.domain.schedule import DEFAULT_TIME_ZONE, local_date
from server.services import assignment as service

FAIRNESS_DEFAULT_DAYS = 30


class RuleConditions(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Each list allows any of its values; all lists given must match."""

    regions: list[str] | UnsetType = UNSET  # any spelling: 广东, 深圳市, CN-GD, Guangdong …
    industries: list[str] | UnsetType = UNSET
    sizes: list[str] | UnsetType = UNSET
    grades: list[str] | UnsetType = UNSET
    sources: list[str] | UnsetType = UNSET


class RuleWrite(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A rule; on PATCH, omitted fields keep their value (send null to clear a target)."""

    name: str | UnsetType = UNSET
    strategy: str | UnsetType = UNSET
    conditions: RuleConditions | UnsetType = UNSET
    team_id: int | UnsetType | None = UNSET
    user_id: int | UnsetType | None = UNSET
    is_default: bool | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class RuleOrder(msgspec.Struct, forbid_unknown_fields=True):
    rule_ids: list[int]


class RunRequest(msgspec.Struct, forbid_unknown_fields=True):
    customer_ids: list[uuid.UUID] | None = None  # omitted → every pool lead in reach


class HandoverRequest(msgspec.Struct, forbid_unknown_fields=True):
    from_user_id: int
    to_user_ids: list[int]
    spread: str = "even"  # even | rules


def provided(data: msgspec.Struct) -> dict[str, Any]:
    return msgspec.to_builtins(data)  # UNSET fields are left out


class AssignmentController(Controller):
    path = "/api/assignment"
    tags = ["assignment"]
    guards = [managers_only]

    @get("/rules")
    async def list_rules(self, request: Request) -> list[dict[str, Any]]:
        return await service.list_rules(current_actor(request))

    @post("/rules")
    async def create_rule(
        self, request: Request, ctx: Ctx, data: JSONBody[RuleWrite]
    ) -> dict[str, Any]:
        return await service.create_rule(ctx.engine, current_actor(request), provided(data))

    @put("/rules/order")
    async def reorder_rules(
        self, request: Request, ctx: Ctx, data: JSONBody[RuleOrder]
    ) -> list[dict[str, Any]]:
        return await service.reorder_rules(ctx.engine, current_actor(request), data.rule_ids)

    @patch("/rules/{rule_id:int}")
    async def update_rule(
        self, request: Request, ctx: Ctx, rule_id: FromPath[int], data: JSONBody[RuleWrite]
    ) -> dict[str, Any]:
        actor = current_actor(request)
        return await service.update_rule(ctx.engine, actor, rule_id, provided(data))

    @delete("/rules/{rule_id:int}")
    async def delete_rule(self, request: Request, ctx: Ctx, rule_id: FromPath[int]) -> None:
        await service.delete_rule(ctx.engine, current_actor(request), rule_id)

    @post("/run")
    async def run(
        self, request: Request, ctx: Ctx, data: JSONBody[RunRequest | None] = None
    ) -> dict[str, Any]:
        """Assign pool leads through the rules; leads no rule places stay in the pool."""
        ids = data.customer_ids if data else None
        report = await service.run_assignment(ctx.engine, current_actor(request), ids)
        return dataclasses.asdict(report)

    @post("/handover")
    async def handover(
        self, request: Request, ctx: Ctx, data: JSONBody[HandoverRequest]
    ) -> dict[str, Any]:
        report = await service.handover(
            ctx.engine, current_actor(request), data.from_user_id, data.to_user_ids, data.spread
        )
        return dataclasses.asdict(report)

    @get("/fairness")
    async def fairness(
        self,
        request: Request,
        start: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        end: Annotated[dt.date | None, QueryParameter(name="to")] = None,
        team_id: FromQuery[int | None] = None,
    ) -> dict[str, Any]:
        """Distribution per rep for [from, to] (default: the last 30 days)."""
        end = end or local_date(dt.datetime.now(dt.UTC), DEFAULT_TIME_ZONE)
        start = start or end - dt.timedelta(days=FAIRNESS_DEFAULT_DAYS - 1)
        return await service.fairness(current_actor(request), start, end, team_id)
