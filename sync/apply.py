"""The one write path: apply a change to a record state, purely.

REST edits and device edits both become a `Change` and go through `apply`, so there is one
place where merge rules, conflict detection and validation live.
"""

from __future__ import annotations

from typing import Any

import msgspec

from sync.changes import Change, validate_change
from sync.conflicts import Conflict
from sync.record import RecordState
from sync.rules import RULES, WriteContext


class ApplyResult(msgspec.Struct, frozen=True):
    """The new state, what this change altered, and whose values it displaced."""

    state: RecordState
    accepted: tuple[str, ...]  # fields whose stored state changed; () for a replay
    lifecycle_changed: bool  # the causal length moved: created, deleted or undeleted
    conflicts: tuple[Conflict, ...]

    @property
    def changed(self) -> bool:
        """False when the change was already fully known (a replay or an all-losing change)."""
        return bool(self.accepted) or self.lifecycle_changed


def apply(state: RecordState, change: Change) -> ApplyResult:
    """Validate `change` against the state's schema and merge it in ("field.unknown", ...).

    Deterministic and order-independent: applying the same set of changes in any order, any
    number of times, yields the same state (conflicts found depend on arrival order, but each
    displaced value is reported when it is displaced; see `Conflict.key` for de-duplication).
    """
    schema = state.schema
    validate_change(schema, change)
    fields = state.fields
    new_fields: dict[str, Any] | None = None
    accepted: list[str] = []
    conflicts: list[Conflict] = []
    base_known = change.base_versions is not None
    for name, op in change.fields.items():
        write = WriteContext(
            change.hlc, change.device_id, change.actor, change.base_version(name), base_known
        )
        current = fields.get(name)
        new, clash = RULES[schema.rules[name]].apply(current, op, write)
        if new is not current:
            if new_fields is None:
                new_fields = dict(fields)
            new_fields[name] = new
            accepted.append(name)
        if clash is not None:
            conflicts.append(Conflict(change.entity, change.record_id, name, *clash))
    length = _causal_length(state.length, change)
    if new_fields is None and length == state.length:
        return ApplyResult(state, (), False, tuple(conflicts))
    new_state = RecordState(schema, length, fields if new_fields is None else new_fields)
    return ApplyResult(new_state, tuple(accepted), length != state.length, tuple(conflicts))


def _causal_length(current: int, change: Change) -> int:
    # Any field write implies the record exists (length >= 1), but never revives a deleted
    # one; delete/undelete carry the length their author computed, and the larger one wins.
    length = max(current, 1) if change.fields else current
    if change.record is not None:
        length = max(length, change.record.length)
    return length
