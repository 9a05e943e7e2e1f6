"""Record state: per-field merge state plus the record's causal length (alive/deleted).

Causal length (from cr-sqlite): a counter that only grows. Odd = alive, even = deleted,
0 = never seen. Creating (any field write) makes it at least 1, a delete moves it to the next
even number, an undelete to the next odd one, and replicas keep the larger value. So a delete
beats every edit made without seeing it (edits never lower or bump the length), an undelete
beats the delete it saw, and delete -> undelete -> delete ends at 4 = deleted on every
replica. Field states are kept while deleted, so an undelete brings the last values back.

JSON form (`to_parts`), split so the server can keep plain values in the row's columns and
the rest in its `field_versions` JSON column::

    values   = {"phone": "+86…", "tags": ["vip"], "log": [{"id": "a1", "value": …}],
                "visits": 3}
    versions = {"cl": 1,
                "f": {"phone": ["<hlc>", "<actor>"],          # LWW: [hlc] or [hlc, actor]
                      "tags": {"vip": ["<hlc>", 1], "cold": ["<hlc>", 0]},  # 1 = present
                      "log": {"a1": "<hlc>"},                # entry id -> hlc
                      "visits": {"dev-a": [4, 1]}}}          # device -> [incs, decs]

Set and counter values are derived from `versions` on load (the column is a projection);
LWW and log values are read from `values`. Fields never written are absent from both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from sync.conflicts import FieldWrite
from sync.errors import InvalidState
from sync.rules import RULES
from sync.schema import EntitySchema


class RecordState(msgspec.Struct, frozen=True):
    """Everything needed to merge one record: treat as immutable (apply returns new ones)."""

    schema: EntitySchema
    length: int = 0  # causal length: odd = alive, even = deleted, 0 = never seen
    fields: Mapping[str, Any] = msgspec.field(default_factory=dict)  # field -> rule state

    @classmethod
    def empty(cls, schema: EntitySchema) -> RecordState:
        """The state of a record nobody has written yet."""
        return cls(schema)

    @property
    def alive(self) -> bool:
        return self.length % 2 == 1

    def value(self, name: str, default: Any = None) -> Any:
        """The plain value of one field (what a column or a screen shows)."""
        state = self.fields.get(name)
        if state is None:
            return default
        return RULES[self.schema.rules[name]].visible(state)

    def values(self) -> dict[str, Any]:
        """Plain values of every written field."""
        return {name: self.value(name) for name in self.fields}

    def version(self, name: str) -> str | None:
        """HLC of a last-writer-wins field's current value (a device's `base_versions`)."""
        state = self.fields.get(name)
        return state.hlc if isinstance(state, FieldWrite) else None

    def versions(self) -> dict[str, str]:
        """HLCs of all last-writer-wins fields, ready to send as `base_versions`."""
        return {name: s.hlc for name, s in self.fields.items() if isinstance(s, FieldWrite)}

    def to_parts(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(plain values for the row's columns, JSON version metadata for `field_versions`)."""
        values: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        for name, state in self.fields.items():
            values[name], meta[name] = RULES[self.schema.rules[name]].dump(state)
        return values, {"cl": self.length, "f": meta}

    @classmethod
    def from_parts(
        cls, schema: EntitySchema, values: Mapping[str, Any], versions: Mapping[str, Any]
    ) -> RecordState:
        """Rebuild a state from `to_parts` output ("state.corrupt" if it does not fit)."""
        try:
            fields = {
                name: RULES[schema.rules[name]].load(values.get(name), meta)
                for name, meta in versions.get("f", {}).items()
            }
            length = int(versions.get("cl", 0))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InvalidState("state.corrupt", entity=schema.entity, detail=repr(error)) from None
        return cls(schema, length, fields)

    def to_dict(self) -> dict[str, Any]:
        """One JSON-able dict: {"values": ..., "versions": ...}."""
        values, versions = self.to_parts()
        return {"values": values, "versions": versions}

    @classmethod
    def from_dict(cls, schema: EntitySchema, data: Mapping[str, Any]) -> RecordState:
        return cls.from_parts(schema, data.get("values", {}), data.get("versions", {}))


def merge_states(a: RecordState, b: RecordState) -> RecordState:
    """Join two replicas of the same record: commutative, associative and idempotent."""
    if a.schema is not b.schema and a.schema != b.schema:
        raise InvalidState("state.schema_mismatch", left=a.schema.entity, right=b.schema.entity)
    fields = dict(a.fields)
    for name, theirs in b.fields.items():
        ours = fields.get(name)
        fields[name] = theirs if ours is None else RULES[a.schema.rules[name]].merge(ours, theirs)
    return RecordState(a.schema, max(a.length, b.length), fields)
