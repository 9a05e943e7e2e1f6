"""The synced entities: how each one maps between table rows and sync records.

A sync record is a dict of plain JSON values keyed by field name (dates and times as ISO
text, foreign keys as UUID text); `sync.RecordState` merges those. This module converts
rows ⇄ records, names each entity's merge rules, and holds its per-field checks.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from piccolo.table import Table

from server.db.tables import Activity, Contact, Customer, Deal, FollowUp
from server.domain import records
from server.domain.customers import (
    MAX_TAGS,
    CustomerRules,
    check_required,
    match_key,
    normalize_customer_fields,
)
from server.domain.errors import FieldError, ValidationFailed
from server.domain.normalize import clean_text
from server.domain.pipeline import DEAL_FIELDS
from sync import EntitySchema

CUSTOMER_LWW = (
    "kind", "name", "phone", "email", "region", "address", "industry", "size", "grade",
    "lifecycle", "source", "notes", "custom",
)  # fmt: skip


@dataclass(frozen=True)
class Entity:
    name: str
    table: type[Table]
    schema: EntitySchema
    # field → column where the names differ
    columns: Mapping[str, str] = field(default_factory=dict)
    # field → storage kind for conversion: datetime | date | uuid | json | decimal
    kinds: Mapping[str, str] = field(default_factory=dict)
    immutable: bool = False  # append-only records: created once, never edited
    has_customer_parent: bool = True

    def column(self, name: str) -> str:
        return self.columns.get(name, name)


CUSTOMER = Entity(
    "customer",
    Customer,
    EntitySchema.define("customer", lww=CUSTOMER_LWW, sets=("tags",)),
    columns={"region": "region_code"},
    kinds={"tags": "json", "custom": "json"},
    has_customer_parent=False,
)
CONTACT = Entity(
    "contact",
    Contact,
    EntitySchema.define(
        "contact",
        lww=(
            "customer_id",
            "name",
            "title",
            "phone",
            "email",
            "birthday",
            "anniversary",
            "is_primary",
        ),
    ),
    columns={"customer_id": "customer"},
    kinds={"customer_id": "uuid", "birthday": "date", "anniversary": "date"},
)
FOLLOW_UP = Entity(
    "follow_up",
    FollowUp,
    EntitySchema.define("follow_up", lww=("customer_id", "title", "due_at", "done_at")),
    columns={"customer_id": "customer"},
    kinds={"customer_id": "uuid", "due_at": "datetime", "done_at": "datetime"},
)
ACTIVITY = Entity(
    "activity",
    Activity,
    EntitySchema.define("activity", lww=tuple(records.ACTIVITY_CONVERTERS)),
    columns={"customer_id": "customer"},
    kinds={
        "customer_id": "uuid",
        "occurred_at": "datetime",
        "latitude": "decimal",
        "longitude": "decimal",
    },
    immutable=True,
)
# Deals merge like the others but are written by server/services/deals.py, which owns the
# stage rules (exit criteria, stage history); see sync_protocol._push_deal.
DEAL = Entity(
    "deal",
    Deal,
    # Owner and delete are not plain fields on a device: ownership is the server's, and a
    # delete travels as the record's tombstone.
    EntitySchema.define("deal", lww=[f for f in DEAL_FIELDS if f not in ("owner_id", "deleted")]),
    columns={"customer_id": "customer"},
    kinds={"customer_id": "uuid", "expected_close": "date", "amount": "decimal"},
)
ENTITIES: dict[str, Entity] = {e.name: e for e in (CUSTOMER, CONTACT, FOLLOW_UP, ACTIVITY, DEAL)}


# ---- row ⇄ record values -------------------------------------------------------------------


def _to_json_value(value: Any, kind: str | None) -> Any:
    if kind == "json":
        return json.loads(value) if isinstance(value, str) else value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def _to_column_value(value: Any, kind: str | None) -> Any:
    if value is None:
        return None
    if kind == "json":
        return json.dumps(value, ensure_ascii=False)
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "uuid":
        return uuid.UUID(value)
    if kind == "decimal":
        return decimal.Decimal(str(value))
    return value


def record_values(entity: Entity, row: Mapping[str, Any]) -> dict[str, Any]:
    """A row's synced fields as plain JSON values (fields with no value are left out)."""
    values = {}
    for name in entity.schema.rules:
        value = _to_json_value(row.get(entity.column(name)), entity.kinds.get(name))
        if value not in (None, [], {}):
            values[name] = value
    return values


def column_values(entity: Entity, values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        entity.column(name): _to_column_value(value, entity.kinds.get(name))
        for name, value in values.items()
    }


def derived_columns(entity: Entity, merged: Mapping[str, Any]) -> dict[str, Any]:
    """Columns computed from the record (not synced themselves)."""
    if entity is CUSTOMER:
        return {"name_key": match_key(merged.get("kind") or "company", merged.get("name") or "")}
    return {}


# ---- checks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checks:
    """Per-request settings the checks need (loaded once per push/request)."""

    customer_rules: CustomerRules


def normalize_values(entity: Entity, values: Mapping[str, Any], checks: Checks) -> dict[str, Any]:
    """Check and normalize the last-writer-wins values a change sets (ValidationFailed)."""
    if entity is CUSTOMER:
        return normalize_customer_fields(values, checks.customer_rules)
    converters: dict[str, Callable[[Any], Any]] = {
        "contact": lambda: records.contact_converters(checks.customer_rules.phone_region),
        "follow_up": lambda: records.FOLLOW_UP_CONVERTERS,
        "activity": lambda: records.ACTIVITY_CONVERTERS,
    }[entity.name]()
    return records.normalize_fields(values, converters)


def normalize_set_elements(elements: list[str]) -> list[str]:
    return sorted({clean_text(e) for e in elements if clean_text(e)})


def record_errors(
    entity: Entity, merged: Mapping[str, Any], changed: set[str] | None, checks: Checks
) -> list[FieldError]:
    """Whole-record rules on the merged result (required fields, limits)."""
    if entity is CUSTOMER:
        errors = check_required(merged, checks.customer_rules, changed)
        if len(merged.get("tags") or []) > MAX_TAGS:
            errors.append(FieldError("tags", "tags.too_many", {"max": MAX_TAGS}))
        return errors
    return records.missing(merged, records.REQUIRED[entity.name])


CREATION_DEFAULTS: dict[str, dict[str, Any]] = {
    "customer": {"kind": "company", "grade": "C", "lifecycle": "lead"},
    "contact": {"is_primary": False},
    "activity": {"kind": "visit"},
}


def creation_defaults(entity: Entity, wall_ms: int) -> dict[str, Any]:
    """Values a new record gets for fields its creator left out; written as part of the
    creating change, so devices receive them like any other value."""
    defaults = dict(CREATION_DEFAULTS.get(entity.name, {}))
    if entity is ACTIVITY:
        defaults["occurred_at"] = dt.datetime.fromtimestamp(wall_ms / 1000, dt.UTC).isoformat()
    return defaults


def raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors)
