"""The one write path for synced records: every edit — a device's offline change or a REST
call — is a `sync.Change` applied here, so both merge by the same rules.

Inside one write transaction: take the next server sequence number first (its counter row
is the write lock that keeps sequence order = commit order), read the row, check access,
merge with `sync.apply`, check the merged record, write values + field versions, store
conflicts and an audit row. Any error rolls the whole change back.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from piccolo.engine.base import Engine

import sync
from server.db.engine import write_transaction
from server.db.sync_tables import SyncConflict
from server.db.tables import Customer, CustomerShare, OwnerChange
from server.domain.access import Actor, can_see_customer
from server.domain.clock import utcnow
from server.domain.errors import FieldError, Forbidden, NotFound, ValidationFailed
from server.services import audit
from server.services.entities import (
    CUSTOMER,
    ENTITIES,
    Checks,
    Entity,
    column_values,
    creation_defaults,
    derived_columns,
    normalize_set_elements,
    normalize_values,
    raise_if,
    record_errors,
    record_values,
)
from server.services.sequence import next_server_seq

# Stamps for rows written before they had field versions (demo data, imports): older than
# any real edit, so every real edit wins over them.
LEGACY_HLC = "0000000000000:00000:legacy"
# REST edits are stamped by this process's clock; a per-process node keeps stamps unique.
SERVER_NODE = f"server-{os.getpid()}-{uuid.uuid4().hex[:6]}"
server_clock = sync.HybridClock(SERVER_NODE)

ChangeBuilder = Callable[[sync.RecordState], sync.Change]
# Called with the columns of a customer about to be created; raises to refuse it.
BeforeCreate = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Applied:
    """What happened to one change."""

    entity: str
    record_id: str
    seq: int | None  # None when the change was already fully known (nothing written)
    record: dict[str, Any]  # the record as pull shows it, after the change
    conflicts: list[dict[str, Any]]


def entity_for(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise sync.InvalidChange("entity.unknown", entity=name) from None


# ---- state ⇄ row ---------------------------------------------------------------------------


def _legacy_state(entity: Entity, row: dict[str, Any]) -> sync.RecordState:
    """A row without field versions becomes a state whose fields were all written at
    LEGACY_HLC, so merging treats them like any other (old) write."""
    values = record_values(entity, row)
    fields: dict[str, sync.FieldOp] = {}
    for name, value in values.items():
        rule = entity.schema.rules[name]
        fields[name] = sync.UpdateSet(add=value) if rule is sync.Rule.SET else sync.SetValue(value)
    state = sync.RecordState.empty(entity.schema)
    if fields:
        seed = sync.Change("legacy", entity.name, str(row["id"]), "legacy", LEGACY_HLC, fields)
        state = sync.apply(state, seed).state
    if row.get("deleted"):
        state = sync.apply(state, _record_op(entity, row, sync.edits.delete(state))).state
    return state


def _record_op(entity: Entity, row: dict[str, Any], op: sync.RecordOp) -> sync.Change:
    return sync.Change("legacy-del", entity.name, str(row["id"]), "legacy", LEGACY_HLC, record=op)


def state_of(entity: Entity, row: dict[str, Any] | None) -> sync.RecordState:
    if row is None:
        return sync.RecordState.empty(entity.schema)
    versions = row.get("field_versions")
    versions = json.loads(versions) if isinstance(versions, str) else versions
    if not versions:
        return _legacy_state(entity, row)
    return sync.RecordState.from_parts(entity.schema, record_values(entity, row), versions)


def record_out(entity: Entity, row: dict[str, Any], state: sync.RecordState) -> dict[str, Any]:
    """The record as devices receive it (push results and pull)."""
    values, versions = state.to_parts()
    out = {
        "entity": entity.name,
        "id": str(row["id"]),
        "seq": row.get("server_seq"),
        "deleted": not state.alive,
        "values": values,
        "versions": versions,
    }
    if entity is CUSTOMER:
        out["owner_id"] = row.get("owner")
        out["last_contact_at"] = _iso(row.get("last_contact_at"))
    return out


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


# ---- access --------------------------------------------------------------------------------


async def _shares_of(actor: Actor) -> set[str]:
    """Ids of customers shared with a rep (cached for the batch, see `access_cache`)."""
    cache = _shares_cache.get()
    if cache is not None and actor.id in cache:
        return cache[actor.id]
    rows = await CustomerShare.select(CustomerShare.customer).where(CustomerShare.user == actor.id)
    shared = {str(r["customer"]) for r in rows}
    if cache is not None:
        cache[actor.id] = shared
    return shared


_shares_cache: contextvars.ContextVar[dict[int, set[str]] | None] = contextvars.ContextVar(
    "shares_cache", default=None
)
# Rows of the batch, read once and kept up to date with what the batch writes.
_rows_cache: contextvars.ContextVar[dict[tuple[str, str], dict[str, Any] | None] | None] = (
    contextvars.ContextVar("rows_cache", default=None)
)


@contextlib.asynccontextmanager
async def batch(entity_ids: dict[str, list[str]]) -> AsyncIterator[None]:
    """For many changes in one transaction: read their rows in one query per entity, keep
    each rep's shares, and insert audit rows together at the end."""
    rows: dict[tuple[str, str], dict[str, Any] | None] = {}
    for name, ids in entity_ids.items():
        entity = ENTITIES.get(name)
        keys = [_uuid_or_none(i) for i in ids]
        keys = [k for k in keys if k is not None]
        if entity is None or not keys:
            continue
        for row in await entity.table.select().where(entity.table.id.is_in(keys)):
            rows[(name, str(row["id"]))] = row
        for key in keys:
            rows.setdefault((name, str(key)), None)
    tokens = (_shares_cache.set({}), _rows_cache.set(rows))
    try:
        async with audit.buffered():
            yield
    finally:
        _shares_cache.reset(tokens[0])
        _rows_cache.reset(tokens[1])


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def _require_customer_access(actor: Actor, customer: dict[str, Any] | None) -> None:
    """The rule of server/domain/access.py applied to a loaded row (no second query)."""
    if customer is None:
        raise NotFound("customer")
    shared = await _shares_of(actor) if actor.role == "rep" else set()
    # The rule only asks whether it is shared with this actor.
    shared_with = {actor.id} if str(customer["id"]) in shared else set()
    if not can_see_customer(actor, customer["owner"], customer["team"], shared_with):
        raise NotFound("customer")


