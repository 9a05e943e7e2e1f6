"""FieldCRM's sync engine: pure merge logic, no web framework, ORM or database.

How the server uses it (one write path: REST edits and device edits are both `Change`s
applied with the same `apply`):

1. Decode each pushed change with `decode_change` (or let Litestar decode `Change`), set
   `actor` from the session (`msgspec.structs.replace(change, actor=user_id)`), check the
   device belongs to the user, skip op ids already applied (idempotent replay), then run
   `check_skew(HLC.parse(change.hlc), now_ms)`.
2. Load the row: `RecordState.from_parts(schema, column_values, row.field_versions)`, or
   `RecordState.empty(schema)` for a new id. `SchemaRegistry.get(change.entity)` finds it.
   Column values must be in their JSON form (as devices send them: str dates, not `date`),
   so every replica compares and tie-breaks the same values.
3. `result = apply(state, change)`; `InvalidChange` / `ClockSkewError` carry a `code` for
   the per-change 4xx. If `result.changed`: `values, versions = result.state.to_parts()`,
   write values to columns, versions to `field_versions`, `deleted = not result.state.alive`,
   and stamp a new server sequence number. Store `result.conflicts` under `Conflict.key`.
4. Feed the accepted stamp to the server clock: `clock.receive(HLC.parse(change.hlc))`.

A REST edit builds its change with `clock.now()` of a `HybridClock` whose node is the server
instance's id (device_id = that id, actor = the user; conflicts tell people apart by actor),
and uses `sync.edits` for deletes, undeletes and counter increments.
Replica-to-replica (device pulls) merges use `merge_states`.
"""

from sync import edits
from sync.apply import ApplyResult, apply
from sync.changes import (
    Append,
    Change,
    Delete,
    FieldOp,
    Increment,
    LogEntry,
    RecordOp,
    SetValue,
    Undelete,
    UpdateSet,
    decode_change,
    validate_change,
)
from sync.conflicts import Conflict, FieldWrite
from sync.errors import ClockSkewError, InvalidChange, InvalidHLC, InvalidState, SyncError
from sync.hlc import HLC, MAX_SKEW_MS, HybridClock, check_skew, wall_clock_ms
from sync.record import RecordState, merge_states
from sync.schema import EntitySchema, Rule, SchemaRegistry

__all__ = [
    "HLC",
    "MAX_SKEW_MS",
    "Append",
    "ApplyResult",
    "Change",
    "ClockSkewError",
    "Conflict",
    "Delete",
    "EntitySchema",
    "FieldOp",
    "FieldWrite",
    "HybridClock",
    "Increment",
    "InvalidChange",
    "InvalidHLC",
    "InvalidState",
    "LogEntry",
    "RecordOp",
    "RecordState",
    "Rule",
    "SchemaRegistry",
    "SetValue",
    "SyncError",
    "Undelete",
    "UpdateSet",
    "apply",
    "check_skew",
    "decode_change",
    "edits",
    "merge_states",
    "validate_change",
    "wall_clock_ms",
]
