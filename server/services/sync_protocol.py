"""Push and pull for devices (protocol: docs/SYNC.md).

Push applies each change on its own through the one write path (server/services/changes.py)
and records its op id in the same transaction, so a replay is answered from the record of
the first time and a change is never half-applied. Pull pages through everything the user
may see by server sequence.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec
from piccolo.engine.base import Engine

import sync
from server.db.engine import write_transaction
from server.db.sync_tables import SyncConflict, SyncDevice, SyncOp, SyncRemoval
from server.db.tables import Customer, Deal, User
from server.domain.access import Actor
from server.domain.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from server.services import changes, deals, dedup
from server.services.entities import DEAL, ENTITIES, Checks
from server.services.scope import in_scope
from server.services.sequence import current_server_seq, next_server_seq, sequence_block
from sync.hlc import NODE_PATTERN

MAX_CHANGES_PER_PUSH = 500
DEVICE_ID = re.compile(NODE_PATTERN)


@dataclass
class Rejection:
    """Why one change was refused: an HTTP-like status, a message code, field errors."""

    status: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)


@dataclass
class ChangeResult:
    op_id: str
    status: str  # applied | duplicate | rejected
    seq: int | None = None
    record: dict[str, Any] | None = None
    rejection: Rejection | None = None


def _rejection_for(error: Exception) -> Rejection:
    """Map what the write path refuses with to a per-change 4xx."""
    if isinstance(error, ValidationFailed):
        return Rejection(422, "validation", errors=error.errors)
    if isinstance(error, NotFound):
        return Rejection(404, "not_found")
    if isinstance(error, Forbidden):
        return Rejection(403, error.code, error.params)
    if isinstance(error, Conflict):
        return Rejection(409, error.code, error.params)
    return Rejection(400, error.code, _plain(getattr(error, "params", {}) or {}))


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    """Error parameters as JSON: values JSON can't carry become text."""

    def jsonable(value: Any) -> Any:
        try:
            msgspec.json.encode(value)
        except (TypeError, msgspec.EncodeError):
            return str(value)
        return value

    return {key: jsonable(value) for key, value in params.items()}


def change_digest(change: sync.Change) -> str:
    return hashlib.sha256(msgspec.json.encode(change)).hexdigest()


async def claim_device(actor: Actor, device_id: str) -> None:
    """A device id belongs to the first user who syncs with it; others are refused."""
    if not DEVICE_ID.fullmatch(device_id or ""):
        raise ValidationFailed([FieldError("device_id", "device.invalid")])
    row = await SyncDevice.select(SyncDevice.user).where(SyncDevice.device_id == device_id).first()
    if row is None:
        await SyncDevice.insert(SyncDevice(device_id=device_id, user=actor.id))
    elif row["user"] != actor.id:
        raise Forbidden("device.foreign")


def _replay_answer(actor: Actor, change: sync.Change, seen: dict[str, Any]) -> ChangeResult:
    """The answer for an op id applied before: the same result, or a refusal if reused."""
    if seen["user"] != actor.id or seen["digest"] != change_digest(change):
        return ChangeResult(change.op_id, "rejected", rejection=Rejection(409, "op.reused"))
    return ChangeResult(change.op_id, "duplicate", seq=seen["seq"])


async def _already_applied(raws: list[Any]) -> dict[str, dict[str, Any]]:
    op_ids = [str(raw.get("op_id")) for raw in raws if isinstance(raw, dict) and raw.get("op_id")]
    if not op_ids:
        return {}
    return {row["op_id"]: row for row in await SyncOp.select().where(SyncOp.op_id.is_in(op_ids))}


def _refused(raw: Any, error: Exception) -> ChangeResult:
    op_id = str(raw.get("op_id", "")) if isinstance(raw, dict) else ""
    return ChangeResult(op_id, "rejected", rejection=_rejection_for(error))


def _record_ids(raws: list[Any]) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for raw in raws:
        if isinstance(raw, dict) and isinstance(raw.get("entity"), str):
            ids.setdefault(raw["entity"], []).append(str(raw.get("record_id")))
    return ids


