"""Which customers a user's role reaches, as SQL conditions (rules: server/domain/access.py)."""

from __future__ import annotations

import uuid
from typing import Any

from piccolo.columns.combination import Where

from server.db.tables import Customer, CustomerShare
from server.domain.access import Actor
from server.domain.errors import NotFound


def in_scope(actor: Actor) -> Where | Any:
    """SQL condition for the customers `actor`'s role reaches, tombstones included (sync
    must send deletes of records the device has)."""
    if actor.is_admin:
        return Customer.id.is_not_null()
    if actor.role == "manager":
        return Customer.team == actor.team_id
    shared = CustomerShare.select(CustomerShare.customer).where(CustomerShare.user == actor.id)
    return (Customer.owner == actor.id) | Customer.id.is_in(shared)


def visible_to(actor: Actor) -> Where | Any:
    """SQL condition for the live customers `actor` may see."""
    return Customer.deleted.eq(False) & in_scope(actor)


async def require_visible(actor: Actor, customer_id: uuid.UUID) -> dict[str, Any]:
    row = await Customer.select().where(visible_to(actor) & (Customer.id == customer_id)).first()
    if row is None:
        raise NotFound("customer")
    return row
