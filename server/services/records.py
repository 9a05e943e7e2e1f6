"""REST writes of contacts, follow-ups and activities — through the same write path as sync."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from piccolo.engine.base import Engine

import sync
from server.db.tables import Customer, FollowUp
from server.domain.access import Actor
from server.domain.errors import FieldError, NotFound, ValidationFailed
from server.services import changes
from server.services.entities import ENTITIES, Checks
from server.services.scope import visible_to


async def write(
    engine: Engine,
    actor: Actor,
    entity: str,
    record_id: str | None,
    data: dict[str, Any],
    checks: Checks,
) -> dict[str, Any]:
    """Create (no `record_id`) or update one record from a REST body; returns its values."""
    if record_id is None:
        record_id = str(data.pop("id", None) or uuid.uuid4())
    elif not await _exists(entity, record_id):
        raise NotFound(entity)
    applied = await changes.apply_change(
        engine, actor, entity, record_id,
        lambda state: changes.rest_change(entity, record_id, state, data), checks,
    )  # fmt: skip
    return {"id": record_id, **applied.record["values"]}


async def delete(engine: Engine, actor: Actor, entity: str, record_id: str, checks: Checks) -> None:
    if not await _exists(entity, record_id):
        raise NotFound(entity)

    def tombstone(state: sync.RecordState) -> sync.Change:
        return changes.rest_change(entity, record_id, state, {}, sync.edits.delete(state))

    await changes.apply_change(engine, actor, entity, record_id, tombstone, checks)


async def _exists(entity: str, record_id: str) -> bool:
    try:
        key = uuid.UUID(record_id)
    except ValueError:
        raise ValidationFailed([FieldError("id", "type.invalid", {"detail": "UUID"})]) from None
    table = ENTITIES[entity].table
    return await table.exists().where(table.id == key)


DUE_FILTERS = ("overdue", "today", "upcoming", "all")


async def follow_ups(
    actor: Actor, due: str, day_start: dt.datetime, day_end: dt.datetime, limit: int = 200
) -> list[dict[str, Any]]:
    """Open follow-ups of customers the user may see: a rep's own, a manager's team's.
    `day_start`/`day_end` bound "today" in the user's time zone."""
    where = (
        FollowUp.deleted.eq(False)
        & FollowUp.done_at.is_null()
        & FollowUp.customer.is_in(Customer.select(Customer.id).where(visible_to(actor)))
    )
    if actor.role == "rep":
        where &= FollowUp.owner == actor.id
    if due == "overdue":
        where &= FollowUp.due_at < day_start
    elif due == "today":
        where &= (FollowUp.due_at >= day_start) & (FollowUp.due_at < day_end)
    elif due == "upcoming":
        where &= FollowUp.due_at >= day_end
    return (
        await FollowUp.select(
            FollowUp.id,
            FollowUp.title,
            FollowUp.due_at,
            FollowUp.owner,
            FollowUp.customer.as_alias("customer_id"),
            FollowUp.customer.name.as_alias("customer_name"),
        )
        .where(where)
        .order_by(FollowUp.due_at)
        .limit(limit)
    )
