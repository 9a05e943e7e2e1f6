"""Admin-defined custom fields: their definitions and how values are checked."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server.domain.errors import FieldError, InvalidValue, ValidationFailed

FIELD_TYPES = ("text", "number", "date", "choice")
ENTITIES = ("customer", "contact", "deal")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class CustomFieldSpec:
    key: str
    field_type: str
    choices: tuple[str, ...] = ()
    required: bool = False


def validate_definition(
    entity: str, key: str, field_type: str, choices: list[str], label_en: str, label_zh: str
) -> None:
    errors = []
    if entity not in ENTITIES:
        errors.append(FieldError("entity", "choice.invalid", {"allowed": ", ".join(ENTITIES)}))
    if not KEY_PATTERN.match(key):
        errors.append(FieldError("key", "custom_field.bad_key"))
    if field_type not in FIELD_TYPES:
        errors.append(
            FieldError("field_type", "choice.invalid", {"allowed": ", ".join(FIELD_TYPES)})
        )
    if field_type == "choice" and not choices:
        errors.append(FieldError("choices", "required"))
    for name, label in (("label_en", label_en), ("label_zh", label_zh)):
        if not label.strip():
            errors.append(FieldError(name, "required"))
    if errors:
        raise ValidationFailed(errors)


def _convert(spec: CustomFieldSpec, value: Any) -> Any:
    if spec.field_type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidValue("type.number")
        return value
    if not isinstance(value, str):
        raise InvalidValue("type.string")
    if spec.field_type == "date":
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError as exc:
            raise InvalidValue("date.invalid") from exc
    if spec.field_type == "choice" and value not in spec.choices:
        raise InvalidValue("choice.invalid", allowed=", ".join(spec.choices))
    if len(value) > 500:
        raise InvalidValue("text.too_long", max=500)
    return value


def validate_custom_values(values: Any, specs: tuple[CustomFieldSpec, ...]) -> dict[str, Any]:
    if not isinstance(values, Mapping):
        raise ValidationFailed([FieldError("custom", "type.object")])
    by_key = {spec.key: spec for spec in specs}
    errors: list[FieldError] = []
    result: dict[str, Any] = {}
    for key, value in values.items():
        spec = by_key.get(key)
        if spec is None:
            errors.append(FieldError(f"custom.{key}", "field.unknown"))
        elif value is None or value == "":
            result[key] = None
        else:
            try:
                result[key] = _convert(spec, value)
            except InvalidValue as exc:
                errors.append(FieldError(f"custom.{key}", exc.code, exc.params))
    if errors:
        raise ValidationFailed(errors)
    return result
