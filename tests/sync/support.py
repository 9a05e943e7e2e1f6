"""Shared test helpers: a customer-like schema and a terse way to build changes."""

from __future__ import annotations

import itertools
from typing import Any

import msgspec

from sync import (
    HLC,
    Append,
    Change,
    EntitySchema,
    FieldOp,
    LogEntry,
    RecordOp,
    RecordState,
    SetValue,
    UpdateSet,
)

CUSTOMER = EntitySchema.define(
    "customer",
    lww=["name", "phone", "grade"],
    sets=["tags", "shared_with"],
    logs=["activities"],
    counters=["visits"],
)
LWW_FIELDS = ("name", "phone", "grade")
T0 = 1_732_380_000_000  # 2024-11-23, an arbitrary fixed epoch for readable stamps

_op_ids = itertools.count()


def stamp(wall_ms: int, device: str, counter: int = 0) -> str:
    return str(HLC(wall_ms, counter, device))


def change(
    device: str,
    hlc: str | HLC,
    fields: dict[str, FieldOp] | None = None,
    *,
    record: RecordOp | None = None,
    record_id: str = "r1",
    base: dict[str, str] | None = None,
    actor: str | None = None,
) -> Change:
    return Change(
        op_id=f"op-{next(_op_ids)}",
        entity="customer",
        record_id=record_id,
        device_id=device,
        hlc=str(hlc),
        fields=fields or {},
        record=record,
        base_versions=base,
        actor=actor,
    )


def set_value(value: Any) -> SetValue:
    return SetValue(value)


def tags(add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> UpdateSet:
    return UpdateSet(list(add), list(remove))


def append(*entries: tuple[str, Any]) -> Append:
    return Append([LogEntry(entry_id, value) for entry_id, value in entries])


def canonical(state: RecordState) -> bytes:
    """Exact state identity: unlike ==, tells True from 1 and 1 from 1.0, as JSON does."""
    return msgspec.json.encode(state.to_dict(), order="sorted")
