"""A tiny device for tests: an id, a hybrid logical clock, an op counter, and push/pull."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import sync
from tests.conftest import ApiUser


@dataclass
class Device:
    user: ApiUser
    device_id: str = field(default_factory=lambda: f"dev-{uuid.uuid4().hex[:8]}")
    wall_ms: int = 1_764_000_000_000  # driven by hand: tests decide who wrote later
    cursor: int = 0
    _ops: itertools.count = field(default_factory=itertools.count)

    def stamp(self, at_ms: int | None = None) -> str:
        return str(sync.HLC(at_ms or self.wall_ms, 0, self.device_id))

    def change(
        self,
        entity: str,
        record_id: str,
        *,
        at_ms: int | None = None,
        base: dict[str, str] | None = None,
        record: dict | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """One change setting `fields` (tags=… becomes a set update)."""
        ops = {}
        for name, value in fields.items():
            if name == "tags":
                ops[name] = {"op": "update_set", "add": value, "remove": []}
            else:
                ops[name] = {"op": "set", "value": value}
        body: dict[str, Any] = {
            "op_id": f"{self.device_id}:{next(self._ops)}", "entity": entity,
            "record_id": record_id, "device_id": self.device_id, "hlc": self.stamp(at_ms),
            "fields": ops,
        }  # fmt: skip
        if base is not None:
            body["base_versions"] = base
        if record is not None:
            body["record"] = record
        return body

    async def push(self, *changes: dict[str, Any]) -> dict[str, Any]:
        response = await self.user.post(
            "/sync/push", json={"device_id": self.device_id, "changes": list(changes)}
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def pull_all(self) -> dict[str, dict[str, Any]]:
        """Pull until done; returns the records received by id (removed ones dropped)."""
        received: dict[str, dict[str, Any]] = {}
        while True:
            response = await self.user.get(
                "/sync/pull", params={"cursor": self.cursor, "limit": 50}
            )
            assert response.status_code == 200, response.text
            page = response.json()
            for record in page["records"]:
                received[record["id"]] = record
            for gone in page["removed"]:
                received.pop(gone["id"], None)
            self.cursor = page["cursor"]
            if not page["more"]:
                return received
