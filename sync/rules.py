"""Merge rules, one class per `Rule`: how a field's state absorbs an op or another replica.

Every rule keeps a small immutable-by-convention state per field and offers the same five
operations, so `sync.record` and `sync.apply` treat all fields alike:

- `apply(current, op, write)` -> (new state, (loser, winner) | None). Returns `current`
  itself when nothing changed, which is how callers detect a replay.
- `merge(a, b)`: commutative, associative, idempotent join of two replicas' states.
- `visible(state)`: the plain value a row column or a UI shows.
- `dump(state)` -> (plain value, version metadata) and `load(value, metadata)`: JSON form.

Every merge picks its winner by a total order, never by arrival order, which is what makes
replicas converge. Ties on equal HLC (only possible for replays or a misbehaving device,
since the HLC includes the device id) fall back to the canonical JSON of the value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

import msgspec

from sync.changes import Append, FieldOp, Increment, SetValue, UpdateSet
from sync.conflicts import FieldWrite
from sync.hlc import node_of
from sync.schema import Rule

Clash = tuple[FieldWrite, FieldWrite]  # (loser, winner)
SetState = dict[str, tuple[str, bool]]  # element -> (hlc, present)
LogState = dict[str, tuple[str, Any]]  # entry id -> (hlc, value)
CounterState = dict[str, tuple[int, int]]  # device id -> (increments, decrements)

S = TypeVar("S")


class WriteContext(msgspec.Struct, frozen=True):
    """Who writes, when, and which version of the field they had seen."""

    hlc: str
    device_id: str
    actor: str | None
    base: str | None  # version the author last saw; None = saw nothing
    base_known: bool  # False when the change did not report base versions at all


def value_key(value: Any) -> bytes:
    """A total order on JSON values (canonical JSON bytes), used only to break HLC ties."""
    return msgspec.json.encode(value, order="sorted")


class FieldRule(Protocol):
    """The five operations every rule offers (see the module docstring)."""

    def apply(self, current: Any, op: FieldOp, write: WriteContext) -> tuple[Any, Clash | None]: ...

    def merge(self, a: Any, b: Any) -> Any: ...

    def visible(self, state: Any) -> Any: ...

    def dump(self, state: Any) -> tuple[Any, Any]: ...

    def load(self, value: Any, meta: Any) -> Any: ...


class LastWriterWins:
    """A register: the write with the higher HLC wins; losing a person's value is a conflict."""

    def apply(
        self, current: FieldWrite | None, op: SetValue, write: WriteContext
    ) -> tuple[FieldWrite | None, Clash | None]:
        incoming = FieldWrite(op.value, write.hlc, write.actor)
        if current is None:
            return incoming, None
        if not self.beats(incoming, current):
            # The incoming value lost to a newer one: always news to its author.
            return current, self._clash(loser=incoming, winner=current)
        # The incoming value wins; it only displaces a value its author had not seen.
        overwrote_unseen = write.base_known and (write.base is None or write.base < current.hlc)
        return incoming, self._clash(loser=current, winner=incoming) if overwrote_unseen else None

    @staticmethod
    def beats(a: FieldWrite, b: FieldWrite) -> bool:
        """True when `a` wins over `b` on every replica; equal writes do not beat each other.

        HLC order already breaks ties by device id; equal HLCs (a replay, or a device reusing
        a stamp) fall back to the canonical value, then the actor.
        """
        if a.hlc != b.hlc:
            return a.hlc > b.hlc
        return (value_key(a.value), a.actor or "") > (value_key(b.value), b.actor or "")

    @staticmethod
    def _clash(loser: FieldWrite, winner: FieldWrite) -> Clash | None:
        """(loser, winner) when a person's value gave way to someone else's different value."""
        if loser.actor is None or loser.value == winner.value:
            return None  # automation (no actor) has no one to tell; equal values lose nothing
        # Replacing your own value is not a conflict. "Own" means the same person when known:
        # every REST edit shares the server's node id, and a shared tablet has several users.
        if winner.actor is not None:
            return None if winner.actor == loser.actor else (loser, winner)
        return None if node_of(winner.hlc) == node_of(loser.hlc) else (loser, winner)

    def merge(self, a: FieldWrite, b: FieldWrite) -> FieldWrite:
        return b if self.beats(b, a) else a

    def visible(self, state: FieldWrite) -> Any:
        return state.value

    def dump(self, state: FieldWrite) -> tuple[Any, list[str]]:
        meta = [state.hlc] if state.actor is None else [state.hlc, state.actor]
        return state.value, meta

    def load(self, value: Any, meta: list[str]) -> FieldWrite:
        return FieldWrite(value, *meta)