async def _parent_customer(customer_id: Any) -> dict[str, Any] | None:
    return (
        await Customer.select(Customer.id, Customer.owner, Customer.team, Customer.deleted)
        .where(Customer.id == uuid.UUID(str(customer_id)))
        .first()
    )


async def _authorize(actor: Actor, entity: Entity, row: dict | None, change: sync.Change) -> None:
    """Same rules as the REST API: see/change only what your role scopes you to."""
    if entity is CUSTOMER:
        if row is not None:
            await _require_customer_access(actor, row)
            deleting = isinstance(change.record, sync.Delete)
            if deleting and actor.role == "rep" and row["owner"] != actor.id:
                raise Forbidden("auth.forbidden")  # a rep it was shared with may edit, not delete
        return
    if row is not None:
        if entity.immutable and change.fields:
            raise Forbidden(f"{entity.name}.immutable")
        await _require_live_parent(actor, row["customer"])
    target = change.fields.get("customer_id")
    if isinstance(target, sync.SetValue) and target.value is not None:
        await _require_live_parent(actor, target.value)


async def _require_live_parent(actor: Actor, customer_id: Any) -> None:
    parent = await _parent_customer(customer_id)
    await _require_customer_access(actor, None if parent is None or parent["deleted"] else parent)


# ---- normalization of what a change sets ---------------------------------------------------


