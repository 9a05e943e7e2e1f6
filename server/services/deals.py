"""Deal use cases: scoped queries, the pipeline board, and the one write path.

Every deal write — a REST create/update/stage move or an offline edit the sync engine
applies — goes through `apply_deal_fields`, so the stage rules (exit criteria, lost reason,
closed_at), the stage history, the audit row and the server sequence stamp happen in one
place. Access follows customers: a user sees the deals of the customers they may see
(server.services.customers.visible_to); a rep changes only deals they own.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from piccolo.columns import Column
from piccolo.engine.base import Engine
from piccolo.query.functions.aggregate import Count, Sum

from server.db.engine import write_transaction
from server.db.tables import Customer, CustomerShare, Deal, DealStageChange, User
from server.domain.access import Actor
from server.domain.clock import utcnow
from server.domain.errors import FieldError, Forbidden, InvalidValue, NotFound, ValidationFailed
from server.domain.pipeline import (
    DEAL_FIELDS,
    LOST,
    Pipeline,
    clean_deal_fields,
    stage_move_errors,
)
from server.domain.regions import normalize_region
from server.services import audit, changes
from server.services.customers import visible_to
from server.services.entities import DEAL
from server.services.sequence import next_server_seq
from server.services.stages import load_pipeline

MAX_PAGE_SIZE = 100
MAX_CARDS_PER_STAGE = 200

# API field name → Deal column name, where they differ.
_COLUMN_OF = {"customer_id": "customer", "owner_id": "owner"}
_NEW_DEAL_DEFAULTS: dict[str, Any] = {
    "amount": Decimal("0.00"),
    "currency": "CNY",
    "probability": None,
    "expected_close": None,
    "lost_reason": None,
    "deleted": False,
}


# ---- reading -------------------------------------------------------------------------------


def _view_columns() -> list[Column]:
    return [
        *Deal.all_columns(exclude=[Deal.field_versions]),
        Deal.owner.display_name.as_alias("owner_name"),
        Deal.customer.name.as_alias("customer_name"),
    ]


def deal_view(row: dict[str, Any]) -> dict[str, Any]:
    """A deal row with API field names (customer_id, owner_id)."""
    view = {k: v for k, v in row.items() if k not in ("customer", "owner")}
    view.update(customer_id=row["customer"], owner_id=row["owner"])
    return view


def visible_deals(actor: Actor, newest_first: bool = False) -> Any:
    """SQL condition: live deals of the customers `actor` may see (customers.visible_to).

    Two equivalent shapes, for the query planner's sake. Counting or filtering all of them:
    a rep's or a manager's customers are a short list to look deals up by. A page of the
    newest (`newest_first`) or anything an admin sees (every live customer): checking each
    deal's customer lets the database walk the deals in order and stop early."""
    alive = Deal.deleted.eq(False) & Deal.customer.deleted.eq(False)
    if actor.is_admin:
        return alive
    if actor.role == "manager" and newest_first:
        return alive & (Deal.customer.team == actor.team_id)  # visible_to's manager rule
    visible = visible_to(actor)
    customer_lists = [visible]
    if actor.role == "rep":
        # Their own customers and those shared with them as two lists, each narrowed from
        # visible_to (so nothing more is shown): PostgreSQL will not use an index for the
        # OR inside visible_to and would scan every customer.
        shared = CustomerShare.select(CustomerShare.customer).where(CustomerShare.user == actor.id)
        customer_lists = [
            visible & (Customer.owner == actor.id),
            visible & Customer.id.is_in(shared),
        ]
    in_any = [Deal.customer.is_in(Customer.select(Customer.id).where(w)) for w in customer_lists]
    return Deal.deleted.eq(False) & functools.reduce(operator.or_, in_any)


def region_code(raw: str | None) -> str | None:
    """A region filter as typed (北京, Beijing, CN-BJ) → its code; unknown → 422 on `region`."""
    if not raw:
        return None
    try:
        return normalize_region(raw)
    except InvalidValue as exc:
        raise ValidationFailed([FieldError("region", exc.code)]) from exc


@dataclass(frozen=True)
class DealFilter:
    customer_id: uuid.UUID | None = None
    stage: str | None = None
    owner_id: int | None = None
    team_id: int | None = None  # the owner's team
    region: str | None = None  # the customer's region, subregions included
    active_from: dt.datetime | None = None  # open at some time in [active_from, active_to)
    active_to: dt.datetime | None = None


def _filter_where(actor: Actor, flt: DealFilter, newest_first: bool = False) -> Any:
    where = visible_deals(actor, newest_first)
    code = region_code(flt.region)
    if code:
        region = Deal.customer.region_code
        where &= (region == code) | region.like(f"{code}-%")
    if flt.customer_id is not None:
        where &= Deal.customer == flt.customer_id
    if flt.stage:
        where &= Deal.stage == flt.stage
    if flt.owner_id is not None:
        where &= Deal.owner == flt.owner_id
    if flt.team_id is not None:
        where &= Deal.owner.is_in(User.select(User.id).where(User.team == flt.team_id))
    if flt.active_to is not None:
        where &= Deal.created_at < flt.active_to
    if flt.active_from is not None:
        where &= Deal.closed_at.is_null() | (Deal.closed_at >= flt.active_from)
    return where


