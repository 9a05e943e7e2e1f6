"""Wire formats shared by several route modules, and row → JSON conversion."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from server.domain.normalize import format_phone
from server.domain.regions import region_name


class Page(msgspec.Struct):
    items: list[dict[str, Any]]
    total: int  # exact up to 1000; past that `total_capped` is true and total is 1001
    page: int
    per_page: int
    total_capped: bool = False


def _json_field(value: Any, empty: Any) -> Any:
    if value is None:
        return empty
    return json.loads(value) if isinstance(value, str) else value


def customer_out(row: dict[str, Any], lang: str, phone_region: str) -> dict[str, Any]:
    """A customer row as the API shows it: display phone, region name, parsed JSON fields."""
    hidden = {"field_versions", "deleted", "owner", "team", "created_by", "region_code"}
    out = {k: v for k, v in row.items() if k not in hidden}
    out.update(
        region=row.get("region_code"),
        region_name=region_name(row["region_code"], lang) if row.get("region_code") else None,
        phone_display=format_phone(row["phone"], phone_region) if row.get("phone") else None,
        tags=_json_field(row.get("tags"), []),
        custom=_json_field(row.get("custom"), {}),
        owner_id=row.get("owner"),
        team_id=row.get("team"),
    )
    return out


def audit_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "before": _json_field(row.get("before"), None),
        "after": _json_field(row.get("after"), None),
    }
