"""Field-level survivorship: which value each field of a merged customer keeps.

For every field the most recent non-empty value wins. "Recent" is the field's own version
(an HLC string, which sorts as text); a field without a real version (written before field
versions existed) falls back to the record's `updated_at`, in the same text form. On a tie
the more complete record wins, then the survivor. Sets (tags) are united and custom fields
are merged key by key, newer record first, so nothing either record knew is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_NO_WALL_TIME = "0" * 13  # legacy stamps carry wall time 0: they say nothing about recency


@dataclass(frozen=True)
class Side:
    """One record as survivorship sees it."""

    values: Mapping[str, Any]  # field → plain value
    versions: Mapping[str, str]  # field → HLC of its value, where known
    updated_at_ms: int  # fallback recency, milliseconds since the epoch

    def stamp(self, field: str) -> str:
        version = self.versions.get(field) or ""
        if version[:13].isdigit() and version[:13] != _NO_WALL_TIME:
            return version
        return f"{self.updated_at_ms:013d}:00000:"

    @property
    def completeness(self) -> int:
        return sum(1 for value in self.values.values() if not is_empty(value))


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def merged_values(
    survivor: Side, loser: Side, fields: Iterable[str], set_fields: Iterable[str] = ()
) -> dict[str, Any]:
    """The merged record's value of each field (and of each set field: the union)."""
    merged = {field: _latest(survivor, loser, field) for field in fields}
    if "custom" in merged:
        merged["custom"] = _merged_custom(survivor, loser)
    for field in set_fields:
        union = set(survivor.values.get(field) or []) | set(loser.values.get(field) or [])
        merged[field] = sorted(union)
    return merged


def _latest(survivor: Side, loser: Side, field: str) -> Any:
    # max() keeps the first of equals, and the survivor comes first.
    having = [side for side in (survivor, loser) if not is_empty(side.values.get(field))]
    if not having:
        return survivor.values.get(field)
    best = max(having, key=lambda side: (side.stamp(field), side.completeness))
    return best.values[field]


def _merged_custom(survivor: Side, loser: Side) -> dict[str, Any]:
    older, newer = sorted(
        (loser, survivor), key=lambda side: (side.stamp("custom"), side is survivor)
    )
    merged = {k: v for k, v in (older.values.get("custom") or {}).items() if not is_empty(v)}
    merged.update({k: v for k, v in (newer.values.get("custom") or {}).items() if not is_empty(v)})
    return merged