async def list_deals(
    actor: Actor, flt: DealFilter, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    per_page = max(1, min(per_page, MAX_PAGE_SIZE))
    rows = (
        await Deal.select(*_view_columns())
        .where(_filter_where(actor, flt, newest_first=True))
        .order_by(Deal.stage_entered_at, ascending=False)
        .order_by(Deal.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    return [deal_view(r) for r in rows], await Deal.count().where(_filter_where(actor, flt))


async def get_deal(actor: Actor, deal_id: uuid.UUID) -> dict[str, Any]:
    row = await Deal.select(*_view_columns()).where(visible_deals(actor) & (Deal.id == deal_id))
    if not row:
        raise NotFound("deal")
    return deal_view(row[0])


async def deal_exists(deal_id: uuid.UUID) -> bool:
    """Whether the id is taken at all (tombstones and other users' deals included)."""
    return await Deal.exists().where(Deal.id == deal_id)


async def stage_history(
    actor: Actor, deal_id: uuid.UUID, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The deal's stage moves, oldest first, each with how long the deal stayed (so far,
    for the stage it is in; None for the won/lost stage it closed in)."""
    deal = await get_deal(actor, deal_id)
    rows = (
        await DealStageChange.select(
            *DealStageChange.all_columns(),
            DealStageChange.actor.display_name.as_alias("actor_name"),
        )
        .where(DealStageChange.deal == deal_id)
        .order_by(DealStageChange.id)
    )
    still_open = deal["closed_at"] is None
    ends = [r["changed_at"] for r in rows[1:]] + [(now or utcnow()) if still_open else None]
    return [
        {**r, "dwell_seconds": int((end - r["changed_at"]).total_seconds()) if end else None}
        for r, end in zip(rows, ends, strict=True)
    ]


async def board(actor: Actor, flt: DealFilter, per_stage: int) -> list[dict[str, Any]]:
    """The kanban: per stage its count and amount sum, and its most recently moved deals."""
    pipeline = await load_pipeline()
    where, newest = _filter_where(actor, flt), _filter_where(actor, flt, newest_first=True)
    totals = {
        r["stage"]: r
        for r in await Deal.select(
            Deal.stage, Count(Deal.id, alias="count"), Sum(Deal.amount, alias="amount")
        )
        .where(where)
        .group_by(Deal.stage)
    }
    per_stage = max(0, min(per_stage, MAX_CARDS_PER_STAGE))
    columns = []
    for stage in pipeline.stages:
        total = totals.get(stage.key)
        if not stage.active and total is None:
            continue
        cards = []
        if per_stage and total:
            cards = await (
                Deal.select(*_view_columns())
                .where(newest & (Deal.stage == stage.key))
                .order_by(Deal.stage_entered_at, ascending=False)
                .limit(per_stage)
            )
        columns.append(
            {
                "stage": stage,
                "count": total["count"] if total else 0,
                "amount": Decimal(str(total["amount"] or 0)) if total else Decimal(0),
                "deals": [deal_view(c) for c in cards],
            }
        )
    return columns


# ---- the write path ------------------------------------------------------------------------


async def apply_deal_fields(
    engine: Engine,
    actor: Actor,
    deal_id: uuid.UUID,
    fields: dict[str, Any],
    at: dt.datetime | None = None,
    stamp_versions: bool = True,
) -> dict[str, Any]:
    """Create or change one deal: the single write path of REST and sync.

    `fields` uses API names (see DEAL_FIELDS): customer_id (only when creating), owner_id,
    title, amount, currency, stage, probability, expected_close, lost_reason, deleted. Values
    may be JSON-plain (amount as number/string, expected_close as "YYYY-MM-DD"). A deal id
    not yet stored creates the deal (customer_id and title then required).

    `at` is when the edit was made (an offline device's time; default now). It dates the
    stage move (DealStageChange.changed_at, stage_entered_at, closed_at; a new deal's
    created_at); it is capped at now and never earlier than the current stage's entry, so
    dwell times are never negative.

    Raises NotFound (deal or customer not visible), Forbidden (a rep's edit of a deal they
    do not own; assigning owners without the right), ValidationFailed (bad fields, a move
    missing exit criteria — one error per missing field —, lost without a reason).
    Returns the deal as `get_deal` shows it. A write that changes nothing is a no-op: no
    audit row, no new server_seq (callers can compare `server_seq` to tell).
    """
    now = utcnow()
    moment = min(_aware(at) if at else now, now)
    async with write_transaction(engine):
        pipeline = await load_pipeline()
        current = await _locked_deal(deal_id)
        before = changes.state_of(DEAL, current)
        if current is None:
            await _create(actor, deal_id, fields, moment, pipeline)
        else:
            await _update(actor, current, fields, moment, pipeline)
        if stamp_versions:  # REST edits; a device's edit brings its own versions (sync)
            await changes.restamp_versions(DEAL, deal_id, before)
    row = await Deal.select(*_view_columns()).where(Deal.id == deal_id).first()
    return deal_view(row)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def _locked_deal(deal_id: uuid.UUID) -> dict[str, Any] | None:
    query = Deal.select().where(Deal.id == deal_id)
    if Deal._meta.db.engine_type == "postgres":
        query = query.lock_rows()  # SQLite's write transaction already holds the file lock
    rows = await query
    return rows[0] if rows else None


def _state(row: dict[str, Any]) -> dict[str, Any]:
    """A stored deal in API field names, for validation and audit."""
    return {name: row[_COLUMN_OF.get(name, name)] for name in DEAL_FIELDS}


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    return {_COLUMN_OF.get(name, name): value for name, value in values.items()}


async def _create(
    actor: Actor, deal_id: uuid.UUID, fields: dict[str, Any], at: dt.datetime, pipeline: Pipeline
) -> None:
    values = clean_deal_fields(fields, creating=True, pipeline=pipeline)
    customer = values["customer_id"]
    if not await Customer.exists().where(visible_to(actor) & (Customer.id == customer)):
        raise NotFound("customer")
    owner = await _owner_for_new_deal(actor, values.get("owner_id", actor.id))
    state = {
        **_NEW_DEAL_DEFAULTS,
        **values,
        "owner_id": owner,
        "stage": values.get("stage") or pipeline.first_open.key,
    }
    errors = stage_move_errors(pipeline, None, state)
    if errors:
        raise ValidationFailed(errors)
    closing = pipeline.get(state["stage"]).closed
    await Deal.insert(
        Deal(
            id=deal_id,
            **_columns(state),
            stage_entered_at=at,
            closed_at=at if closing else None,
            created_at=at,
            server_seq=await next_server_seq(),
        )
    )
    await _record_move(deal_id, None, state["stage"], at, actor)
    await audit.record(actor, "create", "deal", deal_id, after=state)


async def _update(
    actor: Actor,
    current: dict[str, Any],
    fields: dict[str, Any],
    at: dt.datetime,
    pipeline: Pipeline,
) -> None:
    if not await Customer.exists().where(visible_to(actor) & (Customer.id == current["customer"])):
        raise NotFound("deal")
    if actor.role == "rep" and current["owner"] != actor.id:
        raise Forbidden("deal.not_owner")
    values = clean_deal_fields(fields, creating=False, pipeline=pipeline)
    before = _state(current)
    after = {**before, **values}
    errors = []
    if after["customer_id"] != before["customer_id"]:
        errors.append(FieldError("customer_id", "field.read_only"))
    if after["owner_id"] != before["owner_id"]:
        await _check_reassign(actor, after["owner_id"])
    moving = after["stage"] != before["stage"]
    if moving:
        if before["stage"] == LOST and "lost_reason" not in values:
            after["lost_reason"] = None  # reopened: the old reason no longer applies
        errors += stage_move_errors(pipeline, before["stage"], after)
    if errors:
        raise ValidationFailed(errors)
    old, new = audit.changed_fields(before, after)
    if not new:
        return
    columns = _columns(new)
    if moving:
        at = max(at, current["stage_entered_at"])
        columns.update(
            stage_entered_at=at, closed_at=at if pipeline.get(after["stage"]).closed else None
        )
        await _record_move(current["id"], before["stage"], after["stage"], at, actor)
    columns["server_seq"] = await next_server_seq()
    await Deal.update(columns).where(Deal.id == current["id"])
    await audit.record(actor, "update", "deal", current["id"], before=old, after=new)


async def _record_move(
    deal_id: uuid.UUID, from_stage: str | None, to_stage: str, at: dt.datetime, actor: Actor
) -> None:
    await DealStageChange.insert(
        DealStageChange(
            deal=deal_id, from_stage=from_stage, to_stage=to_stage, changed_at=at, actor=actor.id
        )
    )


async def _owner_for_new_deal(actor: Actor, requested: int | None) -> int | None:
    if requested != actor.id:
        await _check_reassign(actor, requested)
    return requested


async def _check_reassign(actor: Actor, owner_id: int | None) -> None:
    """Reps own what they create and cannot hand deals over; managers assign within their
    team; admins to any active user. None leaves the deal unassigned (managers, admins)."""
    if not actor.is_manager_or_admin:
        raise Forbidden("auth.forbidden")
    if owner_id is None:
        return
    row = await User.select(User.team).where((User.id == owner_id) & User.active.eq(True)).first()
    if row is None:
        raise ValidationFailed([FieldError("owner_id", "user.unknown")])
    if actor.role == "manager" and row["team"] != actor.team_id:
        raise ValidationFailed([FieldError("owner_id", "deal.owner.other_team")])
