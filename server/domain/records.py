"""Field rules for the records that hang off a customer: contacts, follow-ups, activities.

Like server/domain/customers.py: each function checks and normalizes the fields it is
given (values as they travel in JSON: dates and times as ISO text) and raises
ValidationFailed with every bad field.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import Any

from server.domain.errors import FieldError, InvalidValue, ValidationFailed
from server.domain.normalize import clean_multiline, clean_text, normalize_email, normalize_phone

ACTIVITY_KINDS = ("visit", "call", "meeting", "email", "note")
Converter = Callable[[Any], Any]


def text(limit: int, required: bool = False, multiline: bool = False) -> Converter:
    """Text cleaned like every display value; `multiline` keeps line breaks."""
    clean = clean_multiline if multiline else clean_text

    def convert(value: Any) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise InvalidValue("type.string")
        cleaned = clean(value)
        if len(cleaned) > limit:
            raise InvalidValue("text.too_long", max=limit)
        if required and not cleaned:
            raise InvalidValue("required")
        return cleaned or None

    return convert


def customer_ref(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise InvalidValue("type.invalid", detail="customer_id must be a UUID") from exc


def iso_date(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        raise InvalidValue("date.invalid") from exc


def iso_datetime(value: Any) -> str | None:
    """ISO 8601 with an offset (or Z), normalized to UTC; a naive time is refused."""
    if value in (None, ""):
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidValue("datetime.invalid") from exc
    if moment.tzinfo is None:
        raise InvalidValue("datetime.invalid")
    return moment.astimezone(dt.UTC).isoformat()


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue("type.boolean")
    return value


def number_between(low: float, high: float) -> Converter:
    def convert(value: Any) -> float | None:
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise InvalidValue("number.range", min=low, max=high)
        return float(value)

    return convert


def choice(options: tuple[str, ...]) -> Converter:
    def convert(value: Any) -> str:
        if value not in options:
            raise InvalidValue("choice.invalid", allowed=", ".join(options))
        return value

    return convert


def optional(convert: Converter) -> Converter:
    return lambda value: None if value in (None, "") else convert(value)


def normalize_fields(
    incoming: Mapping[str, Any], converters: Mapping[str, Converter]
) -> dict[str, Any]:
    """Run each field's converter; unknown fields and bad values → one ValidationFailed."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name, raw in incoming.items():
        convert = converters.get(name)
        if convert is None:
            errors.append(FieldError(name, "field.unknown"))
            continue
        try:
            values[name] = convert(raw)
        except InvalidValue as exc:
            errors.append(FieldError(name, exc.code, exc.params))
    if errors:
        raise ValidationFailed(errors)
    return values


def missing(merged: Mapping[str, Any], required: Collection[str]) -> list[FieldError]:
    return [FieldError(name, "required") for name in required if merged.get(name) in (None, "")]


def contact_converters(phone_region: str) -> dict[str, Converter]:
    return {
        "customer_id": customer_ref,
        "name": text(100, required=True),
        "title": text(100),
        "phone": optional(lambda v: normalize_phone(str(v), phone_region)),
        "email": optional(lambda v: normalize_email(str(v))),
        "birthday": iso_date,
        "anniversary": iso_date,
        "is_primary": boolean,
    }


FOLLOW_UP_CONVERTERS: dict[str, Converter] = {
    "customer_id": customer_ref,
    "title": text(200, required=True),
    "due_at": iso_datetime,
    "done_at": iso_datetime,
}

ACTIVITY_CONVERTERS: dict[str, Converter] = {
    "customer_id": customer_ref,
    "kind": choice(ACTIVITY_KINDS),
    "occurred_at": iso_datetime,
    "summary": text(5000, required=True, multiline=True),
    "next_step": text(1000, multiline=True),
    "location": text(200),
    "latitude": number_between(-90, 90),
    "longitude": number_between(-180, 180),
}

REQUIRED = {
    "contact": ("customer_id", "name"),
    "follow_up": ("customer_id", "title", "due_at"),
    "activity": ("customer_id", "kind", "occurred_at", "summary"),
}
