"""Customer use cases: scoped queries, create/update/delete with audit, the 360° view.

Every function takes the acting user and applies the access rules of server/domain/access.py
in SQL, so a record a user may not see is simply "not found".
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from piccolo.engine.base import Engine

import sync
from server.db.engine import write_transaction
from server.db.sync_tables import SyncRemoval
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
from server.domain.customers import REQUIRABLE_FIELDS, CustomerRules
from server.domain.dedup import DuplicateCheck
from server.domain.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidValue,
    NotFound,
    ValidationFailed,
)
from server.domain.normalize import clean_text, normalize_phone
from server.domain.regions import normalize_region
from server.services import assignment, audit, changes, dedup
from server.services.entities import Checks
from server.services.scope import in_scope, require_visible, visible_to  # noqa: F401 - re-exported
from server.services.sequence import lock_writes, next_server_seq

REQUIRED_FIELDS_SETTING = "required_fields.customer"
MAX_PAGE_SIZE = 100


# ---- rules ---------------------------------------------------------------------------------


async def load_checks(phone_region: str) -> Checks:
    return Checks(customer_rules=await load_rules(phone_region))


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
    skipped = (max(page, 1) - 1) * per_page
    if 0 < len(rows) < per_page or (page == 1 and not rows):
        return rows, skipped + len(rows)  # the last page tells the total: no second scan
    return rows, await capped_count(where)


COUNT_CAP = 1000


async def capped_count(where: Any, cap: int = COUNT_CAP) -> int:
    """How many rows match, counted up to `cap` + 1: a page says "1000+" rather than
    scanning a whole 100k-row team just to print an exact total."""
    first_ids = Customer.select(Customer.id).where(where).limit(cap + 1)
    return await Customer.count().where(Customer.id.is_in(first_ids))


async def get_customer(actor: Actor, customer_id: uuid.UUID) -> dict[str, Any]:
    row = await (
        Customer.select(*Customer.all_columns(), Customer.owner.display_name.as_alias("owner_name"))
        .where(visible_to(actor) & (Customer.id == customer_id))
        .first()
    )
    if row is None:
        raise NotFound("customer")
    return row


# ---- writes (all through the one write path, server/services/changes.py) ------------------


def _owner_for_new_customer(actor: Actor, requested: int | None) -> int:
    if requested is None or requested == actor.id:
        return actor.id
    if not actor.is_manager_or_admin:
        raise Forbidden("auth.forbidden")
    return requested


async def _team_of(user_id: int) -> int | None:
    row = await User.select(User.team).where((User.id == user_id) & User.active.eq(True)).first()
    if row is None:
        raise ValidationFailed([FieldError("owner_id", "user.unknown")])
    return row["team"]


async def create_customer(
    engine: Engine,
    actor: Actor,
    data: dict[str, Any],
    checks: Checks,
    owner_id: int | None = None,
    customer_id: uuid.UUID | None = None,
    reason: str = "create",
    assign_by_rules: bool = True,
    duplicates: DuplicateCheck | None = None,
) -> dict[str, Any]:
    """Create through the write path as the acting user, then hand it to `owner_id` if a
    manager named another owner. A manager's or admin's customer without a named owner goes
    through the assignment rules (`assign_by_rules=False`: the caller does a batch itself)."""
    owner = _owner_for_new_customer(actor, owner_id)
    owner_team = await _team_of(owner) if owner != actor.id else actor.team_id
    record_id = str(customer_id or uuid.uuid4())
    if await Customer.exists().where(Customer.id == uuid.UUID(record_id)):
        raise Conflict("record.exists")
    async with write_transaction(engine):
        await changes.apply_change(
            engine, actor, "customer", record_id,
            lambda state: changes.rest_change("customer", record_id, state, data), checks,
        )  # fmt: skip
        if owner != actor.id or reason != "create":
            await _set_owner(uuid.UUID(record_id), owner, owner_team, actor, reason)
        if assign_by_rules and assignment.goes_through_rules(actor, owner_id):
            await assignment.assign_new_leads(engine, actor, [uuid.UUID(record_id)])
        # 撞单 / likely duplicate: raising here rolls the whole create back (409).
        await dedup.refuse_duplicates(actor, uuid.UUID(record_id), duplicates)
    return await get_customer(actor, uuid.UUID(record_id))


async def _set_owner(
    customer_id: uuid.UUID, owner: int, team: int | None, actor: Actor, reason: str
) -> None:
    await Customer.update(
        {Customer.owner: owner, Customer.team: team, Customer.server_seq: await next_server_seq()}
    ).where(Customer.id == customer_id)
    await OwnerChange.update({OwnerChange.to_owner: owner, OwnerChange.reason: reason}).where(
        OwnerChange.customer == customer_id
    )


async def update_customer(
    engine: Engine,
    actor: Actor,
    customer_id: uuid.UUID,
    data: dict[str, Any],
    checks: Checks,
    duplicates: DuplicateCheck | None = None,
) -> dict[str, Any]:
    async with write_transaction(engine):
        await lock_writes()  # a merge in progress commits first, so the next line sees it
        customer_id = await dedup.follow_merges(customer_id)  # an edit sent after a merge
        await require_visible(actor, customer_id)
        record_id = str(customer_id)
        await changes.apply_change(
            engine, actor, "customer", record_id,
            lambda state: changes.rest_change("customer", record_id, state, data), checks,
        )  # fmt: skip
        await dedup.refuse_duplicates(actor, customer_id, duplicates, changed=data)
    return await get_customer(actor, customer_id)


async def delete_customer(
    engine: Engine, actor: Actor, customer_id: uuid.UUID, checks: Checks
) -> None:
    """A tombstone, not a hard delete: devices learn of it through sync and it can be undone."""
    await require_visible(actor, customer_id)
    record_id = str(customer_id)

    def tombstone(state: sync.RecordState) -> sync.Change:
        return changes.rest_change("customer", record_id, state, {}, sync.edits.delete(state))

    await changes.apply_change(engine, actor, "customer", record_id, tombstone, checks)


async def restore_customer(
    engine: Engine, actor: Actor, customer_id: uuid.UUID, checks: Checks
) -> dict[str, Any]:
    """Undo a delete (the owner, their manager or an admin)."""
    record_id = str(customer_id)

    def revive(state: sync.RecordState) -> sync.Change:
        return changes.rest_change("customer", record_id, state, {}, sync.edits.undelete(state))

    await changes.apply_change(engine, actor, "customer", record_id, revive, checks)
    return await get_customer(actor, customer_id)


async def share_customer(
    engine: Engine, actor: Actor, customer_id: uuid.UUID, user_id: int, shared: bool
) -> None:
    async with write_transaction(engine):
        existing = await require_visible(actor, customer_id)
        if actor.role == "rep" and existing["owner"] != actor.id:
            raise Forbidden("auth.forbidden")
        await _team_of(user_id)
        already = CustomerShare.customer == customer_id
        await CustomerShare.delete().where(already & (CustomerShare.user == user_id))
        seq = await next_server_seq()
        if shared:
            await CustomerShare(customer=customer_id, user=user_id).save()
        else:
            await SyncRemoval(user=user_id, customer_id=str(customer_id), seq=seq).save()
        await Customer.update({Customer.server_seq: seq}).where(Customer.id == customer_id)
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
        .where(  # its own trail and that of every record merged into it
            (AuditLog.entity == "customer")
            & AuditLog.record_id.is_in(await dedup.merged_history_ids(of_customer))
        )
        .order_by(AuditLog.id, ascending=False)
        .limit(100),
    }