# What a refused change raises; anything else (a database failure) aborts the whole batch.
REFUSALS = (ValidationFailed, NotFound, Forbidden, Conflict, sync.SyncError)


async def push_batch(
    engine: Engine, actor: Actor, device_id: str, raws: list[Any], checks: Checks
) -> tuple[list[ChangeResult], list[dict[str, Any]]]:
    """Apply a device's batch in one transaction. The write path runs every check before it
    writes anything, so a refused change leaves no trace and is reported on its own; the
    accepted ones commit together with their op ids (a replay is answered from those). A
    database failure rolls the whole batch back and the device simply retries it."""
    results: list[ChangeResult] = []
    conflicts: list[dict[str, Any]] = []
    applied_ops: list[SyncOp] = []
    async with write_transaction(engine), sequence_block(), changes.batch(_record_ids(raws)):
        seen = await _already_applied(raws)
        for raw in raws:
            try:
                result, found, op = await _push_one(engine, actor, device_id, raw, checks, seen)
            except REFUSALS as error:
                result, found, op = _refused(raw, error), [], None
            results.append(result)
            conflicts.extend(found)
            if op is not None:
                applied_ops.append(op)
        if applied_ops:
            await SyncOp.insert(*applied_ops)
    return results, conflicts


async def _push_one(
    engine: Engine,
    actor: Actor,
    device_id: str,
    raw: Any,
    checks: Checks,
    seen: dict[str, dict[str, Any]],
) -> tuple[ChangeResult, list[dict[str, Any]], SyncOp | None]:
    if not isinstance(raw, dict):
        raise sync.InvalidChange("change.malformed", detail="a change must be an object")
    change = sync.decode_change(raw)
    if change.device_id != device_id:
        raise sync.InvalidChange("change.device_mismatch", device_id=change.device_id)
    if change.op_id in seen:
        return _replay_answer(actor, change, seen[change.op_id]), [], None
    if change.entity == "deal":
        return await _push_deal(engine, actor, change, device_id)
    before_create = None
    if change.entity == "customer":
        # An edit made offline to a record merged away meanwhile lands on the survivor.
        target = await dedup.follow_merges(changes.record_key(change.record_id))
        change = msgspec.structs.replace(change, record_id=str(target))
        before_create = functools.partial(dedup.refuse_offline_duplicate, actor)
    applied = await changes.apply_change(
        engine, actor, change.entity, change.record_id, lambda _: change, checks,
        before_create=before_create,
    )  # fmt: skip
    op = SyncOp(
        op_id=change.op_id, device_id=device_id, user=actor.id, digest=change_digest(change),
        entity=change.entity, record_id=change.record_id, seq=applied.seq or 0,
    )  # fmt: skip
    seen[change.op_id] = {"user": actor.id, "digest": op.digest, "seq": op.seq}
    result = ChangeResult(change.op_id, "applied", applied.seq, applied.record)
    return result, applied.conflicts, op


async def _push_deal(
    engine: Engine, actor: Actor, change: sync.Change, device_id: str
) -> tuple[ChangeResult, list[dict[str, Any]], SyncOp | None]:
    """A device's deal edit: merged by the same per-field rules, then the winning fields go
    through the deals service (stage rules, exit criteria, stage history, audit)."""
    key = changes.record_key(change.record_id)
    sync.check_skew(sync.HLC.parse(change.hlc), sync.wall_clock_ms())
    change = msgspec.structs.replace(change, actor=str(actor.id))
    row = await Deal.select().where(Deal.id == key).first()
    if row is not None:
        await deals.get_deal(actor, key)  # NotFound unless the user may see it
    result = sync.apply(changes.state_of(DEAL, row), change)
    changes.server_clock.receive(sync.HLC.parse(change.hlc))
    fields = {name: result.state.value(name) for name in result.accepted}
    if result.lifecycle_changed and row is not None:
        fields["deleted"] = not result.state.alive
    if fields:
        made_at = dt.datetime.fromtimestamp(sync.HLC.parse(change.hlc).wall_ms / 1000, dt.UTC)
        await deals.apply_deal_fields(engine, actor, key, fields, at=made_at, stamp_versions=False)
    _, versions = result.state.to_parts()
    seq = await next_server_seq()
    await Deal.update({Deal.field_versions: json.dumps(versions), Deal.server_seq: seq}).where(
        Deal.id == key
    )
    conflicts = await changes.store_conflicts(result.conflicts)
    saved = await Deal.select().where(Deal.id == key).first()
    op = SyncOp(
        op_id=change.op_id, device_id=device_id, user=actor.id, digest=change_digest(change),
        entity="deal", record_id=change.record_id, seq=seq,
    )  # fmt: skip
    record = changes.record_out(DEAL, saved, result.state)
    return ChangeResult(change.op_id, "applied", seq, record), conflicts, op