def _with_creation_defaults(entity: Entity, change: sync.Change) -> sync.Change:
    defaults = creation_defaults(entity, sync.HLC.parse(change.hlc).wall_ms)
    missing = {k: sync.SetValue(v) for k, v in defaults.items() if k not in change.fields}
    return msgspec.structs.replace(change, fields={**missing, **change.fields})


def _normalized(entity: Entity, change: sync.Change, checks: Checks) -> sync.Change:
    """The change with every value checked and normalized exactly as the REST API does
    (phones to E.164, regions to codes …), so replicas converge on clean values."""
    lww = {n: op.value for n, op in change.fields.items() if isinstance(op, sync.SetValue)}
    for name in lww:
        entity.schema.rule_for(name)  # unknown field → "field.unknown" before value checks
    clean = normalize_values(entity, lww, checks) if lww else {}
    fields: dict[str, sync.FieldOp] = {}
    for name, op in change.fields.items():
        if isinstance(op, sync.SetValue):
            fields[name] = sync.SetValue(clean[name])
        elif isinstance(op, sync.UpdateSet):
            fields[name] = sync.UpdateSet(
                add=normalize_set_elements(op.add), remove=normalize_set_elements(op.remove)
            )
        else:
            fields[name] = op
    return msgspec.structs.replace(change, fields=fields)


# ---- the write -----------------------------------------------------------------------------


def record_key(record_id: str) -> uuid.UUID:
    """A record id from the wire as a UUID (a field error otherwise)."""
    key = _uuid_or_none(record_id)
    if key is None:
        detail = {"detail": "record_id must be a UUID"}
        raise ValidationFailed([FieldError("record_id", "type.invalid", detail)])
    return key


async def _load_row(entity: Entity, record_id: str) -> dict[str, Any] | None:
    key = record_key(record_id)
    cache = _rows_cache.get()
    if cache is not None and (entity.name, str(key)) in cache:
        return cache[(entity.name, str(key))]
    return await entity.table.select().where(entity.table.id == key).first()


def _remember_row(entity: Entity, record_id: str, row: dict[str, Any]) -> None:
    cache = _rows_cache.get()
    if cache is not None:
        cache[(entity.name, str(uuid.UUID(record_id)))] = row


def _every_field(entity: Entity, values: dict[str, Any]) -> dict[str, Any]:
    """Every synced field, None where the record has no value (so the column is cleared)."""
    return {name: values.get(name) for name in entity.schema.rules}


