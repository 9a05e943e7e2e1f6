"""Reminder scan and web-push throughput.

    .venv/bin/python bench/reminders.py [--db sqlite|postgres] [--customers 100000] [--due 10000]

Seeds customers of which `--due` have a cadence reminder due now (the rest: contacts with
birthdays months away, open deals inside their stage time, future follow-ups, active
contracts far from expiry — rows the scan must read and reject), then measures:

1. one reminder scan (load, rules, store occurrences + notifications) and the enqueue of
   the push jobs into Redis (arq, the production path), timed apart;
2. pushes/s of the arq worker delivering those jobs to the local push service (a real one
   that verifies VAPID and decrypts every message, in its own process so its CPU does not
   share this process's GIL);
3. pushes/s of the embedded (no Redis) inline delivery, on the same occurrences reset.

Redis: FIELDCRM_BENCH_REDIS_URL (default redis://127.0.0.1:6379/12), a private queue name.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import sys
import time
import uuid
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from arq.connections import ArqRedis

from bench.common import throwaway_database
from server.db.reminder_tables import PushSubscription, ReminderOccurrence
from server.db.tables import Contact, Contract, Customer, Deal, FollowUp, User
from server.jobs import tasks
from server.jobs.context import job_context
from server.services import accounts, reminder_scan
from server.services.push_subscriptions import public_key
from server.services.reminder_delivery import deliver_inline, enqueue_all
from server.services.reminder_settings import load_reminder_settings, load_stage_days
from server.worker import ArqPushQueue, create_worker
from tests.support.push_service import LocalPushService

REDIS_URL = os.environ.get("FIELDCRM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
REPS = 100
INSERT_BATCH = 1000
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


# ---- the push service in its own process ----------------------------------------------------


def _serve_pushes(conn: Connection, app_key: str, devices: int) -> None:
    with LocalPushService() as service:
        conn.send(
            [service.subscribe(application_server_key=app_key).to_json() for _ in range(devices)]
        )
        while conn.recv() != "stop":  # "count?"
            conn.send((len(service.received()), len(service.refused())))


class PushServiceProcess:
    def __init__(self, app_key: str, devices: int) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(
            target=_serve_pushes, args=(child, app_key, devices), daemon=True
        )
        self._process.start()
        self.subscriptions: list[dict] = self._conn.recv()

    def counts(self) -> tuple[int, int]:
        self._conn.send("count?")
        return self._conn.recv()

    def stop(self) -> None:
        self._conn.send("stop")
        self._process.join(10)


# ---- seeding ------------------------------------------------------------------------------------


async def _insert(table, rows: list) -> None:
    for start in range(0, len(rows), INSERT_BATCH):
        await table.insert(*rows[start : start + INSERT_BATCH])


async def seed_reps() -> list[int]:
    ids = []
    for n in range(REPS):
        ids.append(await accounts.create_user(f"rep{n}", None, "rep", password_hash="x"))
    # Quiet hours off, so every push is due now whatever the time of the run.
    await User.update({User.quiet_start: "00:00", User.quiet_end: "00:00"}).where(User.id > 0)
    return ids


def _customer(owner: int, due: bool) -> Customer:
    last_contact = NOW - dt.timedelta(days=4 if due else 1)
    return Customer(
        id=uuid.uuid4(),
        name=f"客户 {uuid.uuid4().hex[:6]}",
        name_key="k",
        grade="A",
        owner=owner,
        tags=json.dumps(["重点"], ensure_ascii=False),
        created_at=NOW - dt.timedelta(days=400),
        last_contact_at=last_contact,
        merged_into=None,
        archived_at=None,
        claimed_at=None,
        protected_until=None,
    )


def _related_rows(customer_id: uuid.UUID, n: int) -> dict[str, list]:
    """Rows that are read but due nothing: the scan's real work on the other customers."""
    far = (NOW + dt.timedelta(days=150)).date()
    rows: dict[str, list] = {"contacts": [], "deals": [], "follow_ups": [], "contracts": []}
    if n % 2 == 0:
        rows["contacts"].append(
            Contact(
                id=uuid.uuid4(), customer=customer_id, name="张总", birthday=far.replace(year=1980)
            )
        )
    if n % 5 == 0:
        rows["deals"].append(
            Deal(
                id=uuid.uuid4(),
                customer=customer_id,
                title="项目",
                stage="proposal",
                stage_entered_at=NOW - dt.timedelta(days=2),
                closed_at=None,
            )
        )
    if n % 7 == 0:
        rows["follow_ups"].append(
            FollowUp(
                id=uuid.uuid4(),
                customer=customer_id,
                title="回访",
                due_at=NOW + dt.timedelta(days=3),
                done_at=None,
            )
        )
    if n % 10 == 0:
        rows["contracts"].append(
            Contract(
                id=uuid.uuid4(),
                customer=customer_id,
                number=f"HT-{n}",
                start_date=NOW.date(),
                end_date=far,
                signed_at=None,
            )
        )
    return rows


