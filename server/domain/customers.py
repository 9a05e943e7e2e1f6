"""Customer record rules: which fields exist, which are required, how each value is normalized.

`validate_customer` is the single gate every write path goes through (REST create/update,
CSV import, sync). It collects every field error before failing, so a form can show them all,
and returns normalized column values (E.164 phone, region code, match key …).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.domain.custom_fields import CustomFieldSpec, validate_custom_values
from server.domain.errors import FieldError, InvalidValue, ValidationFailed
from server.domain.normalize import (
    clean_text,
    company_match_key,
    normalize_email,
    normalize_industry,
    normalize_phone,
    person_name_key,
)
from server.domain.records import text
from server.domain.regions import normalize_region

KINDS = ("company", "person")
GRADES = ("A", "B", "C")
LIFECYCLES = ("lead", "prospect", "active", "loyal", "churned", "invalid")
SIZES = ("1-10", "11-50", "51-200", "201-1000", "1000+")
MAX_TAGS = 20

# Fields a client may write, in the order a form shows them.
EDITABLE_FIELDS = (
    "kind", "name", "phone", "email", "region", "address", "industry", "size", "grade",
    "lifecycle", "source", "tags", "custom", "notes",
)  # fmt: skip
# Extra fields an admin may make mandatory (name and a contact method always are).
REQUIRABLE_FIELDS = ("region", "address", "industry", "size", "source")


@dataclass(frozen=True)
class CustomerRules:
    """Per-deployment settings that change validation."""

    phone_region: str = "CN"
    extra_required: tuple[str, ...] = ()
    custom_fields: tuple[CustomFieldSpec, ...] = field(default_factory=tuple)


def _choice(options: tuple[str, ...], fold: Callable[[str], str] = str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        cleaned = fold(clean_text(value)) if isinstance(value, str) else value
        if cleaned not in options:
            raise InvalidValue("choice.invalid", allowed=", ".join(options))
        return cleaned

    return convert


def _optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def wrapped(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not clean_text(value)):
            return None
        return convert(value)

    return wrapped


def _tags(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise InvalidValue("type.string_list")
    tags = sorted({clean_text(t) for t in value if clean_text(t)})
    if len(tags) > MAX_TAGS:
        raise InvalidValue("tags.too_many", max=MAX_TAGS)
    if any(len(t) > 30 for t in tags):
        raise InvalidValue("text.too_long", max=30)
    return tags


def _field_converters(rules: CustomerRules) -> dict[str, Callable[[Any], Any]]:
    return {
        "kind": _choice(KINDS),
        "name": text(200),
        "phone": _optional(lambda v: normalize_phone(_require_str(v), rules.phone_region)),
        "email": _optional(lambda v: normalize_email(_require_str(v))),
        "region": _optional(lambda v: normalize_region(_require_str(v))),
        "address": text(500),
        "industry": _optional(lambda v: normalize_industry(_require_str(v))),
        "size": _optional(_choice(SIZES)),
        "grade": _choice(GRADES, fold=str.upper),
        "lifecycle": _choice(LIFECYCLES),
        "source": text(32),
        "tags": _tags,
        "notes": text(5000, multiline=True),
    }


def _require_str(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue("type.string")
    return value


def normalize_customer_fields(incoming: Mapping[str, Any], rules: CustomerRules) -> dict[str, Any]:
    """Check and normalize each given field on its own (E.164 phone, region code, …).
    Raises ValidationFailed listing every bad or unknown field."""
    errors: list[FieldError] = [
        FieldError(name, "field.unknown") for name in incoming if name not in EDITABLE_FIELDS
    ]
    converters = _field_converters(rules)
    values: dict[str, Any] = {}
    for name, raw in incoming.items():
        if name == "custom" or name not in converters:
            continue
        try:
            values[name] = converters[name](raw)
        except InvalidValue as exc:
            errors.append(FieldError(name, exc.code, exc.params))
    if "custom" in incoming:
        try:
            values["custom"] = validate_custom_values(incoming["custom"], rules.custom_fields)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return values


def check_required(
    merged: Mapping[str, Any], rules: CustomerRules, changed: Collection[str] | None
) -> list[FieldError]:
    """Required-field errors on the record as it would be after the write. With `changed`
    (an update), only fields this write touched are reported, so an old incomplete record
    can still be edited field by field."""

    def reportable(name: str) -> bool:
        return changed is None or name in changed

    errors = []
    for name in ("name", *rules.extra_required):
        if not merged.get(name) and reportable(name):
            errors.append(FieldError(name, "required"))
    no_contact = not merged.get("phone") and not merged.get("email")
    if no_contact and (reportable("phone") or reportable("email")):
        errors.append(FieldError("phone", "contact_method.required"))
    custom = merged.get("custom") or {}
    for spec in rules.custom_fields:
        if spec.required and not custom.get(spec.key) and reportable("custom"):
            errors.append(FieldError(f"custom.{spec.key}", "required"))
    return errors


def customer_columns(fields: Mapping[str, Any], merged: Mapping[str, Any]) -> dict[str, Any]:
    """Field values → column values: `region` is stored as `region_code`, and the match key
    is derived whenever the name or kind changes (`merged` is the whole record)."""
    columns = {k: v for k, v in fields.items() if k != "region"}
    if "region" in fields:
        columns["region_code"] = fields["region"]
    if "name" in fields or "kind" in fields:
        columns["name_key"] = match_key(merged.get("kind") or "company", merged.get("name") or "")
    return columns


def validate_customer(
    incoming: Mapping[str, Any],
    rules: CustomerRules,
    existing: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Normalize `incoming` (a full create, or a partial update of `existing`, both keyed by
    field name) and check required fields; returns column values. Raises ValidationFailed."""
    values = normalize_customer_fields(incoming, rules)
    merged = {**(existing or {}), **values}
    errors = check_required(merged, rules, changed=None if existing is None else values)
    if errors:
        raise ValidationFailed(errors)
    return customer_columns(values, merged)


def match_key(kind: str, name: str) -> str:
    """The normalized key used for search and duplicate detection."""
    return person_name_key(name) if kind == "person" else company_match_key(name)