def _new_row_preview(
    entity: Entity, actor: Actor, record_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """The columns a new record will be stored with, for checks that must run first."""
    return {
        **column_values(entity, _every_field(entity, values)),
        **derived_columns(entity, values),
        **_creation_columns(entity, actor, utcnow()),
        "id": uuid.UUID(record_id),
    }


def _creation_columns(entity: Entity, actor: Actor, now: dt.datetime) -> dict[str, Any]:
    """Server-owned columns of a new record: who owns it, who wrote it."""
    if entity is CUSTOMER:
        return {"owner": actor.id, "team": actor.team_id, "created_by": actor.id, "created_at": now}
    if entity.name == "follow_up":
        return {"owner": actor.id, "created_at": now}
    if entity.name == "activity":
        return {"author": actor.id, "created_at": now}
    return {"created_at": now}


async def write_row(
    entity: Entity,
    actor: Actor,
    row: dict[str, Any] | None,
    record_id: str,
    state: sync.RecordState,
    seq: int,
    changed: tuple[str, ...] | None = None,
) -> None:
    """Store `state` as the record's row. `changed`: the only fields an update touched
    (None: write every field) — narrower UPDATEs make a sync batch markedly cheaper."""
    values, versions = state.to_parts()
    fields = _every_field(entity, values)
    if row is not None and changed is not None:
        fields = {name: fields[name] for name in changed}
    columns = {
        **column_values(entity, fields),
        **derived_columns(entity, values),
        "server_seq": seq,
    }
    if hasattr(entity.table, "field_versions"):  # append-only records never need them again
        columns["field_versions"] = json.dumps(versions, ensure_ascii=False)
    if hasattr(entity.table, "deleted"):  # append-only tables have no tombstone column
        columns["deleted"] = not state.alive
    now = utcnow()
    if entity is CUSTOMER:
        columns["updated_at"] = now
        for name, empty in (("tags", "[]"), ("custom", "{}")):  # JSON columns hold no NULL
            if (row is None or name in columns) and columns.get(name) is None:
                columns[name] = empty
    table = entity.table
    if row is None:
        columns.update(_creation_columns(entity, actor, now))
        new_row = table(id=uuid.UUID(record_id), **columns)
        await table.insert(new_row)
        _remember_row(entity, record_id, new_row.to_dict())
        await _after_create(entity, actor, record_id, values, now)
    else:
        await table.update(columns).where(table.id == row["id"])
        _remember_row(entity, record_id, {**row, **columns})


async def _after_create(
    entity: Entity, actor: Actor, record_id: str, values: dict[str, Any], now: dt.datetime
) -> None:
    if entity is CUSTOMER:
        await OwnerChange(
            customer=uuid.UUID(record_id), to_owner=actor.id, actor=actor.id, reason="create"
        ).save()
    elif entity.name == "activity":
        # A logged visit/call is the customer's latest contact; devices learn it via the bump.
        occurred = dt.datetime.fromisoformat(values["occurred_at"])
        customer = uuid.UUID(values["customer_id"])
        await Customer.update(
            {Customer.last_contact_at: occurred, Customer.server_seq: await next_server_seq()}
        ).where(
            (Customer.id == customer)
            & (Customer.last_contact_at.is_null() | (Customer.last_contact_at < occurred))
        )


def _conflict_digest(conflict: sync.Conflict) -> str:
    return hashlib.sha256("|".join(conflict.key).encode()).hexdigest()


async def store_conflicts(conflicts: tuple[sync.Conflict, ...]) -> list[dict[str, Any]]:
    stored = []
    for conflict in conflicts:
        digest = _conflict_digest(conflict)
        if await SyncConflict.exists().where(SyncConflict.conflict_key == digest):
            continue
        await SyncConflict(
            conflict_key=digest,
            entity=conflict.entity,
            record_id=conflict.record_id,
            field=conflict.field,
            loser=json.dumps(conflict.loser.to_dict(), ensure_ascii=False),
            winner=json.dumps(conflict.winner.to_dict(), ensure_ascii=False),
            loser_actor=_actor_id(conflict.loser.actor),
            winner_actor=_actor_id(conflict.winner.actor),
        ).save()
        stored.append(conflict.to_dict())
    return stored


def _actor_id(actor: str | None) -> int | None:
    return int(actor) if actor and actor.isdigit() else None


def _audit_action(row: dict | None, before: sync.RecordState, after: sync.RecordState) -> str:
    if row is None:
        return "create"
    if before.alive and not after.alive:
        return "delete"
    if not before.alive and after.alive:
        return "undelete"
    return "update"


async def apply_change(
    engine: Engine,
    actor: Actor,
    entity_name: str,
    record_id: str,
    build: ChangeBuilder,
    checks: Checks,
    now_ms: int | None = None,
    before_create: BeforeCreate | None = None,
) -> Applied:
    """Apply the change `build` makes from the record's current state (a device's change
    ignores the state; a REST edit derives set diffs and base versions from it)."""
    entity = entity_for(entity_name)
    async with write_transaction(engine):
        seq = await next_server_seq()
        row = await _load_row(entity, record_id)
        before = state_of(entity, row)
        change = build(before)
        sync.check_skew(sync.HLC.parse(change.hlc), now_ms or sync.wall_clock_ms())
        if row is None and change.fields:
            change = _with_creation_defaults(entity, change)
        change = msgspec.structs.replace(_normalized(entity, change, checks), actor=str(actor.id))
        await _authorize(actor, entity, row, change)
        if row is None and change.record is not None and not change.fields:
            raise NotFound(entity.name)  # deleting/undeleting something that never existed
        result = sync.apply(before, change)
        server_clock.receive(sync.HLC.parse(change.hlc))
        if not result.changed:  # already known, or lost everywhere: only conflicts to keep
            conflicts = await store_conflicts(result.conflicts)
            current = record_out(entity, row or {"id": record_id}, before)
            return Applied(entity.name, record_id, None, current, conflicts)
        values, _ = result.state.to_parts()
        changed = None if row is None else set(result.accepted)
        raise_if(record_errors(entity, values, changed, checks) if result.state.alive else [])
        if row is None and before_create is not None:
            await before_create(_new_row_preview(entity, actor, record_id, values))
        await write_row(entity, actor, row, record_id, result.state, seq, result.accepted)
        conflicts = await store_conflicts(result.conflicts)
        old_values = before.values()
        await audit.record(
            actor,
            _audit_action(row, before, result.state),
            entity.name,
            record_id,
            before={k: old_values.get(k) for k in result.accepted} if row else None,
            after={k: values.get(k) for k in result.accepted},
        )
    # The row as written, without reading it back: the old row updated by what we wrote.
    saved = {**(row or {"id": record_id}), "server_seq": seq}
    if entity is CUSTOMER and row is None:
        saved["owner"] = actor.id
    return Applied(entity.name, record_id, seq, record_out(entity, saved, result.state), conflicts)


async def restamp_versions(entity: Entity, record_id: uuid.UUID, before: sync.RecordState) -> None:
    """After a write made outside `apply_change` (the deals service), give the fields whose
    value changed a fresh server version, so later device edits merge against them."""
    row = await entity.table.select().where(entity.table.id == record_id).first()
    if row is None:
        return
    values = record_values(entity, row)
    changed = {
        name: values.get(name)
        for name in entity.schema.rules
        if values.get(name) != before.value(name)
    }
    state = before
    if changed:
        change = rest_change(entity.name, str(record_id), before, changed)
        state = sync.apply(before, change).state
    if bool(row.get("deleted")) == state.alive:  # a delete/undelete made by the service
        record_op = sync.edits.delete(state) if state.alive else sync.edits.undelete(state)
        state = sync.apply(
            state, rest_change(entity.name, str(record_id), state, {}, record_op)
        ).state
    _, versions = state.to_parts()
    await entity.table.update({entity.table.field_versions: json.dumps(versions)}).where(
        entity.table.id == record_id
    )


# ---- REST edits as changes -----------------------------------------------------------------


def rest_change(
    entity: str,
    record_id: str,
    state: sync.RecordState,
    values: dict[str, Any],
    record: sync.RecordOp | None = None,
) -> sync.Change:
    """A REST edit as a change: set fields are LWW writes, a set field's new value becomes
    adds/removes against what the editor saw, and the editor saw the current versions."""
    fields: dict[str, sync.FieldOp] = {}
    for name, value in values.items():
        if state.schema.rule_for(name) is sync.Rule.SET:
            current = set(state.value(name) or [])
            wanted = set(normalize_set_elements(list(value or [])))
            if wanted != current:
                fields[name] = sync.UpdateSet(
                    add=sorted(wanted - current), remove=sorted(current - wanted)
                )
        else:
            fields[name] = sync.SetValue(value)
    return sync.Change(
        op_id=f"rest-{uuid.uuid4().hex}",
        entity=entity,
        record_id=record_id,
        device_id=SERVER_NODE,
        hlc=str(server_clock.now()),
        fields=fields,
        record=record,
        base_versions=state.versions(),
    )
