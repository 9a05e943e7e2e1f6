"""Customer use cases: scoped queries, create/update/delete with audit, the 360° view.

Every function takes the acting user and applies the access rules of server/domain/access.py
in SQL, so a record a user may not see is simply "not found".
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import Where
from piccolo.engine.base import Engine

from server.db.tables import (
    Activity,
    AuditLog,
    Contact,
    Contract,
    Customer,
    CustomerShare,
    CustomFieldDef,
    Deal,
    FollowUp,
    OwnerChange,
    Setting,
    Ticket,
    User,
)
from server.domain.access import Actor
from server.domain.custom_fields import CustomFieldSpec
from server.domain.customers import REQUIRABLE_FIELDS, CustomerRules, validate_customer
from server.domain.errors import FieldError, Forbidden, InvalidValue, NotFound, ValidationFailed
from server.domain.normalize import clean_text, normalize_phone
from server.domain.regions import normalize_region
from server.services import audit
from server.services.sequence import next_server_seq

REQUIRED_FIELDS_SETTING = "required_fields.customer"
MAX_PAGE_SIZE = 100


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---- scoping -------------------------------------------------------------------------------


def visible_to(actor: Actor) -> Where | Any:
    """SQL condition for the customers `actor` may see (tombstones excluded)."""
    alive = Customer.deleted.eq(False)
    if actor.is_admin:
        return alive
    if actor.role == "manager":
        return alive & (Customer.team == actor.team_id)
    shared = CustomerShare.select(CustomerShare.customer).where(CustomerShare.user == actor.id)
    return alive & ((Customer.owner == actor.id) | Customer.id.is_in(shared))


async def require_visible(actor: Actor, customer_id: uuid.UUID) -> dict[str, Any]:
    row = await Customer.select().where(visible_to(actor) & (Customer.id == customer_id)).first()
    if row is None:
        raise NotFound("customer")
    return row


# ---- rules ---------------------------------------------------------------------------------


async def load_rules(phone_region: str) -> CustomerRules:
    setting = await Setting.select(Setting.value).where(Setting.key == REQUIRED_FIELDS_SETTING)
    extra = json.loads(setting[0]["value"]) if setting else []
    specs = await CustomFieldDef.select().where(CustomFieldDef.entity == "customer")
    return CustomerRules(
        phone_region=phone_region,
        extra_required=tuple(f for f in extra or [] if f in REQUIRABLE_FIELDS),
        custom_fields=tuple(
            CustomFieldSpec(
                key=s["key"],
                field_type=s["field_type"],
                choices=tuple(
                    json.loads(s["choices"]) if isinstance(s["choices"], str) else s["choices"]
                ),
                required=s["required"],
            )
            for s in specs
        ),
    )


# ---- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerFilter:
    q: str | None = None
    phone: str | None = None
    region: str | None = None
    grade: str | None = None
    lifecycle: str | None = None
    owner_id: int | None = None
    tag: str | None = None


def filter_where(actor: Actor, flt: CustomerFilter, phone_region: str) -> Any:
    where = visible_to(actor)
    if flt.q:
        # name_key is case-folded and suffix-free; the raw name catches a name typed in full.
        needle = clean_text(flt.q).replace("%", "").replace("_", "")
        by_key = Customer.name_key.like(f"%{needle.casefold()}%")
        where &= by_key | Customer.name.like(f"%{needle}%")
    if flt.phone:
        where &= _phone_condition(flt.phone, phone_region)
    if flt.region:
        code = _region_or_error(flt.region)
        where &= (Customer.region_code == code) | Customer.region_code.like(f"{code}-%")
    if flt.grade:
        where &= Customer.grade == flt.grade.upper()
    if flt.lifecycle:
        where &= Customer.lifecycle == flt.lifecycle
    if flt.owner_id is not None:
        where &= Customer.owner == flt.owner_id
    if flt.tag:
        where &= Customer.tags.like(f"%{json.dumps(clean_text(flt.tag), ensure_ascii=False)}%")
    return where


def _phone_condition(raw: str, phone_region: str) -> Any:
    """A full number matches exactly on E.164; a fragment of digits matches anywhere."""
    try:
        return Customer.phone == normalize_phone(raw, phone_region)
    except InvalidValue:
        digits = "".join(ch for ch in clean_text(raw) if ch.isdigit())
        if len(digits) < 3:
            raise ValidationFailed([FieldError("phone", "phone.invalid")]) from None
        return Customer.phone.like(f"%{digits}%")


def _region_or_error(raw: str) -> str:
    try:
        return normalize_region(raw)
    except InvalidValue as exc:
        raise ValidationFailed([FieldError("region", exc.code)]) from exc


async def list_customers(
    actor: Actor, flt: CustomerFilter, page: int, per_page: int, phone_region: str
) -> tuple[list[dict[str, Any]], int]:
    where = filter_where(actor, flt, phone_region)
    per_page = max(1, min(per_page, MAX_PAGE_SIZE))
    rows = (
        await Customer.select(
            *Customer.all_columns(), Customer.owner.display_name.as_alias("owner_name")
        )
        .where(where)
        .order_by(Customer.updated_at, ascending=False)
        .order_by(Customer.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    total = await Customer.count().where(where)
    return rows, total


async def get_customer(actor: Actor, customer_id: uuid.UUID) -> dict[str, Any]:
    row = await (
        Customer.select(*Customer.all_columns(), Customer.owner.display_name.as_alias("owner_name"))
        .where(visible_to(actor) & (Customer.id == customer_id))
        .first()
    )
    if row is None:
        raise NotFound("customer")
    return row


# ---- writes --------------------------------------------------------------------------------


async def _team_of(user_id: int | None) -> int | None:
    if user_id is None:
        return None
    row = await User.select(User.team).where((User.id == user_id) & User.active.eq(True)).first()
    if row is None:
        raise ValidationFailed([FieldError("owner_id", "user.unknown")])
    return row["team"]


def _owner_for_new_customer(actor: Actor, requested: int | None) -> int:
    if requested is None or requested == actor.id:
        return actor.id
    if not actor.is_manager_or_admin:
        raise Forbidden("auth.forbidden")
    return requested


def _db_values(columns: dict[str, Any]) -> dict[str, Any]:
    """Python values → what the columns store (tags as a JSON string, custom as JSON)."""
    stored = dict(columns)
    if "tags" in stored:
        stored["tags"] = json.dumps(stored["tags"], ensure_ascii=False)
    if "custom" in stored:
        stored["custom"] = json.dumps(stored["custom"], ensure_ascii=False)
    return stored


async def create_customer(
    engine: Engine,
    actor: Actor,
    data: dict[str, Any],
    rules: CustomerRules,
    owner_id: int | None = None,
    customer_id: uuid.UUID | None = None,
    reason: str = "create",
) -> dict[str, Any]:
    columns = validate_customer(data, rules)
    owner = _owner_for_new_customer(actor, owner_id)
    async with engine.transaction():
        team = await _team_of(owner)
        now = utcnow()
        new_id = customer_id or uuid.uuid4()
        values = {
            **_db_values(columns),
            "id": new_id,
            "owner": owner,
            "team": team,
            "created_by": actor.id,
            "created_at": now,
            "updated_at": now,
            "server_seq": await next_server_seq(),
        }
        await Customer.insert(Customer(**values))
        await OwnerChange(
            customer=new_id, from_owner=None, to_owner=owner, actor=actor.id, reason=reason
        ).save()
        await audit.record(actor, "create", "customer", new_id, after=columns)
    return await get_customer(actor, new_id)


async def update_customer(
    engine: Engine, actor: Actor, customer_id: uuid.UUID, data: dict[str, Any], rules: CustomerRules
) -> dict[str, Any]:
    async with engine.transaction():
        existing = await require_visible(actor, customer_id)
        existing_form = {**existing, "tags": json.loads(existing["tags"] or "[]")}
        columns = validate_customer(data, rules, existing=existing_form)
        before, after = audit.changed_fields(existing_form, columns)
        if after:
            await Customer.update(
                {**_db_values(after), "updated_at": utcnow(), "server_seq": await next_server_seq()}
            ).where(Customer.id == customer_id)
            await audit.record(actor, "update", "customer", customer_id, before=before, after=after)
    return await get_customer(actor, customer_id)


async def delete_customer(engine: Engine, actor: Actor, customer_id: uuid.UUID) -> None:
    """Tombstone, not a hard delete: devices learn of it through sync and it can be undone."""
    async with engine.transaction():
        existing = await require_visible(actor, customer_id)
        if actor.role == "rep" and existing["owner"] != actor.id:
            raise Forbidden("auth.forbidden")
        await Customer.update(
            {
                Customer.deleted: True,
                Customer.updated_at: utcnow(),
                Customer.server_seq: await next_server_seq(),
            }
        ).where(Customer.id == customer_id)
        await audit.record(
            actor, "delete", "customer", customer_id, before={"name": existing["name"]}
        )


async def share_customer(
    engine: Engine, actor: Actor, customer_id: uuid.UUID, user_id: int, shared: bool
) -> None:
    async with engine.transaction():
        existing = await require_visible(actor, customer_id)
        if actor.role == "rep" and existing["owner"] != actor.id:
            raise Forbidden("auth.forbidden")
        await _team_of(user_id)
        already = CustomerShare.customer == customer_id
        await CustomerShare.delete().where(already & (CustomerShare.user == user_id))
        if shared:
            await CustomerShare(customer=customer_id, user=user_id).save()
        await Customer.update({Customer.server_seq: await next_server_seq()}).where(
            Customer.id == customer_id
        )
        await audit.record(
            actor,
            "share" if shared else "unshare",
            "customer",
            customer_id,
            after={"user_id": user_id},
        )


# ---- 360° ----------------------------------------------------------------------------------


async def customer_360(actor: Actor, customer_id: uuid.UUID) -> dict[str, Any]:
    profile = await get_customer(actor, customer_id)
    of_customer = customer_id
    return {
        "profile": profile,
        "contacts": await Contact.select()
        .where((Contact.customer == of_customer) & Contact.deleted.eq(False))
        .order_by(Contact.is_primary, ascending=False),
        "activities": await Activity.select(
            *Activity.all_columns(), Activity.author.display_name.as_alias("author_name")
        )
        .where(Activity.customer == of_customer)
        .order_by(Activity.occurred_at, ascending=False)
        .limit(200),
        "deals": await Deal.select()
        .where((Deal.customer == of_customer) & Deal.deleted.eq(False))
        .order_by(Deal.created_at, ascending=False),
        "follow_ups": await FollowUp.select()
        .where((FollowUp.customer == of_customer) & FollowUp.deleted.eq(False))
        .order_by(FollowUp.due_at),
        "contracts": await Contract.select()
        .where(Contract.customer == of_customer)
        .order_by(Contract.end_date, ascending=False),
        "tickets": await Ticket.select()
        .where(Ticket.customer == of_customer)
        .order_by(Ticket.opened_at, ascending=False),
        "owner_history": await OwnerChange.select(
            *OwnerChange.all_columns(),
            OwnerChange.from_owner.display_name.as_alias("from_name"),
            OwnerChange.to_owner.display_name.as_alias("to_name"),
        )
        .where(OwnerChange.customer == of_customer)
        .order_by(OwnerChange.changed_at),
        "audit": await AuditLog.select(
            *AuditLog.all_columns(), AuditLog.actor.display_name.as_alias("actor_name")
        )
        .where((AuditLog.entity == "customer") & (AuditLog.record_id == str(of_customer)))
        .order_by(AuditLog.id, ascending=False)
        .limit(100),
    }