async def seed_customers(reps: list[int], customers: int, due: int) -> None:
    every = max(1, customers // due)
    batch: dict[str, list] = {
        "customers": [],
        "contacts": [],
        "deals": [],
        "follow_ups": [],
        "contracts": [],
    }
    tables = {
        "customers": Customer,
        "contacts": Contact,
        "deals": Deal,
        "follow_ups": FollowUp,
        "contracts": Contract,
    }
    made_due = 0
    for n in range(customers):
        is_due = n % every == 0 and made_due < due
        made_due += is_due
        row = _customer(reps[n % len(reps)], is_due)
        batch["customers"].append(row)
        if not is_due:
            for key, rows in _related_rows(row.id, n).items():
                batch[key] += rows
        if len(batch["customers"]) == INSERT_BATCH or n == customers - 1:
            for key in tables:  # customers first: the others reference them
                await _insert(tables[key], batch[key])
                batch[key] = []


async def seed_subscriptions(reps: list[int], subscriptions: list[dict]) -> None:
    await PushSubscription.insert(
        *[
            PushSubscription(
                user=rep,
                endpoint=s["endpoint"],
                p256dh=s["keys"]["p256dh"],
                auth=s["keys"]["auth"],
                last_success_at=None,
                device_label=None,
            )
            for rep, s in zip(reps, subscriptions, strict=True)
        ]
    )


# ---- measuring -----------------------------------------------------------------------------------


async def _clear_queue(redis: ArqRedis, queue: str) -> None:
    keys = [queue]
    for prefix in ("arq:job:", "arq:result:", "arq:retry:", "arq:in-progress:"):
        keys += [k async for k in redis.scan_iter(match=f"{prefix}{queue}:*")]
    await redis.delete(*keys)


async def run(kind: str, customers: int, due: int) -> None:
    async with throwaway_database(kind) as base_settings:
        settings = replace(
            base_settings,
            push_allow_http=True,
            job_queue=f"fieldcrm-bench:{uuid.uuid4().hex[:8]}",
            redis_url=REDIS_URL,
        )
        engine = Customer._meta.db
        started = time.perf_counter()
        reps = await seed_reps()
        await seed_customers(reps, customers, due)
        seeded_s = time.perf_counter() - started
        print(f"{kind}: seeded {customers} customers ({due} due) in {seeded_s:.1f} s")

        service = PushServiceProcess(public_key(settings), len(reps))
        await seed_subscriptions(reps, service.subscriptions)
        redis = await ArqRedis.from_url(REDIS_URL)
        try:
            reminder_settings = await load_reminder_settings(settings)
            queue = ArqPushQueue(redis, settings.job_queue)
            async with job_context(settings, engine, queue) as ctx:
                started = time.perf_counter()
                result = await reminder_scan.scan_reminders(
                    engine, ctx["clock"](), reminder_settings, await load_stage_days()
                )
                scan_s = time.perf_counter() - started
                started = time.perf_counter()
                await enqueue_all(
                    ctx["push_queue"], [(o.id, 0, o.deliver_at) for o in result.stored]
                )
                enqueue_s = time.perf_counter() - started
                queued = await redis.zcard(settings.job_queue)
                print(
                    f"  scan + store: {scan_s:.2f} s ({result.customers} customers, "
                    f"{len(result.stored)} new)  enqueue: {enqueue_s:.2f} s ({queued} jobs)  "
                    f"total {scan_s + enqueue_s:.2f} s"
                )
                started = time.perf_counter()
                again = await tasks.scan_reminders(ctx)
                print(
                    f"  repeat scan (nothing new): {time.perf_counter() - started:.2f} s  {again}"
                )

                worker = create_worker(
                    settings,
                    burst=True,
                    handle_signals=False,
                    on_startup=_reuse(ctx),
                    on_shutdown=None,
                    poll_delay=0.05,
                )
                started = time.perf_counter()
                await worker.main()
                await worker.close()
                arq_s = time.perf_counter() - started
                received, refused = service.counts()
                print(
                    f"  arq worker: {received} pushes in {arq_s:.2f} s = {received / arq_s:,.0f}"
                    f" pushes/s (max_jobs {worker.max_jobs}; refused {refused})"
                )

                ids = await _reset_occurrences()
                started = time.perf_counter()
                await deliver_inline(ids, ctx["delivery"])
                inline_s = time.perf_counter() - started
                total, refused = service.counts()
                print(
                    f"  inline (embedded): {total - received} pushes in {inline_s:.2f} s = "
                    f"{(total - received) / inline_s:,.0f} pushes/s (refused {refused})"
                )
        finally:
            await _clear_queue(redis, settings.job_queue)
            await redis.aclose()
            service.stop()


def _reuse(ctx: dict):
    async def startup(worker_ctx: dict) -> None:
        worker_ctx.update(
            {**ctx, "push_queue": ArqPushQueue(worker_ctx["redis"], ctx["settings"].job_queue)}
        )

    return startup


async def _reset_occurrences() -> list[int]:
    occ = ReminderOccurrence
    await occ.update({occ.state: "pending", occ.delivered_to: "[]", occ.attempts: 0}).where(
        occ.id > 0
    )
    return [r["id"] for r in await occ.select(occ.id)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()
    print(f"machine shared with other test runs: figures are indicative ({os.cpu_count()} cores)")
    asyncio.run(run(args.db, args.customers, args.due))


if __name__ == "__main__":
    main()
