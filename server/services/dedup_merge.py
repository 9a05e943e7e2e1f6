"""Merging two customers and undoing it.

A merge keeps everything: every row that points at the losing customer (contacts,
activities, deals, follow-ups, contracts, tickets, shares, owner history — any table with a
foreign key to Customer) is re-pointed to the survivor; the survivor's fields take the most
recent non-empty value of each field from either record (server/domain/dedup/survivorship.py);
the loser becomes a tombstone with `merged_into` set. A MergeEvent keeps full snapshots of
both rows and the ids of every moved row, so `unmerge` can put both records back.

Field values change through the sync rules (a new HLC per changed field, a delete / undelete
of the loser), so devices converge on the merged — and later the restored — values. That is
also why an un-merge restores every column exactly except the sync bookkeeping
(`field_versions`, `server_seq`), which moves forward.

Both run in one write transaction that takes the write lock first (the server-sequence
counter row, which every write to synced records takes, see server/services/changes.py), so
an edit either commits before the merge reads the rows, or waits and lands on the merged
result.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from piccolo.columns import (
    UUID,
    Date,
    ForeignKey,
    Numeric,
    Timestamp,
    Timestamptz,
)
from piccolo.columns.base import Column
from piccolo.engine.base import Engine
from piccolo.table import Table

import sync
from server.db.dedup_tables import DEDUP_TABLES, MergeEvent, ReviewItem
from server.db.engine import write_transaction
from server.db.registry import all_tables
from server.db.sync_tables import SyncRemoval
from server.db.tables import Customer, CustomerShare
from server.domain.access import Actor
from server.domain.clock import utcnow
from server.domain.dedup import MatchRecord, Side, merged_values, score
from server.domain.errors import Conflict, Forbidden, NotFound
from server.services import audit, changes
from server.services.entities import CUSTOMER, ENTITIES, Entity, record_values
from server.services.notifications import notify
from server.services.scope import in_scope
from server.services.sequence import lock_writes, next_server_seq

# Columns an un-merge never writes back: the key, and sync bookkeeping that must move on.
_NOT_RESTORED = frozenset({"id", "server_seq", "field_versions"})


@dataclass(frozen=True)
class MergeRequest:
    survivor_id: uuid.UUID
    loser_id: uuid.UUID
    source: str  # auto | review | manual
    score: float | None = None
    min_score: float | None = None  # re-scored on the fresh rows; below → not merged
    reason: str | None = None
    run_id: int | None = None


# ---- merge ---------------------------------------------------------------------------------


async def merge_customers(engine: Engine, actor: Actor | None, request: MergeRequest) -> int | None:
    """Merge loser into survivor; returns the MergeEvent id, or None when `min_score` is
    given and the records, read fresh, no longer match that well (someone edited them).
    `actor` None is the nightly job."""
    if request.survivor_id == request.loser_id:
        raise Conflict("dedup.same_record")
    async with write_transaction(engine):
        await lock_writes()  # before reading anything
        survivor = await _live_row(request.survivor_id)
        loser = await _live_row(request.loser_id)
        await _require_scope(actor, survivor, loser)
        if request.min_score is not None and _fresh_score(survivor, loser) < request.min_score:
            return None
        survivor_state = changes.state_of(CUSTOMER, survivor)
        loser_state = changes.state_of(CUSTOMER, loser)
        target = merged_values(
            _side(survivor, survivor_state),
            _side(loser, loser_state),
            (f for f in CUSTOMER.schema.rules if f != "tags"),
            set_fields=("tags",),
        )
        await _store(CUSTOMER, survivor, _changed_to(CUSTOMER, survivor, survivor_state, target))
        await _write_columns(survivor["id"], _kept_columns(survivor, loser))
        deleted = _changed_to(CUSTOMER, loser, loser_state, {}, sync.edits.delete(loser_state))
        await _store(CUSTOMER, loser, deleted)
        await _write_columns(loser["id"], {"merged_into": survivor["id"]})
        moved = await _repoint_children(loser["id"], survivor["id"])
        share_id = await _share_with_loser_owner(survivor, loser)
        event_id = await _record_merge(actor, request, survivor, loser, moved, share_id)
        await _settle_review_items(actor, survivor["id"], loser["id"], event_id)
        await _audit_merge(actor, survivor, loser, event_id, request)
        await _tell_loser_owner(actor, survivor, loser)
    return event_id


async def _live_row(customer_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await Customer.select()
        .where((Customer.id == customer_id) & Customer.deleted.eq(False))
        .first()
    )
    if row is None:
        raise NotFound("customer")
    return row


async def _require_scope(actor: Actor | None, *rows: dict[str, Any]) -> None:
    """The nightly job and admins reach everything; a manager their team's records."""
    if actor is None or actor.is_admin:
        return
    if not actor.is_manager_or_admin:
        raise Forbidden("auth.forbidden")
    ids = [row["id"] for row in rows]
    reachable = await Customer.count().where(in_scope(actor) & Customer.id.is_in(ids))
    if reachable != len(set(ids)):
        raise NotFound("customer")


