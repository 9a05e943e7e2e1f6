"""Conflicts: a person's value that a concurrent write from someone else replaced.

Only last-writer-wins fields have conflicts; sets, logs and counters merge without losing
anything. A conflict carries both sides (value, HLC, device, actor) so the UI can say
"your change to phone was replaced by Li Wei's at 14:02".
"""

from __future__ import annotations

from typing import Any

import msgspec

from sync.hlc import node_of, wall_ms_of


class FieldWrite(msgspec.Struct, frozen=True):
    """One write of a last-writer-wins field: also the stored state of such a field."""

    value: Any
    hlc: str  # canonical HLC text; its node is the writing device
    actor: str | None = None  # user id behind the write, when the server knows it

    @property
    def device_id(self) -> str:
        return node_of(self.hlc)

    @property
    def wall_ms(self) -> int:
        """When the write was made (ms since epoch, by the writer's clock)."""
        return wall_ms_of(self.hlc)

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "hlc": self.hlc,
            "device_id": self.device_id,
            "actor": self.actor,
        }


class Conflict(msgspec.Struct, frozen=True):
    """`loser`'s value for `field` was replaced by (or lost to) `winner`'s."""

    entity: str
    record_id: str
    field: str
    loser: FieldWrite
    winner: FieldWrite

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """Identity of the conflict: store it under a unique key so replays add nothing."""
        return (self.entity, self.record_id, self.field, self.loser.hlc, self.winner.hlc)

    @property
    def people(self) -> set[str]:
        """The actors to show this conflict to."""
        return {actor for actor in (self.loser.actor, self.winner.actor) if actor is not None}

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "record_id": self.record_id,
            "field": self.field,
            "loser": self.loser.to_dict(),
            "winner": self.winner.to_dict(),
        }
