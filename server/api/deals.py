"""Deal routes (list, create, read, update, stage move, stage history, pipeline board) and
the admin's pipeline stage settings. Every write goes through services.deals.apply_deal_fields."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from msgspec import UNSET, UnsetType

from server.api.auth import admins_only, current_actor
from server.api.customers import provided
from server.api.schemas import Page
from server.api.state import Ctx, request_language
from server.domain.errors import Conflict
from server.domain.pipeline import Pipeline, Stage, effective_probability
from server.domain.schedule import DEFAULT_TIME_ZONE, start_of_local_day
from server.services import deals as service
from server.services import stages as stage_service
from server.services.stages import load_pipeline


class DealWrite(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Fields a client may send; omitted fields are left as they are (PATCH semantics)."""

    customer_id: uuid.UUID | UnsetType = UNSET
    owner_id: int | UnsetType | None = UNSET
    title: str | UnsetType = UNSET
    amount: Decimal | UnsetType = UNSET
    currency: str | UnsetType = UNSET
    stage: str | UnsetType = UNSET
    probability: int | UnsetType | None = UNSET
    expected_close: dt.date | UnsetType | None = UNSET
    lost_reason: str | UnsetType | None = UNSET
    id: uuid.UUID | UnsetType = UNSET  # offline-created records bring their own id