def _fresh_score(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    return score(match_record(a), match_record(b)).value


def match_record(row: Mapping[str, Any]) -> MatchRecord:
    return MatchRecord.from_columns(
        str(row["id"]),
        row["kind"],
        row["name"],
        row["name_key"],
        row["phone"],
        row["email"],
        row["region_code"],
        row["address"],
    )


def _side(row: Mapping[str, Any], state: sync.RecordState) -> Side:
    updated: dt.datetime = row["updated_at"] or row["created_at"]
    versions = {name: state.version(name) or "" for name in state.schema.rules}
    return Side(state.values(), versions, int(updated.timestamp() * 1000))


def _changed_to(
    entity: Entity,
    row: Mapping[str, Any],
    state: sync.RecordState,
    target: Mapping[str, Any],
    record_op: sync.RecordOp | None = None,
) -> sync.RecordState:
    """The state after setting every field of `target` that differs (and `record_op`), as
    a server edit with fresh stamps; unchanged when nothing differs."""
    differing = {
        name: value for name, value in target.items() if not _same(state.value(name), value)
    }
    if not differing and record_op is None:
        return state
    change = changes.rest_change(entity.name, str(row["id"]), state, differing, record_op)
    return sync.apply(state, change).state


def _same(current: Any, wanted: Any) -> bool:
    if isinstance(current, list) or isinstance(wanted, list):
        return sorted(current or []) == sorted(wanted or [])
    empty = (None, "", {})
    return current == wanted or (current in empty and wanted in empty)


async def _store(entity: Entity, row: dict[str, Any], state: sync.RecordState) -> None:
    """Write `state` to the row with a new server sequence number (also when the values did
    not change: a merge or un-merge is news to every device holding the record)."""
    # The write path's own row writer, so columns and versions stay in its format.
    await changes.write_row(entity, None, row, str(row["id"]), state, await next_server_seq())


async def _write_columns(customer_id: Any, columns: Mapping[str, Any]) -> None:
    if columns:
        await Customer.update(dict(columns)).where(Customer.id == customer_id)


def _kept_columns(survivor: Mapping[str, Any], loser: Mapping[str, Any]) -> dict[str, Any]:
    """Columns outside the sync rules: ownership stays with the survivor; the latest contact
    of either record is the merged record's latest contact."""
    latest = max(
        (t for t in (survivor["last_contact_at"], loser["last_contact_at"]) if t), default=None
    )
    return {"last_contact_at": latest} if latest != survivor["last_contact_at"] else {}


# ---- children ------------------------------------------------------------------------------


def _references() -> list[tuple[type[Table], ForeignKey]]:
    """(table, column) of every foreign key to Customer outside the dedup area's own tables,
    so tables other areas add later move with a merge too."""
    found = []
    for table in all_tables():
        if table in DEDUP_TABLES:
            continue
        for column in table._meta.foreign_key_columns:
            if column._foreign_key_meta.resolved_references is Customer:
                found.append((table, column))
    return found


def _synced_entity(table: type[Table]) -> Entity | None:
    return next((e for e in ENTITIES.values() if e.table is table and e is not CUSTOMER), None)


async def _repoint_children(from_id: Any, to_id: Any) -> dict[str, dict[str, Any]]:
    """Point every child row of `from_id` at `to_id`; returns what moved, by table."""
    moved: dict[str, dict[str, Any]] = {}
    for table, column in _references():
        rows = await table.select().where(column == from_id)
        if rows:
            await _repoint(table, column, rows, to_id)
            primary = table._meta.primary_key._meta.name
            moved[table._meta.tablename] = {
                "column": column._meta.name,
                "ids": [audit.snapshot({"id": row[primary]})["id"] for row in rows],
            }
    return moved


async def _repoint(
    table: type[Table], column: ForeignKey, rows: list[dict[str, Any]], to_id: Any
) -> None:
    entity = _synced_entity(table)
    if entity is not None:  # through the sync rules, so devices see the new parent
        field = next(f for f in entity.schema.rules if entity.column(f) == column._meta.name)
        for row in rows:
            state = changes.state_of(entity, row)
            await _store(entity, row, _changed_to(entity, row, state, {field: str(to_id)}))
        return
    primary = table._meta.primary_key
    values: dict[Any, Any] = {column: to_id}
    sequence = next((c for c in table._meta.columns if c._meta.name == "server_seq"), None)
    if sequence is not None:  # a synced table sync does not merge yet (deals): still news
        values[sequence] = await next_server_seq()
    await table.update(values).where(primary.is_in([row[primary._meta.name] for row in rows]))


async def _share_with_loser_owner(
    survivor: Mapping[str, Any], loser: Mapping[str, Any]
) -> int | None:
    """The loser's owner keeps seeing the customer (and their own history on it)."""
    owner = loser["owner"]
    if owner is None or owner == survivor["owner"]:
        return None
    already = await CustomerShare.exists().where(
        (CustomerShare.customer == survivor["id"]) & (CustomerShare.user == owner)
    )
    if already:
        return None
    rows = await CustomerShare.insert(CustomerShare(customer=survivor["id"], user=owner))
    return rows[0]["id"]


# ---- bookkeeping ---------------------------------------------------------------------------


async def _record_merge(
    actor: Actor | None,
    request: MergeRequest,
    survivor: Mapping[str, Any],
    loser: Mapping[str, Any],
    moved: dict[str, Any],
    share_id: int | None,
) -> int:
    after = await Customer.select().where(Customer.id == survivor["id"]).first()
    rows = await MergeEvent.insert(
        MergeEvent(
            survivor=survivor["id"],
            loser=loser["id"],
            team=survivor["team"],
            source=request.source,
            score=request.score,
            actor=actor.id if actor else None,
            reason=request.reason,
            run=request.run_id,
            merged_at=utcnow(),
            survivor_before=_json(survivor),
            loser_before=_json(loser),
            survivor_after=_json(after),
            moved=json.dumps(moved),
            share_added=share_id,
        )
    )
    return rows[0]["id"]


def _json(row: Mapping[str, Any] | None) -> str:
    return json.dumps(audit.snapshot(row), ensure_ascii=False)


async def _settle_review_items(
    actor: Actor | None, survivor_id: Any, loser_id: Any, event_id: int
) -> None:
    """The merged pair's pending item is done; other pending items of the loser are stale
    (the next run queues the survivor instead, if it still looks like a duplicate)."""
    a, b = ordered_pair(survivor_id, loser_id)
    pending = ReviewItem.status == "pending"
    now = utcnow()
    await ReviewItem.update(
        {
            ReviewItem.status: "merged",
            ReviewItem.decided_at: now,
            ReviewItem.decided_by: actor.id if actor else None,
            ReviewItem.merge_event: event_id,
        }
    ).where(pending & (ReviewItem.customer_a == a) & (ReviewItem.customer_b == b))
    involves_loser = (ReviewItem.customer_a == loser_id) | (ReviewItem.customer_b == loser_id)
    await ReviewItem.update({ReviewItem.status: "stale", ReviewItem.decided_at: now}).where(
        pending & involves_loser
    )


def ordered_pair(a: Any, b: Any) -> tuple[uuid.UUID, uuid.UUID]:
    """A pair's canonical order (review items store the smaller id first)."""
    first, second = sorted((uuid.UUID(str(a)), uuid.UUID(str(b))), key=str)
    return first, second


async def remember_distinct(actor: Actor | None, a: Any, b: Any, note: str) -> None:
    """Record that a and b are different customers, so nobody is asked about them again
    (a pending review item of the pair is decided that way; history rows stay)."""
    first, second = ordered_pair(a, b)
    pair = (ReviewItem.customer_a == first) & (ReviewItem.customer_b == second)
    if await ReviewItem.exists().where(pair & (ReviewItem.status == "distinct")):
        return
    decided_by, now = (actor.id if actor else None), utcnow()
    pending = pair & (ReviewItem.status == "pending")
    if await ReviewItem.exists().where(pending):
        await ReviewItem.update(
            {
                ReviewItem.status: "distinct",
                ReviewItem.decided_at: now,
                ReviewItem.decided_by: decided_by,
                ReviewItem.note: note,
            }
        ).where(pending)
        return
    await ReviewItem(
        customer_a=first,
        customer_b=second,
        status="distinct",
        decided_at=now,
        decided_by=decided_by,
        note=note,
    ).save()


async def _audit_merge(
    actor: Actor | None,
    survivor: Mapping[str, Any],
    loser: Mapping[str, Any],
    event_id: int,
    request: MergeRequest,
) -> None:
    after = await Customer.select().where(Customer.id == survivor["id"]).first()
    quiet = _NOT_RESTORED | {"updated_at"}
    changed = {k: v for k, v in after.items() if k not in quiet and v != survivor[k]}
    detail = {"event": event_id, "source": request.source, "score": request.score}
    await audit.record(
        actor,
        "merge",
        "customer",
        survivor["id"],
        before={k: survivor[k] for k in changed},
        after=changed,
        detail=json.dumps({**detail, "merged": str(loser["id"])}),
    )
    await audit.record(
        actor,
        "merged_into",
        "customer",
        loser["id"],
        before={"name": loser["name"]},
        detail=json.dumps({**detail, "survivor": str(survivor["id"])}),
    )


async def _tell_loser_owner(
    actor: Actor | None, survivor: Mapping[str, Any], loser: Mapping[str, Any]
) -> None:
    owner = loser["owner"]
    if owner is None or (actor is not None and owner == actor.id):
        return
    await notify(
        [owner],
        "merge",
        "dedup.merged",
        {"loser": loser["name"], "survivor": survivor["name"]},
        link=f"/customers/{survivor['id']}",
    )


# ---- un-merge ------------------------------------------------------------------------------


async def unmerge(engine: Engine, actor: Actor, event_id: int) -> None:
    """Put both records back exactly as they were before merge `event_id`: columns, tags,
    custom fields, owners, and every moved child row on its old parent. Only the latest
    merge touching either record can be undone (undo later merges first)."""
    async with write_transaction(engine):
        await lock_writes()
        event = await MergeEvent.select().where(MergeEvent.id == event_id).first()
        if event is None:
            raise NotFound("merge")
        if event["undone_at"] is not None:
            raise Conflict("dedup.already_unmerged")
        await _require_latest(event)
        survivor_id, loser_id = event["survivor"], event["loser"]
        survivor = await Customer.select().where(Customer.id == survivor_id).first()
        loser = await Customer.select().where(Customer.id == loser_id).first()
        await _require_scope(actor, survivor)
        await _restore(survivor, _loaded(event["survivor_before"]))
        await _restore(loser, _loaded(event["loser_before"]))
        await _move_back(_loaded(event["moved"]), loser_id)
        await _drop_share(event["share_added"], survivor_id)
        await MergeEvent.update(
            {MergeEvent.undone_at: utcnow(), MergeEvent.undone_by: actor.id}
        ).where(MergeEvent.id == event_id)
        await remember_distinct(actor, survivor_id, loser_id, "unmerged")
        for row, other in ((survivor, loser_id), (loser, survivor_id)):
            await audit.record(
                actor, "unmerge", "customer", row["id"], before=_restorable(row),
                detail=json.dumps({"event": event_id, "other": str(other)}),
            )  # fmt: skip


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def _require_latest(event: Mapping[str, Any]) -> None:
    ids = [event["survivor"], event["loser"]]
    later = await MergeEvent.exists().where(
        (MergeEvent.id > event["id"])
        & MergeEvent.undone_at.is_null()
        & (MergeEvent.survivor.is_in(ids) | MergeEvent.loser.is_in(ids))
    )
    if later:
        raise Conflict("dedup.unmerge_later_first")


async def _restore(row: dict[str, Any], snapshot: Mapping[str, Any]) -> None:
    """Write `snapshot` back over `row`: synced fields through the sync rules (new stamps,
    a delete or undelete as needed), then every other column exactly."""
    before = _typed(Customer, snapshot)
    state = changes.state_of(CUSTOMER, row)
    wanted = record_values(CUSTOMER, before)
    target = {name: wanted.get(name) for name in CUSTOMER.schema.rules}
    was_deleted = bool(before.get("deleted"))
    record_op = None
    if was_deleted and state.alive:
        record_op = sync.edits.delete(state)
    elif not was_deleted and not state.alive:
        record_op = sync.edits.undelete(state)
    await _store(CUSTOMER, row, _changed_to(CUSTOMER, row, state, target, record_op))
    await _write_columns(row["id"], _restorable(before))


def _restorable(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _NOT_RESTORED}


def _typed(table: type[Table], snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON snapshot (audit.snapshot of a row) → column values of their Python types."""
    columns = {c._meta.name: c for c in table._meta.columns}
    return {
        name: _typed_value(columns[name], value) if name in columns else value
        for name, value in snapshot.items()
    }


def _typed_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column, ForeignKey):
        column = column._foreign_key_meta.resolved_references._meta.primary_key
    if isinstance(column, Timestamptz | Timestamp):
        return dt.datetime.fromisoformat(value)
    if isinstance(column, Date):
        return dt.date.fromisoformat(value)
    if isinstance(column, UUID):
        return uuid.UUID(value)
    if isinstance(column, Numeric):
        return decimal.Decimal(value)
    return value


async def _move_back(moved: Mapping[str, Any], loser_id: Any) -> None:
    tables = {t._meta.tablename: t for t in all_tables()}
    for tablename, entry in moved.items():
        table = tables.get(tablename)
        if table is None:
            continue  # a table removed since the merge: nothing to move
        column = table._meta.get_column_by_name(entry["column"])
        primary = table._meta.primary_key
        ids = [_typed_value(primary, value) for value in entry["ids"]]
        rows = await table.select().where(primary.is_in(ids))
        if rows:
            await _repoint(table, column, rows, loser_id)


async def _drop_share(share_id: int | None, survivor_id: Any) -> None:
    if share_id is None:
        return
    share = await CustomerShare.select().where(CustomerShare.id == share_id).first()
    if share is None:
        return
    await CustomerShare.delete().where(CustomerShare.id == share_id)
    # As an unshare does: the user's devices drop the record at their next pull.
    await SyncRemoval(
        user=share["user"], customer_id=str(survivor_id), seq=await next_server_seq()
    ).save()
