"""Property tests: devices edit offline, sync in random order with duplicates, and converge.

The simulation: a few devices with skewed clocks edit a few shared records (every rule kind,
plus delete/undelete), push their outbox to a server replica (sometimes twice), and pull
the server's states back with `merge_states`. At the end everyone syncs twice. Then:

- every device replica equals the server (convergence),
- replaying every change in a shuffled order with duplicates, or as two halves merged with
  `merge_states`, gives the same states (order and duplication do not matter),
- every write is present or superseded by a higher HLC, and a person's value that was
  replaced without its replacer having seen it is recorded as a conflict,
- deletes/undeletes follow the causal-length rule, counters add, logs lose nothing,
- the final states survive a JSON round trip.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync import (
    HLC,
    Append,
    Change,
    Conflict,
    FieldOp,
    HybridClock,
    Increment,
    LogEntry,
    RecordState,
    SetValue,
    UpdateSet,
    apply,
    edits,
    merge_states,
)

from .support import CUSTOMER, LWW_FIELDS, T0, canonical

DEVICES = ("dev-a", "dev-b", "dev-c")
RECORDS = ("r1", "r2")
ELEMENTS = ("vip", "hot", "cold")
VALUES = ("x", "y", "z", 1, None)  # small domain, so equal concurrent values happen too
SET_FIELDS = ("tags", "shared_with")

# --- what devices do -----------------------------------------------------------------------

lww_ops = st.tuples(st.sampled_from(LWW_FIELDS), st.sampled_from(VALUES))
set_ops = st.tuples(
    st.sampled_from(SET_FIELDS),
    st.lists(st.sampled_from(ELEMENTS), min_size=1, max_size=3, unique=True),
    st.integers(0, 3),  # how many of the drawn elements are removes rather than adds
)
edit_specs = st.fixed_dictionaries(
    {},
    optional={
        "lww": st.lists(lww_ops, min_size=1, max_size=2, unique_by=lambda op: op[0]),
        "set": set_ops,
        "log": st.sampled_from(("visit", "call")),
        "counter": st.sampled_from((-1, 1, 2)),
    },
).filter(bool)
device_index = st.integers(0, len(DEVICES) - 1)
record_index = st.integers(0, len(RECORDS) - 1)
actions = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), device_index, record_index, edit_specs),
        st.tuples(st.just("edit"), device_index, record_index, edit_specs),
        st.tuples(st.just("toggle_delete"), device_index, record_index),
        st.tuples(st.just("sync"), device_index, st.booleans()),
        st.tuples(st.just("tick"), st.integers(0, 3_000)),
    ),
    min_size=10,
    max_size=50,
)
clock_offsets = st.lists(st.integers(-2_000, 2_000), min_size=len(DEVICES), max_size=len(DEVICES))


# --- the simulated world -------------------------------------------------------------------


@dataclass
class Server:
    states: dict[str, RecordState] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    max_hlc: str = ""

    def push(self, change: Change) -> None:
        result = apply(self.states.get(change.record_id, RecordState.empty(CUSTOMER)), change)
        self.states[change.record_id] = result.state
        self.conflicts.extend(result.conflicts)
        self.max_hlc = max(self.max_hlc, change.hlc)


@dataclass
class Device:
    name: str
    clock: HybridClock
    replica: dict[str, RecordState] = field(default_factory=dict)
    outbox: list[Change] = field(default_factory=list)

    def state(self, record_id: str) -> RecordState:
        return self.replica.get(record_id, RecordState.empty(CUSTOMER))

    def commit(self, change: Change) -> None:
        self.replica[change.record_id] = apply(self.state(change.record_id), change).state
        self.outbox.append(change)

    def sync(self, server: Server, duplicate: bool) -> None:
        deliveries = self.outbox + (self.outbox[::-1] if duplicate else [])
        for change in deliveries:
            server.push(change)
        self.outbox = []
        for record_id, theirs in server.states.items():
            self.replica[record_id] = merge_states(self.state(record_id), theirs)
        if server.max_hlc:
            self.clock.receive(HLC.parse(server.max_hlc))


@dataclass
class World:
    server: Server
    devices: list[Device]
    sent: list[Change] = field(default_factory=list)
    now_ms: int = T0
    ids: int = 0

    @classmethod
    def create(cls, offsets: list[int]) -> World:
        world = cls(Server(), [])
        for name, offset in zip(DEVICES, offsets, strict=True):
            clock = HybridClock(name, lambda offset=offset: world.now_ms + offset)
            world.devices.append(Device(name, clock))
        return world

    def run(self, action: tuple[Any, ...]) -> None:
        kind, *args = action
        if kind == "tick":
            self.now_ms += args[0]
        elif kind == "sync":
            self.devices[args[0]].sync(self.server, duplicate=args[1])
        elif kind == "edit":
            self.edit(self.devices[args[0]], RECORDS[args[1]], args[2])
        else:
            self.toggle_delete(self.devices[args[0]], RECORDS[args[1]])

    def edit(self, device: Device, record_id: str, spec: dict[str, Any]) -> None:
        state = device.state(record_id)
        ops = self.field_ops(device, state, spec)
        base = {name: v for name, v in state.versions().items() if name in ops}
        self.commit(device, record_id, fields=ops, base_versions=base)

    def field_ops(
        self, device: Device, state: RecordState, spec: dict[str, Any]
    ) -> dict[str, FieldOp]:
        ops: dict[str, FieldOp] = {name: SetValue(value) for name, value in spec.get("lww", [])}
        if "set" in spec:
            name, elements, removes = spec["set"]
            ops[name] = UpdateSet(add=elements[removes:], remove=elements[:removes])
        if "log" in spec:
            self.ids += 1
            ops["activities"] = Append([LogEntry(f"{device.name}-{self.ids}", spec["log"])])
        if "counter" in spec:
            ops["visits"] = edits.increment(state, "visits", device.name, spec["counter"])
        return ops

    def toggle_delete(self, device: Device, record_id: str) -> None:
        state = device.state(record_id)
        if state.length == 0:
            return  # the device has never seen this record
        op = edits.delete(state) if state.alive else edits.undelete(state)
        self.commit(device, record_id, record=op)

    def commit(self, device: Device, record_id: str, **parts: Any) -> None:
        self.ids += 1
        change = Change(
            op_id=f"op-{self.ids}",
            entity="customer",
            record_id=record_id,
            device_id=device.name,
            hlc=str(device.clock.now()),
            actor=f"user-of-{device.name}",
            **parts,
        )
        device.commit(change)
        self.sent.append(change)

    def settle(self) -> None:
        for _ in range(2):  # the second round pulls what later devices pushed in the first
            for device in self.devices:
                device.sync(self.server, duplicate=False)


def simulate(offsets: list[int], steps: list[tuple[Any, ...]]) -> World:
    world = World.create(offsets)
    for action in steps:
        world.run(action)
    world.settle()
    return world


def replay(changes: list[Change]) -> dict[str, RecordState]:
    states: dict[str, RecordState] = {}
    for change in changes:
        state = states.get(change.record_id, RecordState.empty(CUSTOMER))
        states[change.record_id] = apply(state, change).state
    return states


def exact(states: dict[str, RecordState]) -> dict[str, bytes]:
    return {record_id: canonical(state) for record_id, state in states.items()}


def merge_replicas(*replicas: dict[str, RecordState]) -> dict[str, RecordState]:
    merged: dict[str, RecordState] = {}
    for replica in replicas:
        for record_id, state in replica.items():
            merged[record_id] = (
                merge_states(merged[record_id], state) if record_id in merged else state
            )
    return merged


# --- properties ----------------------------------------------------------------------------

SIMULATION = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SIMULATION
@given(clock_offsets, actions, st.randoms(use_true_random=False))
def test_replicas_converge_whatever_the_delivery_order(offsets, steps, rng: random.Random) -> None:
    world = simulate(offsets, steps)
    expected = exact(world.server.states)

    for device in world.devices:
        assert exact(device.replica) == expected

    shuffled = world.sent + rng.sample(world.sent, k=len(world.sent) // 2)  # with duplicates
    rng.shuffle(shuffled)
    assert exact(replay(shuffled)) == expected

    half = len(shuffled) // 2
    assert exact(merge_replicas(replay(shuffled[half:]), replay(shuffled[:half]))) == expected


@SIMULATION
@given(clock_offsets, actions)
def test_every_write_is_present_or_superseded_and_lost_values_are_conflicts(offsets, steps) -> None:
    world = simulate(offsets, steps)
    lost = {(c.record_id, c.field, c.loser.hlc) for c in world.server.conflicts}
    writes = _lww_writes(world.sent)

    for (record_id, name), history in writes.items():
        final = world.server.states[record_id].fields[name]
        for write in history:
            assert final.hlc >= write.hlc
            if final.hlc == write.hlc:
                assert final.value == write.fields[name].value
            elif not _knowingly_superseded(write, name, history):
                assert (record_id, name, write.hlc) in lost


@SIMULATION
@given(clock_offsets, actions)
def test_sets_logs_counters_and_deletes_follow_their_rules(offsets, steps) -> None:
    world = simulate(offsets, steps)
    for record_id, state in world.server.states.items():
        changes = [c for c in world.sent if c.record_id == record_id]
        for name in SET_FIELDS:
            assert state.value(name, []) == _expected_set(changes, name)
        assert state.value("activities", []) == _expected_log(changes)
        assert state.value("visits", 0) == _expected_count(changes)
        assert state.length == _expected_length(changes)


@SIMULATION
@given(clock_offsets, actions)
def test_states_survive_a_json_round_trip(offsets, steps) -> None:
    for state in simulate(offsets, steps).server.states.values():
        stored = msgspec.json.decode(msgspec.json.encode(state.to_parts()))
        assert canonical(RecordState.from_parts(CUSTOMER, *stored)) == canonical(state)
        assert RecordState.from_parts(CUSTOMER, *stored) == state


# --- what the rules promise, computed independently of sync's code -------------------------


def _lww_writes(changes: list[Change]) -> dict[tuple[str, str], list[Change]]:
    writes: dict[tuple[str, str], list[Change]] = defaultdict(list)
    for change in changes:
        for name, op in change.fields.items():
            if isinstance(op, SetValue):
                writes[(change.record_id, name)].append(change)
    return writes


def _knowingly_superseded(write: Change, name: str, history: list[Change]) -> bool:
    """A later write replaced it having seen it (or something newer), or lost nothing."""
    value = write.fields[name].value
    for later in history:
        if later.hlc <= write.hlc:
            continue
        seen = later.base_version(name)
        if (seen is not None and seen >= write.hlc) or later.device_id == write.device_id:
            return True
        if later.fields[name].value == value:
            return True
    return False


def _expected_set(changes: list[Change], name: str) -> list[str]:
    stamps: dict[str, tuple[str, bool]] = {}
    for change in changes:
        op = change.fields.get(name)
        if isinstance(op, UpdateSet):
            for element in op.add:
                stamps[element] = max(stamps.get(element, ("", False)), (change.hlc, True))
            for element in op.remove:
                stamps[element] = max(stamps.get(element, ("", False)), (change.hlc, False))
    return sorted(element for element, (_, present) in stamps.items() if present)


def _expected_log(changes: list[Change]) -> list[dict[str, Any]]:
    entries = [
        (change.hlc, entry.id, entry.value)
        for change in changes
        if isinstance(op := change.fields.get("activities"), Append)
        for entry in op.entries
    ]
    return [{"id": entry_id, "value": value} for _, entry_id, value in sorted(entries)]


def _expected_count(changes: list[Change]) -> int:
    # Each device's running totals only grow, so its last op holds all its increments.
    last: dict[str, Increment] = {}
    for change in changes:
        if isinstance(op := change.fields.get("visits"), Increment):
            last[change.device_id] = op
    return sum(op.p - op.n for op in last.values())


def _expected_length(changes: list[Change]) -> int:
    created = 1 if any(change.fields for change in changes) else 0
    lengths = [change.record.length for change in changes if change.record is not None]
    return max([created, *lengths])