# ---- pull ----------------------------------------------------------------------------------


def _scoped_query(entity_name: str, actor: Actor, cursor: int, limit: int):
    entity = ENTITIES[entity_name]
    table = entity.table
    where = table.server_seq > cursor
    if entity_name == "customer":
        where &= in_scope(actor)
        query = table.select(*table.all_columns(), table.owner.display_name.as_alias("owner_name"))
    else:
        visible = Customer.select(Customer.id).where(in_scope(actor))
        where &= table.customer.is_in(visible)
        query = table.select()
    return query.where(where).order_by(table.server_seq).limit(limit)


async def pull(actor: Actor, cursor: int, limit: int) -> dict[str, Any]:
    """Records the user may see with server_seq > cursor, oldest first, at most `limit`."""
    high_water = await current_server_seq()  # read first: later commits get higher numbers
    rows: list[tuple[int, str, dict[str, Any]]] = []
    for name in ENTITIES:
        for row in await _scoped_query(name, actor, cursor, limit + 1):
            rows.append((row["server_seq"], name, row))
    rows.sort(key=lambda item: item[0])
    more = len(rows) > limit
    page = rows[:limit]
    records = []
    for _, name, row in page:
        entity = ENTITIES[name]
        record = changes.record_out(entity, row, changes.state_of(entity, row))
        if "owner_name" in row:
            record["owner_name"] = row["owner_name"]
        records.append(record)
    next_cursor = page[-1][0] if more else max(high_water, cursor)
    removed = await SyncRemoval.select(SyncRemoval.customer_id).where(
        (SyncRemoval.user == actor.id)
        & (SyncRemoval.seq > cursor)
        & (SyncRemoval.seq <= next_cursor)
    )
    return {
        "records": records,
        "removed": [{"entity": "customer", "id": r["customer_id"]} for r in removed],
        "cursor": next_cursor,
        "more": more,
        "server_ms": sync.wall_clock_ms(),
    }


# ---- conflicts -----------------------------------------------------------------------------


async def conflicts_for(
    actor: Actor, record_id: str | None, limit: int = 100
) -> list[dict[str, Any]]:
    where = (SyncConflict.loser_actor == actor.id) | (SyncConflict.winner_actor == actor.id)
    if record_id:
        where &= SyncConflict.record_id == record_id
    rows = (
        await SyncConflict.select()
        .where(where)
        .order_by(SyncConflict.id, ascending=False)
        .limit(limit)
    )
    ids = {r[k] for r in rows for k in ("loser_actor", "winner_actor") if r[k] is not None}
    names = {
        u["id"]: u["display_name"]
        for u in await User.select(User.id, User.display_name).where(
            User.id.is_in(list(ids) or [-1])
        )
    }
    out = []
    for row in rows:
        loser = json.loads(row["loser"]) if isinstance(row["loser"], str) else row["loser"]
        winner = json.loads(row["winner"]) if isinstance(row["winner"], str) else row["winner"]
        loser["actor_name"] = names.get(row["loser_actor"])
        winner["actor_name"] = names.get(row["winner_actor"])
        out.append({
            "id": row["id"], "entity": row["entity"], "record_id": row["record_id"],
            "field": row["field"], "loser": loser, "winner": winner, "at": row["created_at"],
        })  # fmt: skip
    return out
