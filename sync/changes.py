"""Changes: what a device (or a REST edit on the server) sends to alter one record.

A change is stamped with one HLC and names the fields it touches with one operation each,
plus optionally a record-level delete/undelete and the `base_versions` (field -> HLC) the
author last saw, which is how a conflict is told apart from a deliberate overwrite.

Wire form (JSON), decoded with `decode_change`::

    {"op_id": "7f0c…", "entity": "customer", "record_id": "4b1e…", "device_id": "dev-a",
     "hlc": "1732380000000:00000:dev-a",
     "fields": {"phone":  {"op": "set", "value": "+8613800000000"},
                "tags":   {"op": "update_set", "add": ["vip"], "remove": ["cold"]},
                "log":    {"op": "append", "entries": [{"id": "a1", "value": {"kind": "visit"}}]},
                "visits": {"op": "increment", "p": 3, "n": 0}},
     "record": {"op": "delete", "length": 2},
     "base_versions": {"phone": "1732370000000:00002:dev-b"}}

`actor` (the user behind the change) is never trusted from the wire: the server sets it
from the authenticated session (`msgspec.structs.replace(change, actor=user_id)`).
"""

from __future__ import annotations

from typing import Any

import msgspec

from sync.errors import InvalidChange
from sync.hlc import is_canonical, node_of
from sync.schema import EntitySchema, Rule


class _Op(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="op"):
    """Common base: every operation is tagged by its "op" name on the wire."""


class SetValue(_Op, tag="set"):
    """Write a last-writer-wins field."""

    value: Any


class UpdateSet(_Op, tag="update_set"):
    """Add and/or remove elements (strings) of a set field."""

    add: list[str] = msgspec.field(default_factory=list)
    remove: list[str] = msgspec.field(default_factory=list)


class LogEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One entry of an append-only log; `id` is client-generated and unique per field."""

    id: str
    value: Any


class Append(_Op, tag="append"):
    """Append entries to a log field."""

    entries: list[LogEntry]


class Increment(_Op, tag="increment"):
    """This device's running totals of a counter after the change (a PN-counter entry).

    Totals rather than deltas make the op idempotent: a replay cannot count twice, because
    merging keeps the larger total per device. `sync.edits.increment` builds it from a delta.
    """

    p: int  # sum of this device's increments so far
    n: int  # sum of this device's decrements so far (as a positive number)


class Delete(_Op, tag="delete"):
    """Delete the record: `length` is the next even causal length (see `sync.record`)."""

    length: int


class Undelete(_Op, tag="undelete"):
    """Bring a deleted record back: `length` is the next odd causal length."""

    length: int


FieldOp = SetValue | UpdateSet | Append | Increment
RecordOp = Delete | Undelete

OP_FOR_RULE: dict[Rule, type[_Op]] = {
    Rule.LWW: SetValue,
    Rule.SET: UpdateSet,
    Rule.LOG: Append,
    Rule.COUNTER: Increment,
}


class Change(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One atomic edit of one record by one device, stamped with one HLC."""

    op_id: str  # client-generated; the server's replay guard keys on it
    entity: str
    record_id: str
    device_id: str
    hlc: str  # canonical HLC text; its node must equal `device_id`
    fields: dict[str, FieldOp] = msgspec.field(default_factory=dict)
    record: RecordOp | None = None
    # None: the author did not say. A dict: a field missing from it means "saw no value".
    base_versions: dict[str, str] | None = None
    actor: str | None = None  # set by the server from the session, never from the wire

    def base_version(self, field: str) -> str | None:
        """The version of `field` the author last saw (None if none or not reported)."""
        return None if self.base_versions is None else self.base_versions.get(field)


_decoder = msgspec.json.Decoder(Change)


def decode_change(data: bytes | str | dict[str, Any]) -> Change:
    """Parse a change from JSON text or an already-decoded dict ("change.malformed")."""
    try:
        if isinstance(data, dict):
            return msgspec.convert(data, Change)
        return _decoder.decode(data)
    except msgspec.ValidationError as error:
        raise InvalidChange("change.malformed", detail=str(error)) from None
    except msgspec.DecodeError as error:
        raise InvalidChange("change.malformed", detail=str(error)) from None


def validate_change(schema: EntitySchema, change: Change) -> None:
    """Check a change against the entity's schema; raise `InvalidChange` on the first problem.

    Pure shape checks only. Value rules (phone formats, permissions, ...) are the server's.
    """
    if change.entity != schema.entity:
        raise InvalidChange("change.entity_mismatch", entity=change.entity, expected=schema.entity)
    if not change.op_id or not change.record_id:
        raise InvalidChange("change.malformed", detail="op_id and record_id must not be empty")
    if not is_canonical(change.hlc):
        raise InvalidChange("hlc.invalid", hlc=change.hlc)
    if node_of(change.hlc) != change.device_id:
        # The HLC node doubles as the per-field device id, so they must agree.
        raise InvalidChange("change.device_mismatch", hlc=change.hlc, device_id=change.device_id)
    if not change.fields and change.record is None:
        raise InvalidChange("change.empty")
    for field, op in change.fields.items():
        _validate_field_op(schema, field, op)
    if change.record is not None:
        _validate_record_op(change.record)
    for field, version in (change.base_versions or {}).items():
        schema.rule_for(field)
        if not is_canonical(version):
            raise InvalidChange("hlc.invalid", field=field, hlc=version)


def _validate_field_op(schema: EntitySchema, field: str, op: FieldOp) -> None:
    rule = schema.rule_for(field)
    if type(op) is not OP_FOR_RULE[rule]:
        raise InvalidChange(
            "field.rule_mismatch", field=field, rule=rule.value, op=type(op).__struct_config__.tag
        )
    if isinstance(op, UpdateSet):
        _validate_set_op(field, op)
    elif isinstance(op, Append):
        _validate_append(field, op)
    elif isinstance(op, Increment) and (op.p < 0 or op.n < 0):
        raise InvalidChange("counter.negative", field=field)


def _validate_set_op(field: str, op: UpdateSet) -> None:
    if not op.add and not op.remove:
        raise InvalidChange("set.empty", field=field)
    if not all(isinstance(element, str) for element in (*op.add, *op.remove)):
        raise InvalidChange("set.bad_element", field=field)
    both = set(op.add) & set(op.remove)
    if both:
        # One stamp cannot order an add against a remove of the same element.
        raise InvalidChange("set.add_and_remove", field=field, elements=sorted(both))


def _validate_append(field: str, op: Append) -> None:
    ids = [entry.id for entry in op.entries]
    if not ids:
        raise InvalidChange("log.empty", field=field)
    if not all(isinstance(entry_id, str) and entry_id for entry_id in ids):
        raise InvalidChange("log.bad_id", field=field)
    if len(set(ids)) != len(ids):
        raise InvalidChange("log.duplicate_id", field=field)


def _validate_record_op(op: RecordOp) -> None:
    # Odd causal length = alive, even = deleted; 1 is reserved for "created".
    wants_even = isinstance(op, Delete)
    if op.length < 2 or (op.length % 2 == 0) != wants_even:
        raise InvalidChange("record.bad_length", op=op.__struct_config__.tag, length=op.length)