class AddRemoveSet:
    """A set of strings with per-element (HLC, present) stamps; removed ones stay as tombstones.

    The later stamp of an element wins, so re-adding after a remove works. On an equal HLC
    the add wins (True > False), though validation forbids both in one change.
    """

    def apply(
        self, current: SetState | None, op: UpdateSet, write: WriteContext
    ) -> tuple[SetState | None, None]:
        stamps = [(element, (write.hlc, True)) for element in op.add]
        stamps += [(element, (write.hlc, False)) for element in op.remove]
        return _join_keyed(current or {}, stamps, current, max), None

    def merge(self, a: SetState, b: SetState) -> SetState:
        return _join_keyed(a, b.items(), a, max)

    def visible(self, state: SetState) -> list[str]:
        return sorted(element for element, (_, present) in state.items() if present)

    def dump(self, state: SetState) -> tuple[list[str], dict[str, list[Any]]]:
        meta = {element: [hlc, int(present)] for element, (hlc, present) in state.items()}
        return self.visible(state), meta

    def load(self, value: Any, meta: dict[str, list[Any]]) -> SetState:
        return {element: (hlc, bool(present)) for element, (hlc, present) in meta.items()}


class AppendOnlyLog:
    """Entries keyed by id; none is ever dropped. Shown in (HLC, id) order."""

    def apply(
        self, current: LogState | None, op: Append, write: WriteContext
    ) -> tuple[LogState | None, None]:
        stamps = [(entry.id, (write.hlc, entry.value)) for entry in op.entries]
        return _join_keyed(current or {}, stamps, current, _later_entry), None

    def merge(self, a: LogState, b: LogState) -> LogState:
        return _join_keyed(a, b.items(), a, _later_entry)

    def visible(self, state: LogState) -> list[dict[str, Any]]:
        ordered = sorted(state.items(), key=lambda item: (item[1][0], item[0]))
        return [{"id": entry_id, "value": value} for entry_id, (_, value) in ordered]

    def dump(self, state: LogState) -> tuple[list[dict[str, Any]], dict[str, str]]:
        return self.visible(state), {entry_id: hlc for entry_id, (hlc, _) in state.items()}

    def load(self, value: list[dict[str, Any]], meta: dict[str, str]) -> LogState:
        return {entry["id"]: (meta[entry["id"]], entry["value"]) for entry in value}


class PNCounter:
    """Per-device running totals (increments, decrements); the value is the sum over devices."""

    def apply(
        self, current: CounterState | None, op: Increment, write: WriteContext
    ) -> tuple[CounterState | None, None]:
        totals = [(write.device_id, (op.p, op.n))]
        return _join_keyed(current or {}, totals, current, _larger_totals), None

    def merge(self, a: CounterState, b: CounterState) -> CounterState:
        return _join_keyed(a, b.items(), a, _larger_totals)

    def visible(self, state: CounterState) -> int:
        return sum(p - n for p, n in state.values())

    def dump(self, state: CounterState) -> tuple[int, dict[str, list[int]]]:
        return self.visible(state), {device: [p, n] for device, (p, n) in state.items()}

    def load(self, value: Any, meta: dict[str, list[int]]) -> CounterState:
        return {device: (p, n) for device, (p, n) in meta.items()}


def _later_entry(old: tuple[str, Any], new: tuple[str, Any]) -> tuple[str, Any]:
    # Later HLC wins; an id reused with other content (a client bug) still resolves the same
    # way everywhere because the canonical JSON breaks the tie.
    return max(old, new, key=lambda stamp: (stamp[0], value_key(stamp[1])))


def _larger_totals(old: tuple[int, int], new: tuple[int, int]) -> tuple[int, int]:
    if old[0] >= new[0] and old[1] >= new[1]:
        return old
    return (max(old[0], new[0]), max(old[1], new[1]))


def _join_keyed(
    base: dict[str, S],
    incoming: Iterable[tuple[str, S]],
    unchanged: dict[str, S] | None,
    join: Callable[[S, S], S],
) -> dict[str, S] | None:
    """Fold keyed stamps into a dict with `join(old, new)`, copying it only on a real change.

    `join` returns `old` itself when `new` adds nothing; then `unchanged` (the caller's own
    object, possibly None) comes back, which is how a replay shows up as "nothing changed".
    """
    result: dict[str, S] | None = None
    for name, stamp in incoming:
        old = (base if result is None else result).get(name)
        new = stamp if old is None else join(old, stamp)
        if new is old:
            continue
        if result is None:
            result = dict(base)
        result[name] = new
    return unchanged if result is None else result


RULES: dict[Rule, FieldRule] = {
    Rule.LWW: LastWriterWins(),
    Rule.SET: AddRemoveSet(),
    Rule.LOG: AppendOnlyLog(),
    Rule.COUNTER: PNCounter(),
}
