"""Sync benchmarks: `.venv/bin/python bench/sync.py [--records N ...]`.

In-process part (`bench_in_process`): how fast the pure `sync` library merges, with no
database or HTTP in the way. A realistic mix is generated up front (untimed): N records of
20 fields (14 last-writer-wins, 2 sets, 1 activity log, 3 counters; a deal/customer-like
shape), edited by 5 devices with skewed clocks, 1-4 fields per change, some edits made offline
on stale versions (so conflicts happen), pushed in sync batches that arrive interleaved
across devices, a few of them twice.
Two figures are timed:

- server path: `apply()` (validation included) of every change to per-record states, in
  field-changes per second — the number the >= 50k/s target applies to;
- replica path: `merge_states()` of the 5 devices' replicas into one, in field states/s.

End-to-end part (`bench_end_to_end`): on a throwaway SQLite or PostgreSQL database behind a
real `fieldcrm serve` process, a rep's device pushes 1,000 offline edits (outbox batches of
100) to 200 customers and the manager's device pulls them all. Target: < 2 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

# Put the repo root first: run as a script, this file's own directory would come first and
# `import sync` would find this very file (bench/sync.py) instead of the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sync import (
    Append,
    Change,
    EntitySchema,
    FieldOp,
    HybridClock,
    Increment,
    LogEntry,
    RecordState,
    Rule,
    SetValue,
    UpdateSet,
    apply,
    merge_states,
)

SCHEMA = EntitySchema.define(
    "customer",
    lww=[f"f{i:02d}" for i in range(14)],
    sets=["tags", "shared_with"],
    logs=["activities"],
    counters=["visits", "calls", "emails"],
)
FIELDS_BY_RULE = {rule: [name for name, r in SCHEMA.rules.items() if r is rule] for rule in Rule}
RULE_MIX = [(Rule.LWW, 0.80), (Rule.SET, 0.10), (Rule.LOG, 0.05), (Rule.COUNTER, 0.05)]
STALE_EDIT_SHARE = 0.10  # edits made offline on an out-of-date version
REPLAY_SHARE = 0.02  # sync batches delivered twice (retries)
SYNC_BATCH = (20, 200)  # changes per push after an offline stretch
T0 = 1_732_380_000_000
T = TypeVar("T")


@dataclass(frozen=True)
class Workload:
    changes: list[Change]  # in delivery order, replays included
    by_device: dict[str, list[Change]]

    @property
    def field_changes(self) -> int:
        return sum(len(change.fields) for change in self.changes)


@dataclass(frozen=True)
class Timing:
    """Wall and CPU seconds of one timed step; CPU time is steadier on a busy machine."""

    wall: float
    cpu: float

    def rates(self, work: int) -> tuple[float, float]:
        return work / self.wall, work / self.cpu


def timed(step: Callable[[], T]) -> tuple[T, Timing]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = step()
    return result, Timing(time.perf_counter() - wall, time.process_time() - cpu)


@dataclass(frozen=True)
class InProcessReport:
    records: int
    devices: int
    changes: int
    field_changes: int
    apply_time: Timing
    accepted_fields: int
    conflicts: int
    merged_field_states: int
    merge_time: Timing


class WorkloadBuilder:
    """Generates device edits while tracking what each device has seen (for base versions)."""

    def __init__(self, records: int, devices: int, rng: random.Random) -> None:
        self.rng = rng
        self.record_ids = [f"rec-{i:06d}" for i in range(records)]
        self.now_ms = T0
        self.clocks = [
            HybridClock(f"dev-{i}", self._device_time(rng.randint(-3_000, 3_000)))
            for i in range(devices)
        ]
        self.latest: dict[tuple[str, str], str] = {}  # (record, field) -> newest HLC
        self.totals: dict[tuple[str, str, str], tuple[int, int]] = {}  # counter totals
        self.next_id = 0

    def _device_time(self, offset_ms: int) -> Callable[[], int]:
        return lambda: self.now_ms + offset_ms

    def build(self, changes: int) -> Workload:
        by_device: dict[str, list[Change]] = {clock.node: [] for clock in self.clocks}
        for _ in range(changes):
            self.now_ms += self.rng.randint(0, 20)
            change = self.change(self.rng.choice(self.clocks))
            by_device[change.device_id].append(change)
        return Workload(self.deliveries(by_device), by_device)

    def deliveries(self, by_device: dict[str, list[Change]]) -> list[Change]:
        """Each device pushes its outbox in sync batches, in order; batches of different
        devices arrive interleaved (devices are offline for a while), a few are retried."""
        batches = [
            outbox[start : start + size]
            for outbox in by_device.values()
            for start, size in self.batch_bounds(len(outbox))
        ]
        batches += self.rng.sample(batches, int(len(batches) * REPLAY_SHARE))
        self.rng.shuffle(batches)
        return [change for batch in batches for change in batch]

    def batch_bounds(self, total: int) -> list[tuple[int, int]]:
        bounds, start = [], 0
        while start < total:
            size = self.rng.randint(*SYNC_BATCH)
            bounds.append((start, size))
            start += size
        return bounds

    def change(self, clock: HybridClock) -> Change:
        record_id = self.rng.choice(self.record_ids)
        hlc = str(clock.now())
        names = self.pick_fields(self.rng.randint(1, 4))
        fields = {name: self.op(record_id, name, clock.node) for name in names}
        stale = self.rng.random() < STALE_EDIT_SHARE
        base = {
            name: self.latest[(record_id, name)]
            for name in names
            if (record_id, name) in self.latest and not stale
        }
        for name in names:
            self.latest[(record_id, name)] = hlc
        self.next_id += 1
        return Change(
            f"op-{self.next_id}",
            "customer",
            record_id,
            clock.node,
            hlc,
            fields,
            base_versions=base,
            actor=f"user-{clock.node}",
        )

    def pick_fields(self, count: int) -> list[str]:
        rules = self.rng.choices([r for r, _ in RULE_MIX], [w for _, w in RULE_MIX], k=count)
        # Sorted, not a set: set order varies with hash seeding and would change the workload.
        return sorted({self.rng.choice(FIELDS_BY_RULE[rule]) for rule in rules})

    def op(self, record_id: str, name: str, device: str) -> FieldOp:
        rule = SCHEMA.rules[name]
        if rule is Rule.LWW:
            return SetValue(f"value-{self.rng.randint(0, 9)}")
        if rule is Rule.SET:
            element = f"tag-{self.rng.randint(0, 7)}"
            return (
                UpdateSet(add=[element]) if self.rng.random() < 0.7 else UpdateSet(remove=[element])
            )
        if rule is Rule.LOG:
            self.next_id += 1
            return Append([LogEntry(f"act-{self.next_id}", {"kind": "visit", "note": "ok"})])
        p, n = self.totals.get((record_id, name, device), (0, 0))
        self.totals[(record_id, name, device)] = totals = (p + 1, n)
        return Increment(*totals)


def apply_all(changes: list[Change]) -> tuple[dict[str, RecordState], int, int]:
    """The server path: every change through `apply`. Returns states, accepted, conflicts."""
    states: dict[str, RecordState] = {}
    empty = RecordState.empty(SCHEMA)
    accepted = conflicts = 0
    for change in changes:
        result = apply(states.get(change.record_id, empty), change)
        states[change.record_id] = result.state
        accepted += len(result.accepted)
        conflicts += len(result.conflicts)
    return states, accepted, conflicts


def merge_replicas(replicas: list[dict[str, RecordState]]) -> dict[str, RecordState]:
    """The replica path: fold whole replicas into one with `merge_states`."""
    merged: dict[str, RecordState] = {}
    for replica in replicas:
        for record_id, state in replica.items():
            ours = merged.get(record_id)
            merged[record_id] = state if ours is None else merge_states(ours, state)
    return merged


def bench_in_process(
    records: int = 10_000, devices: int = 5, changes: int = 100_000, seed: int = 1
) -> InProcessReport:
    """Generate the workload (untimed), then time the server path and the replica path."""
    workload = WorkloadBuilder(records, devices, random.Random(seed)).build(changes)

    (server_states, accepted, conflicts), apply_time = timed(lambda: apply_all(workload.changes))
    replicas = [apply_all(batch)[0] for batch in workload.by_device.values()]
    merged, merge_time = timed(lambda: merge_replicas(replicas))

    if merged != server_states:
        raise AssertionError("replica merge and server apply disagree")
    return InProcessReport(
        records=records,
        devices=devices,
        changes=len(workload.changes),
        field_changes=workload.field_changes,
        apply_time=apply_time,
        accepted_fields=accepted,
        conflicts=conflicts,
        merged_field_states=sum(len(s.fields) for r in replicas for s in r.values()),
        merge_time=merge_time,
    )


def print_in_process(report: InProcessReport) -> None:
    print("In-process merge (pure sync library, no DB/HTTP)")
    print(
        f"  workload        {report.records:,} records x {len(SCHEMA.rules)} fields, "
        f"{report.devices} devices"
    )
    print(
        f"  changes         {report.changes:,} ({report.field_changes:,} field changes, "
        f"{REPLAY_SHARE:.0%} replays)"
    )
    print_rate("server apply", "field-changes/s", report.field_changes, report.apply_time)
    print(f"  {'':16}{report.accepted_fields:,} accepted, {report.conflicts:,} conflicts recorded")
    print_rate("replica merge", "field-states/s", report.merged_field_states, report.merge_time)


def print_rate(label: str, unit: str, work: int, timing: Timing) -> None:
    per_wall, per_cpu = timing.rates(work)
    print(
        f"  {label:<16}{per_wall:>10,.0f} {unit} (wall {timing.wall:.2f} s)"
        f"   {per_cpu:>10,.0f} {unit} (CPU {timing.cpu:.2f} s)"
    )


async def bench_end_to_end(kind: str, edits: int = 1000, customers: int = 200) -> None:
    """Push `edits` offline edits from one device, pull them on another, over real HTTP."""
    import httpx

    from bench.common import live_server, throwaway_database
    from server.services import accounts

    async with throwaway_database(kind) as settings:
        team = await accounts.create_team("Bench")
        rep = await accounts.create_user("rep", None, "rep", team_id=team, password_hash="x")
        manager = await accounts.create_user(
            "mgr", None, "manager", team_id=team, password_hash="x"
        )
        tokens = [await accounts.issue_token(user, 1) for user in (rep, manager)]
        with live_server(settings) as base:
            async with httpx.AsyncClient(base_url=base, timeout=60) as http:
                rep_auth = {"Authorization": f"Bearer {tokens[0]}"}
                ids = await _create_customers(http, rep_auth, customers)
                outbox = _offline_edits(ids, edits)
                started = time.perf_counter()
                for batch_start in range(0, edits, 100):
                    batch = outbox[batch_start : batch_start + 100]
                    body = {"device_id": "bench-rep", "changes": batch}
                    response = await http.post("/sync/push", json=body, headers=rep_auth)
                    statuses = {r["status"] for r in response.json()["results"]}
                    assert statuses == {"applied"}, response.text[:500]
                pushed = time.perf_counter()
                pulled = await _pull_everything(http, {"Authorization": f"Bearer {tokens[1]}"})
                done = time.perf_counter()
        print(
            f"  [{kind}] {edits} edits: push {pushed - started:.2f} s, "
            f"pull {done - pushed:.2f} s ({pulled} records), total {done - started:.2f} s"
        )


async def _create_customers(http, auth: dict[str, str], count: int) -> list[str]:
    ids = []
    for i in range(count):
        body = {"name": f"基准客户{i}有限公司", "phone": f"1390000{i:04d}"}
        ids.append((await http.post("/api/customers", json=body, headers=auth)).json()["id"])
    return ids


def _offline_edits(ids: list[str], count: int) -> list[dict]:
    clock = HybridClock("bench-rep")
    fields = ("notes", "address", "source", "grade")
    values = {"grade": "ABC", "source": ["展会", "官网", "转介绍"]}
    outbox = []
    for i in range(count):
        field = fields[i % len(fields)]
        value = values[field][i % 3] if field in values else f"第 {i} 次拜访记录 visit {i}"
        outbox.append({
            "op_id": f"bench-rep:{i}", "entity": "customer", "record_id": ids[i % len(ids)],
            "device_id": "bench-rep", "hlc": str(clock.now()),
            "fields": {field: {"op": "set", "value": value}},
        })  # fmt: skip
    return outbox


async def _pull_everything(http, auth: dict[str, str]) -> int:
    cursor, received = 0, 0
    while True:
        page = (await http.get("/sync/pull", params={"cursor": cursor}, headers=auth)).json()
        received += len(page["records"])
        cursor = page["cursor"]
        if not page["more"]:
            return received


def main(argv: list[str] | None = None) -> int:
    import asyncio

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=5)
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--edits", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgres", help="'' skips end to end")
    args = parser.parse_args(argv)
    print_in_process(bench_in_process(args.records, args.devices, args.changes, args.seed))
    if args.databases:
        print("end to end (HTTP, one device pushes, another pulls; target < 2 s):")
    for kind in filter(None, args.databases.split(",")):
        asyncio.run(bench_end_to_end(kind, args.edits))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
