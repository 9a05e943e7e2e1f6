"""Moving customers between owners in bulk: the one place assignment, the public pool,
stale-lead cleanup and handover change `Customer.owner`.

Every moved customer gets its own server_seq (devices learn of the move through sync), an
OwnerChange row with the reason, and for each user whose scope it leaves a SyncRemoval, so
their devices drop it. Statements are batched — 10k moves take a few dozen queries — which
is why this writes raw SQL: Piccolo's builder has no per-row CASE and builds one object per
inserted row. Callers hold the write lock (`write_transaction` + `lock_writes`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from piccolo.columns import Column
from piccolo.table import Table

from server.db.sync_tables import SyncRemoval
from server.db.tables import Customer, OwnerChange, User
from server.domain.access import Actor
from server.services.scope import in_scope
from server.services.sequence import next_server_seqs

CHUNK = 500  # rows per statement: well inside both databases' parameter limits
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Move:
    customer_id: uuid.UUID
    from_owner: int | None  # the move only happens if the customer still has this owner
    to_owner: int | None  # None: into the pool
    to_team: int | None
    from_team: int | None = None
    rule: str | None = None  # → Customer.assigned_rule: the rule that made it, if any
    reason: str = "assign"  # → OwnerChange.reason


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _column(column: Column) -> str:
    return f'"{column._meta.db_column_name}"'  # quoted: SyncRemoval has a column named user


def _table(table: type[Table]) -> str:
    return f'"{table._meta.tablename}"'


async def stamp(
    table: type[Table],
    ids: Sequence[uuid.UUID],
    values: Mapping[Column, Any],
    condition: tuple[str, Sequence[Any]] = ("", ()),
    per_row: Mapping[Column, Sequence[Any]] | None = None,
) -> dict[uuid.UUID, int]:
    """Set `values` on rows `ids` of a synced table that still meet `condition` (an SQL
    fragment with {} placeholders and its arguments), each row with a server_seq of its own;
    `per_row` columns take the value at the row's position in `ids`. Returns {id: server_seq}
    of the rows changed; a row that no longer qualifies is left as it is (someone else
    changed it first). One UPDATE … FROM (VALUES …) per CHUNK rows, however varied."""
    changed: dict[uuid.UUID, int] = {}
    name = _table(table)
    row_columns = list((per_row or {}).items())
    # (id, server_seq, per-row values…), typed: PostgreSQL types a bare parameter in VALUES
    # as text, which compares with neither a uuid nor an integer column.
    one_row = (
        f"({_id_param(table)}, CAST({{}} AS INTEGER)"
        + "".join(f", {_typed(column)}" for column, _ in row_columns)
        + ")"
    )
    assignments = [f"{_column(column)} = {{}}" for column in values]
    assignments += [
        f"{_column(column)} = v.column{index}" for index, (column, _) in enumerate(row_columns, 3)
    ]
    assignments.append("server_seq = v.column2")
    extra_sql, extra_args = condition
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        numbers = await next_server_seqs(len(chunk))
        rows = [
            (row_id, number, *(values_[start + offset] for _, values_ in row_columns))
            for offset, (row_id, number) in enumerate(zip(chunk, numbers, strict=True))
        ]
        sql = (
            f"UPDATE {name} SET {', '.join(assignments)} "
            f"FROM (VALUES {', '.join(one_row for _ in rows)}) AS v "
            f"WHERE {name}.id = v.column1{extra_sql} "
            f"RETURNING {name}.id, {name}.server_seq"
        )
        args = [*values.values(), *(arg for row in rows for arg in row), *extra_args]
        result = await table.raw(sql, *args)
        changed.update({_uuid(row["id"]): row["server_seq"] for row in result})
    return changed


def _id_param(table: type[Table]) -> str:
    """SQLite stores UUIDs as text and compares text; PostgreSQL needs a uuid."""
    return "CAST({} AS UUID)" if table._meta.db.engine_type == "postgres" else "{}"


def _typed(column: Column) -> str:
    return "CAST({} AS INTEGER)" if "INT" in column.column_type else "{}"


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def insert_rows(
    table: type[Table], columns: Sequence[Column], rows: Iterable[Sequence[Any]]
) -> None:
    """Multi-row INSERT … VALUES (both databases type the parameters from the columns)."""
    names = ", ".join(_column(column) for column in columns)
    one_row = "(" + ", ".join("{}" for _ in columns) + ")"
    for chunk in chunked(list(rows)):
        sql = f"INSERT INTO {_table(table)} ({names}) VALUES " + ", ".join(one_row for _ in chunk)
        await table.raw(sql, *[value for row in chunk for value in row])


def _owner_condition(owner: int | None) -> tuple[str, tuple[Any, ...]]:
    alive = " AND deleted = {}"
    if owner is None:
        return " AND owner IS NULL" + alive, (False,)
    return " AND owner = {}" + alive, (owner, False)


async def apply_moves(
    moves: Sequence[Move],
    actor_id: int | None,
    now: dt.datetime,
    extra: Mapping[Column, Any] | None = None,
) -> list[Move]:
    """Apply `moves` (each only if the customer still has its `from_owner`); returns the
    moves that happened. A move clears the claim and stale markers of the old ownership;
    `extra` sets more columns (a claim sets claimed_at / protected_until)."""
    by_old_owner: dict[int | None, list[Move]] = defaultdict(list)
    for move in moves:
        by_old_owner[move.from_owner].append(move)
    shared = {
        Customer.claimed_at: None,
        Customer.protected_until: None,
        Customer.low_priority: False,
        Customer.updated_at: now,
        **(extra or {}),
    }
    applied: list[Move] = []
    seq_of: dict[uuid.UUID, int] = {}
    for from_owner, group in by_old_owner.items():
        per_row = {
            Customer.owner: [move.to_owner for move in group],
            Customer.team: [move.to_team for move in group],
            Customer.assigned_rule: [move.rule for move in group],
        }
        ids = [move.customer_id for move in group]
        changed = await stamp(Customer, ids, shared, _owner_condition(from_owner), per_row)
        seq_of.update(changed)
        applied += [move for move in group if move.customer_id in changed]
    await _record_history(applied, actor_id, now)
    await _record_scope_losses(applied, seq_of)
    return applied


async def _record_history(moves: Sequence[Move], actor_id: int | None, now: dt.datetime) -> None:
    columns = (
        OwnerChange.customer,
        OwnerChange.from_owner,
        OwnerChange.to_owner,
        OwnerChange.changed_at,
        OwnerChange.actor,
        OwnerChange.reason,
    )
    rows = [(m.customer_id, m.from_owner, m.to_owner, now, actor_id, m.reason[:200]) for m in moves]
    await insert_rows(OwnerChange, columns, rows)


# ---- sync scope ----------------------------------------------------------------------------


async def _record_scope_losses(moves: Sequence[Move], seq_of: Mapping[uuid.UUID, int]) -> None:
    """Tell the devices of everyone who could see a moved customer before and can't now
    (the old owner; managers of the old team when the team changed) to drop it."""
    affected = await _possibly_affected(moves)
    removals = []
    for user, customer_ids in affected.items():
        still_visible = await _visible_subset(user, customer_ids)
        removals += [
            (user.id, str(cid), seq_of[cid]) for cid in customer_ids if cid not in still_visible
        ]
    await insert_rows(
        SyncRemoval, (SyncRemoval.user, SyncRemoval.customer_id, SyncRemoval.seq), removals
    )


async def _possibly_affected(moves: Sequence[Move]) -> dict[Actor, list[uuid.UUID]]:
    old_owners = {m.from_owner for m in moves if m.from_owner is not None}
    old_teams = {m.from_team for m in moves if m.from_team is not None and m.from_team != m.to_team}
    if not old_owners and not old_teams:
        return {}
    who = User.id.is_in(list(old_owners) or [-1])
    if old_teams:
        who |= User.team.is_in(list(old_teams)) & (User.role == "manager")
    users = await User.select(User.id, User.role, User.team).where(who)
    affected: dict[Actor, list[uuid.UUID]] = {}
    for row in users:
        if row["role"] == "admin":
            continue  # sees everything, loses nothing
        user = Actor(id=row["id"], role=row["role"], team_id=row["team"])
        ids = [
            m.customer_id
            for m in moves
            if m.from_owner == user.id or (user.role == "manager" and m.from_team == user.team_id)
        ]
        if ids:
            affected[user] = ids
    return affected


async def _visible_subset(user: Actor, customer_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    visible: set[uuid.UUID] = set()
    for chunk in chunked(customer_ids):
        rows = await Customer.select(Customer.id).where(
            in_scope(user) & Customer.id.is_in(list(chunk))
        )
        visible.update(row["id"] for row in rows)
    return visible
