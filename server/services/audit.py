"""The audit trail: one row per write, export, merge, delete or assignment."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import json
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

from server.db.tables import AuditLog
from server.domain.access import Actor


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    return value


def snapshot(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {key: _jsonable(value) for key, value in values.items()}


_buffer: contextvars.ContextVar[list[AuditLog] | None] = contextvars.ContextVar(
    "audit_buffer", default=None
)


@contextlib.asynccontextmanager
async def buffered() -> AsyncIterator[None]:
    """Inside one transaction: collect audit rows and insert them in one statement at the end
    (a sync batch writes hundreds). If the block fails, nothing is inserted — and the
    transaction rolls back the audited writes too."""
    rows: list[AuditLog] = []
    token = _buffer.set(rows)
    try:
        yield
    finally:
        _buffer.reset(token)
    for start in range(0, len(rows), 500):
        await AuditLog.insert(*rows[start : start + 500])


async def record(
    actor: Actor | None,
    action: str,
    entity: str,
    record_id: Any = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    detail: str | None = None,
) -> None:
    row = AuditLog(
        actor=actor.id if actor else None,
        action=action,
        entity=entity,
        record_id=str(record_id) if record_id is not None else None,
        before=json.dumps(snapshot(before), ensure_ascii=False) if before is not None else None,
        after=json.dumps(snapshot(after), ensure_ascii=False) if after is not None else None,
        detail=detail,
        at=dt.datetime.now(dt.UTC),
    )
    buffer = _buffer.get()
    if buffer is not None:
        buffer.append(row)
    else:
        await row.save()


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (before, after) pair restricted to the fields whose value actually changed."""
    keys = [k for k, v in after.items() if before.get(k) != v]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
