"""Duplicate routes: check-as-you-type, the managers' review queue, merges and un-merges,
metrics, and running the nightly job by hand (admins)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from server.api.auth import admins_only, current_actor, managers_only
from server.api.schemas import Page
from server.api.state import Ctx
from server.domain.errors import FieldError, ValidationFailed
from server.domain.normalize import clean_text
from server.services import dedup, dedup_review
from server.services.dedup_merge import MergeRequest, merge_customers, unmerge

REVIEW_STATUSES = ("pending", "merged", "distinct", "stale")


class ApproveRequest(msgspec.Struct, forbid_unknown_fields=True):
    survivor_id: uuid.UUID | None = None  # default: the older record survives
    note: str | None = None


class RejectRequest(msgspec.Struct, forbid_unknown_fields=True):
    note: str | None = None


class MergeBody(msgspec.Struct, forbid_unknown_fields=True):
    survivor_id: uuid.UUID
    loser_id: uuid.UUID
    reason: str | None = None


class DedupController(Controller):
    path = "/api"
    tags = ["duplicates"]

    @get("/customers/duplicates")
    async def check_duplicates(
        self,
        request: Request,
        ctx: Ctx,
        name: FromQuery[str] = "",
        kind: FromQuery[str | None] = None,
        phone: FromQuery[str | None] = None,
        email: FromQuery[str | None] = None,
        region: FromQuery[str | None] = None,
        address: FromQuery[str | None] = None,
        exclude_id: FromQuery[uuid.UUID | None] = None,
    ) -> dict[str, Any]:
        """Likely duplicates of what the form holds so far, and what saving would answer
        (`code` null, or the 409 code and `owner`). Records the user may not see are
        described by name and owner only."""
        data = dedup.InputCheck(name, kind, phone, email, region, address, exclude_id)
        return await dedup.find_for_input(
            current_actor(request), data, ctx.settings.default_phone_region
        )

    @get("/dedup/reviews", guards=[managers_only])
    async def list_reviews(
        self,
        request: Request,
        status: FromQuery[str] = "pending",
        page: Annotated[int, QueryParameter(ge=1)] = 1,
        per_page: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> Page:
        if status not in REVIEW_STATUSES:
            allowed = ", ".join(REVIEW_STATUSES)
            raise ValidationFailed([FieldError("status", "choice.invalid", {"allowed": allowed})])
        items, total = await dedup_review.list_reviews(
            current_actor(request), status, page, per_page
        )
        return Page(items, total, page, per_page)

    @post("/dedup/reviews/{item_id:int}/approve", guards=[managers_only])
    async def approve(
        self, request: Request, ctx: Ctx, item_id: FromPath[int], data: JSONBody[ApproveRequest]
    ) -> dict[str, Any]:
        """Merge the pair; the answer names the merge event (undo: /dedup/merges/{id}/undo)."""
        event_id = await dedup_review.approve(
            ctx.engine, current_actor(request), item_id, data.survivor_id, _note(data.note)
        )
        return await dedup_review.get_merge(current_actor(request), event_id)

    @post("/dedup/reviews/{item_id:int}/reject", guards=[managers_only])
    async def reject(
        self, request: Request, ctx: Ctx, item_id: FromPath[int], data: JSONBody[RejectRequest]
    ) -> dict[str, str]:
        await dedup_review.reject(ctx.engine, current_actor(request), item_id, _note(data.note))
        return {"status": "distinct"}

    @get("/dedup/merges", guards=[managers_only])
    async def list_merges(
        self,
        request: Request,
        customer_id: FromQuery[uuid.UUID | None] = None,
        page: Annotated[int, QueryParameter(ge=1)] = 1,
        per_page: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> Page:
        rows, total = await dedup_review.list_merges(
            current_actor(request), customer_id, page, per_page
        )
        return Page(rows, total, page, per_page)

    @post("/dedup/merges", guards=[managers_only])
    async def merge(self, request: Request, ctx: Ctx, data: JSONBody[MergeBody]) -> dict[str, Any]:
        """Merge two customers by hand (both must be in the manager's team)."""
        actor = current_actor(request)
        merge_request = MergeRequest(
            data.survivor_id, data.loser_id, "manual", reason=_note(data.reason)
        )
        event_id = await merge_customers(ctx.engine, actor, merge_request)
        assert event_id is not None  # without min_score a merge happens or raises
        return await dedup_review.get_merge(actor, event_id)

    @get("/dedup/merges/{event_id:int}", guards=[managers_only])
    async def get_merge(self, request: Request, event_id: FromPath[int]) -> dict[str, Any]:
        """A merge with its snapshots of both records and the moved child rows."""
        return await dedup_review.get_merge(current_actor(request), event_id)

    @post("/dedup/merges/{event_id:int}/undo", guards=[managers_only])
    async def undo_merge(
        self, request: Request, ctx: Ctx, event_id: FromPath[int]
    ) -> dict[str, Any]:
        """Un-merge: both records back exactly as before, children on their old parent."""
        actor = current_actor(request)
        await dedup_review.require_merge_in_scope(actor, event_id)
        await unmerge(ctx.engine, actor, event_id)
        return await dedup_review.get_merge(actor, event_id)

    @get("/dedup/metrics", guards=[managers_only])
    async def metrics(self, request: Request) -> dict[str, Any]:
        return await dedup_review.metrics(current_actor(request), dt.datetime.now(dt.UTC))

    @post("/dedup/run", guards=[admins_only])
    async def run_now(self, ctx: Ctx, dry_run: FromQuery[bool] = False) -> dict[str, Any]:
        """Run the nightly job now (it can take minutes on a large database)."""
        return await dedup.run_nightly_dedup(ctx.engine, dt.datetime.now(dt.UTC), dry_run)


def _note(text: str | None) -> str | None:
    return clean_text(text or "") or None
