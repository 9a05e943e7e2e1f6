"""Per-entity declaration of how each synced field merges.

The server declares one `EntitySchema` per synced table (customer, contact, deal, ...).
Fields not declared are not syncable: a change naming them is rejected ("field.unknown"),
which keeps server-owned columns (owner, server_seq, ...) out of devices' reach.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from sync.errors import InvalidChange


class Rule(StrEnum):
    """How concurrent writes to one field combine (a str, so it hashes fast and prints plainly)."""

    LWW = "lww"  # last-writer-wins register: the later HLC wins, loser may be a conflict
    SET = "set"  # set of strings: add/remove per element, later HLC per element wins
    LOG = "log"  # append-only log: entries by id, never lost, ordered by (HLC, id)
    COUNTER = "counter"  # PN-counter: per-device running totals, totals of all devices add


@dataclass(frozen=True, slots=True)
class EntitySchema:
    """The synced fields of one entity type and the merge rule of each."""

    entity: str
    rules: Mapping[str, Rule]

    @classmethod
    def define(
        cls,
        entity: str,
        *,
        lww: Iterable[str] = (),
        sets: Iterable[str] = (),
        logs: Iterable[str] = (),
        counters: Iterable[str] = (),
    ) -> EntitySchema:
        """Build a schema from field names grouped by rule; a name may appear only once."""
        rules: dict[str, Rule] = {}
        for rule, names in (
            (Rule.LWW, lww),
            (Rule.SET, sets),
            (Rule.LOG, logs),
            (Rule.COUNTER, counters),
        ):
            for name in names:
                if name in rules:
                    raise ValueError(f"{entity}.{name} is declared twice")
                rules[name] = rule
        return cls(entity, MappingProxyType(rules))

    def rule_for(self, field: str) -> Rule:
        """The field's rule; an undeclared field raises "field.unknown"."""
        try:
            return self.rules[field]
        except KeyError:
            raise InvalidChange("field.unknown", entity=self.entity, field=field) from None


class SchemaRegistry:
    """All synced entity schemas, looked up by the `entity` name a change carries."""

    def __init__(self, schemas: Iterable[EntitySchema] = ()) -> None:
        self._schemas: dict[str, EntitySchema] = {}
        for schema in schemas:
            self.register(schema)

    def register(self, schema: EntitySchema) -> None:
        if schema.entity in self._schemas:
            raise ValueError(f"entity {schema.entity!r} is registered twice")
        self._schemas[schema.entity] = schema

    def get(self, entity: str) -> EntitySchema:
        """The entity's schema; an unknown entity raises "entity.unknown"."""
        try:
            return self._schemas[entity]
        except KeyError:
            raise InvalidChange("entity.unknown", entity=entity) from None
