"""Builders for ops whose arguments depend on the record state the author currently sees.

Deletes, undeletes and counter increments carry absolute values (a causal length, running
totals) rather than "one more", which is what keeps them idempotent. These helpers compute
those values from a state, for the server's REST path and as the reference for the PWA.
"""

from __future__ import annotations

from sync.changes import Delete, Increment, Undelete
from sync.errors import InvalidChange
from sync.record import RecordState
from sync.schema import Rule


def delete(state: RecordState) -> Delete:
    """Delete a live record ("record.not_alive" if it is deleted or unknown)."""
    if not state.alive:
        raise InvalidChange("record.not_alive", entity=state.schema.entity)
    return Delete(state.length + 1)


def undelete(state: RecordState) -> Undelete:
    """Bring back a deleted record ("record.not_deleted" if it is alive or unknown)."""
    if state.alive or state.length == 0:
        raise InvalidChange("record.not_deleted", entity=state.schema.entity)
    return Undelete(state.length + 1)


def increment(state: RecordState, field: str, device_id: str, by: int) -> Increment:
    """Add `by` (may be negative) to a counter as `device_id`, from that device's totals.

    `state` must be the latest state that device knows (on the server: the row read under
    its lock), or two increments built from the same totals would count once.
    """
    rule = state.schema.rule_for(field)
    if rule is not Rule.COUNTER:
        raise InvalidChange("field.rule_mismatch", field=field, rule=rule.value, op="increment")
    p, n = state.fields.get(field, {}).get(device_id, (0, 0))
    return Increment(p + max(by, 0), n + max(-by, 0))