class StageMove(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    stage: str
    lost_reason: str | UnsetType | None = UNSET


class StageSettings(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name_zh: str | UnsetType = UNSET
    name_en: str | UnsetType = UNSET
    expected_days: int | UnsetType = UNSET
    probability: int | UnsetType = UNSET
    exit_criteria: list[str] | UnsetType = UNSET
    position: int | UnsetType = UNSET  # 1-based place among the open stages
    active: bool | UnsetType = UNSET


class NewStage(StageSettings, forbid_unknown_fields=True, omit_defaults=True):
    key: str = ""


def stage_out(stage: Stage, lang: str) -> dict[str, Any]:
    return {
        "key": stage.key,
        "name": stage.name(lang),
        "name_zh": stage.name_zh,
        "name_en": stage.name_en,
        "expected_days": stage.expected_days,
        "probability": stage.probability,
        "exit_criteria": list(stage.exit_criteria),
        "closed": stage.closed,
        "active": stage.active,
    }


def deal_out(
    deal: dict[str, Any], pipeline: Pipeline, lang: str, now: dt.datetime
) -> dict[str, Any]:
    """A deal as the API shows it: amount as a number, the stage's name, the probability
    that counts for forecasts, and whether it sits in its stage longer than expected."""
    stage = pipeline.get(deal["stage"])
    days_in_stage = (now - deal["stage_entered_at"]).total_seconds() / 86400
    return {
        **deal,
        "customer_id": str(deal["customer_id"]),
        "amount": float(deal["amount"]),
        "stage_name": stage.name(lang) if stage else deal["stage"],
        "effective_probability": effective_probability(
            pipeline, deal["stage"], deal["probability"]
        ),
        "days_in_stage": round(days_in_stage, 1),
        "stage_overdue": bool(
            stage and not stage.closed and days_in_stage > stage.expected_days > 0
        ),
    }


def _day_start(day: dt.date | None) -> dt.datetime | None:
    return start_of_local_day(day, DEFAULT_TIME_ZONE) if day else None


def _day_after(day: dt.date | None) -> dt.datetime | None:
    return _day_start(day + dt.timedelta(days=1)) if day else None


class DealController(Controller):
    path = "/api/deals"
    tags = ["deals"]

    async def _out(self, request: Request, deal: dict[str, Any]) -> dict[str, Any]:
        return deal_out(deal, await load_pipeline(), request_language(request), service.utcnow())

    @get("/")
    async def list_deals(
        self,
        request: Request,
        customer_id: FromQuery[uuid.UUID | None] = None,
        stage: FromQuery[str | None] = None,
        owner_id: FromQuery[int | None] = None,
        team_id: FromQuery[int | None] = None,
        region: FromQuery[str | None] = None,
        page: Annotated[int, QueryParameter(ge=1)] = 1,
        per_page: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> Page:
        flt = service.DealFilter(customer_id, stage, owner_id, team_id, region)
        rows, total = await service.list_deals(current_actor(request), flt, page, per_page)
        pipeline, lang, now = await load_pipeline(), request_language(request), service.utcnow()
        return Page([deal_out(r, pipeline, lang, now) for r in rows], total, page, per_page)

    @post("/")
    async def create_deal(
        self, request: Request, ctx: Ctx, data: JSONBody[DealWrite]
    ) -> dict[str, Any]:
        deal_id = data.id or uuid.uuid4()
        if await service.deal_exists(deal_id):
            raise Conflict("deal.exists")
        deal = await service.apply_deal_fields(
            ctx.engine, current_actor(request), deal_id, provided(data, "id")
        )
        return await self._out(request, deal)

    @get("/board")
    async def board(
        self,
        request: Request,
        team_id: FromQuery[int | None] = None,
        owner_id: FromQuery[int | None] = None,
        region: FromQuery[str | None] = None,
        from_: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        to: FromQuery[dt.date | None] = None,
        per_stage: Annotated[int, QueryParameter(ge=0, le=200)] = 50,
    ) -> dict[str, Any]:
        """Deals by stage for the kanban. `from`/`to` (local dates, inclusive) keep the
        deals that were open at some time in the period."""
        flt = service.DealFilter(
            owner_id=owner_id,
            team_id=team_id,
            region=region,
            active_from=_day_start(from_),
            active_to=_day_after(to),
        )
        lang = request_language(request)
        columns = await service.board(current_actor(request), flt, per_stage)
        pipeline, now = await load_pipeline(), service.utcnow()
        return {
            "stages": [
                {
                    **stage_out(c["stage"], lang),
                    "count": c["count"],
                    "amount": float(c["amount"]),
                    "deals": [deal_out(d, pipeline, lang, now) for d in c["deals"]],
                }
                for c in columns
            ],
            "count": sum(c["count"] for c in columns),
            "amount": float(sum(c["amount"] for c in columns)),
        }

    @get("/{deal_id:uuid}")
    async def get_deal(self, request: Request, deal_id: FromPath[uuid.UUID]) -> dict[str, Any]:
        return await self._out(request, await service.get_deal(current_actor(request), deal_id))

    @patch("/{deal_id:uuid}")
    async def update_deal(
        self,
        request: Request,
        ctx: Ctx,
        deal_id: FromPath[uuid.UUID],
        data: JSONBody[DealWrite],
    ) -> dict[str, Any]:
        actor = current_actor(request)
        await service.get_deal(actor, deal_id)  # REST edits only live deals
        deal = await service.apply_deal_fields(ctx.engine, actor, deal_id, provided(data, "id"))
        return await self._out(request, deal)

    @post("/{deal_id:uuid}/stage", status_code=200)
    async def move_stage(
        self,
        request: Request,
        ctx: Ctx,
        deal_id: FromPath[uuid.UUID],
        data: JSONBody[StageMove],
    ) -> dict[str, Any]:
        actor = current_actor(request)
        await service.get_deal(actor, deal_id)
        deal = await service.apply_deal_fields(ctx.engine, actor, deal_id, provided(data))
        return await self._out(request, deal)

    @get("/{deal_id:uuid}/stages")
    async def stage_history(
        self, request: Request, deal_id: FromPath[uuid.UUID]
    ) -> list[dict[str, Any]]:
        return await service.stage_history(current_actor(request), deal_id)


class PipelineStageController(Controller):
    path = "/api/pipeline/stages"
    tags = ["deals"]

    @get("/")
    async def list_stages(self, request: Request) -> list[dict[str, Any]]:
        lang = request_language(request)
        return [stage_out(s, lang) for s in await stage_service.list_stages()]

    @post("/", guards=[admins_only])
    async def create_stage(
        self, request: Request, ctx: Ctx, data: JSONBody[NewStage]
    ) -> dict[str, Any]:
        stage = await stage_service.create_stage(
            ctx.engine, current_actor(request), data.key, provided(data, "key")
        )
        return stage_out(stage, request_language(request))

    @patch("/{key:str}", guards=[admins_only])
    async def update_stage(
        self, request: Request, ctx: Ctx, key: FromPath[str], data: JSONBody[StageSettings]
    ) -> dict[str, Any]:
        stage = await stage_service.update_stage(
            ctx.engine, current_actor(request), key, provided(data)
        )
        return stage_out(stage, request_language(request))
