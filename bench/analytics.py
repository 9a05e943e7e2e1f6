"""Analytics latency at scale: `.venv/bin/python bench/analytics.py [--databases sqlite,postgres]`.

Seeds a throwaway database (PostgreSQL: a temporary database, dropped at the end; SQLite: a
temp dir) with 100k customers over 10 teams of 10 reps, 300k activities, 50k deals with
200k stage changes, 50k follow-ups and ~20k contracts, spread over the last year. Rows go in
through the driver in bulk (executemany on SQLite, COPY on PostgreSQL), then ANALYZE.

Then it times every analytics endpoint (and the pipeline board) in-process over ASGI — the
handler, its SQL and JSON encoding; no socket and no background jobs — as an admin (all
data), a manager (one team) and a rep (own numbers), default period (last 90 days) and a
whole year. Figures: median and worst wall-clock latency of `--repeat` runs after one
warm-up (target: < 300 ms), and the median CPU time a request cost (this process, which
includes SQLite's thread, plus the PostgreSQL backends serving the bench database) — on a
machine shared with other runs the wall clock stretches, the CPU time much less.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import random
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PG_ADMIN_URL, throwaway_database
from server.app import create_app
from server.config import Settings
from server.db.tables import Deal
from server.domain.pipeline import OPEN_STAGE_KEYS
from server.services import accounts

REGIONS = ["CN-BJ", "CN-SH", "CN-GD", "CN-GD-SZ", "CN-ZJ", "CN-ZJ-HZ", "CN-JS", "CN-SC"]
KINDS = ["visit", "call", "meeting", "email", "note"]
KIND_WEIGHTS = [4, 4, 1, 1, 1]
PATH = [*OPEN_STAGE_KEYS, "won"]
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TARGET_MS = 300


@dataclass
class Rows:
    """Rows per table, each a dict of column → Python value."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, **values: Any) -> None:
        self.tables.setdefault(table, []).append(values)


@dataclass(frozen=True)
class People:
    teams: list[int]
    reps: list[tuple[int, int]]  # (user id, team id)
    admin: int
    manager: int  # of teams[0]
    rep: int  # of teams[0]


async def create_people(teams: int = 10, reps_per_team: int = 10) -> People:
    password_hash = accounts.hash_password("bench-password-1")

    async def user(name: str, role: str, team: int | None) -> int:
        return await accounts.create_user(
            name, None, role, display_name=name, team_id=team, password_hash=password_hash
        )

    team_ids = [await accounts.create_team(f"销售{t + 1}组") for t in range(teams)]
    managers = [await user(f"manager{t}", "manager", team) for t, team in enumerate(team_ids)]
    reps = [
        (await user(f"rep{t}-{r}", "rep", team), team)
        for t, team in enumerate(team_ids)
        for r in range(reps_per_team)
    ]
    return People(team_ids, reps, await user("admin", "admin", None), managers[0], reps[0][0])


def ago(rng: random.Random, max_days: float, min_days: float = 0) -> dt.datetime:
    return NOW - dt.timedelta(seconds=int(rng.uniform(min_days, max_days) * 86400))


def maybe(rng: random.Random, share: float, value: Any) -> Any:
    return value if rng.random() < share else None


def generate(people: People, customers: int, activities: int, deals: int) -> Rows:
    rng = random.Random(7)
    rows = Rows()
    owners = [people.reps[i % len(people.reps)] for i in range(customers)]
    ids = [uuid.uuid4() for _ in range(customers)]
    for i, customer_id in enumerate(ids):
        _customer(rows, rng, i, customer_id, owners[i])
    for _ in range(activities):
        i = rng.randrange(customers)
        rows.add(
            "activity",
            id=uuid.uuid4(),
            customer=ids[i],
            author=owners[i][0],
            kind=rng.choices(KINDS, KIND_WEIGHTS)[0],
            occurred_at=ago(rng, 365),
            summary="拜访客户，沟通需求",
            created_at=NOW,
            server_seq=0,
        )
    for _ in range(deals):
        i = rng.randrange(customers)
        _deal(rows, rng, ids[i], owners[i][0])
    for _ in range(deals):  # as many follow-ups as deals
        i = rng.randrange(customers)
        due = NOW + dt.timedelta(days=rng.uniform(-120, 30))
        done = due + dt.timedelta(days=rng.uniform(-2, 5)) if rng.random() < 0.7 else None
        rows.add(
            "follow_up",
            id=uuid.uuid4(),
            customer=ids[i],
            owner=owners[i][0],
            title="回访",
            due_at=due.replace(microsecond=0),
            done_at=min(done, NOW).replace(microsecond=0) if done else None,
            created_at=NOW,
            deleted=False,
            field_versions="{}",
            server_seq=0,
        )
    for _ in range(deals // 5):  # older contracts besides those of won deals
        _contract(rows, rng, ids[rng.randrange(customers)], ago(rng, 1000).date())
    return rows


def _customer(
    rows: Rows, rng: random.Random, i: int, customer_id: uuid.UUID, owner: tuple[int, int]
) -> None:
    phone_no = i - 1 if i and rng.random() < 0.02 else i  # ~2% exact duplicates
    rows.add(
        "customer",
        id=customer_id,
        kind="company",
        name=f"客户{i:06d}有限公司",
        name_key=f"客户{i:06d}",
        phone=f"+86139{phone_no:08d}",
        email=maybe(rng, 0.6, f"c{i}@example.cn"),
        region_code=maybe(rng, 0.9, rng.choice(REGIONS)),
        address=maybe(rng, 0.5, "某区某路1号"),
        industry=maybe(rng, 0.6, "manufacturing"),
        size=maybe(rng, 0.5, "11-50"),
        grade=rng.choices("ABC", (2, 3, 5))[0],
        lifecycle="customer",
        source=maybe(rng, 0.7, "referral"),
        tags="[]",
        custom="{}",
        owner=owner[0],
        team=owner[1],
        low_priority=False,
        claimed_at=None,
        protected_until=None,
        archived_at=None,
        merged_into=None,
        last_contact_at=maybe(rng, 0.95, ago(rng, 120)),
        created_at=ago(rng, 730, 365),
        updated_at=NOW,
        deleted=False,
        field_versions="{}",
        server_seq=0,
    )


def _deal(rows: Rows, rng: random.Random, customer: uuid.UUID, owner: int) -> None:
    """A deal with 2-6 stage changes (4 on average), ending open, won or lost."""
    deal_id = uuid.uuid4()
    steps = rng.randint(2, 6)
    path = PATH[:steps]
    if path[-1] != "won" and rng.random() < 0.35:
        path[-1] = "lost"
    moment = created = ago(rng, 365, 10)
    previous = None
    for stage in path:
        rows.add(
            "deal_stage_change",
            deal=deal_id,
            from_stage=previous,
            to_stage=stage,
            changed_at=moment,
            actor=owner,
        )
        previous, entered = stage, moment
        moment = min(NOW, moment + dt.timedelta(days=rng.randint(2, 20), hours=rng.randint(0, 23)))
    amount = Decimal(rng.randrange(10, 2000) * 1000)
    closed = path[-1] in ("won", "lost")
    rows.add(
        "deal",
        id=deal_id,
        customer=customer,
        owner=owner,
        title="年度采购",
        amount=amount,
        currency="CNY",
        stage=path[-1],
        stage_entered_at=entered,
        probability=maybe(rng, 0.3, rng.choice((30, 50, 70))),
        expected_close=(NOW + dt.timedelta(days=rng.randint(-30, 150))).date(),
        lost_reason="价格" if path[-1] == "lost" else None,
        closed_at=entered if closed else None,
        created_at=created,
        deleted=False,
        field_versions="{}",
        server_seq=0,
    )
    if path[-1] == "won":
        _contract(rows, rng, customer, entered.date(), amount)


def _contract(
    rows: Rows,
    rng: random.Random,
    customer: uuid.UUID,
    start: dt.date,
    amount: Decimal | None = None,
) -> None:
    rows.add(
        "contract",
        id=uuid.uuid4(),
        customer=customer,
        number=f"HT-{rng.randrange(10**8):08d}",
        amount=amount if amount is not None else Decimal(rng.randrange(5, 500) * 1000),
        currency="CNY",
        start_date=start,
        end_date=start + dt.timedelta(days=365),
        signed_at=None,
        status="active" if start > (NOW - dt.timedelta(days=365)).date() else "expired",
        created_at=NOW,
    )


# ---- bulk loading --------------------------------------------------------------------------

LOAD_ORDER = ["customer", "deal", "deal_stage_change", "activity", "follow_up", "contract"]


def _sqlite_value(value: Any) -> Any:
    """What Piccolo's SQLite adapters store (server/db/engine.py uses the same file)."""
    if isinstance(value, dt.datetime):
        return str(value.astimezone(dt.UTC))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    return list(rows[0])


def load_sqlite(path: Path, rows: Rows) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            for table in LOAD_ORDER:
                data = rows.tables.get(table, [])
                if not data:
                    continue
                columns = _columns(data)
                sql = (
                    f'INSERT INTO "{table}" ({", ".join(columns)}) '
                    f"VALUES ({', '.join('?' for _ in columns)})"
                )
                conn.executemany(sql, ([_sqlite_value(r[c]) for c in columns] for r in data))
        conn.execute("ANALYZE")
    finally:
        conn.close()


async def load_postgres(url: str, rows: Rows) -> None:
    conn = await asyncpg.connect(url)
    try:
        for table in LOAD_ORDER:
            data = rows.tables.get(table, [])
            if data:
                columns = _columns(data)
                records = [tuple(r[c] for c in columns) for r in data]
                await conn.copy_records_to_table(table, records=records, columns=columns)
        await conn.execute("VACUUM ANALYZE")  # what autovacuum would have done by now
    finally:
        await conn.close()


# ---- timing --------------------------------------------------------------------------------

ENDPOINTS = [
    "/api/analytics/funnel",
    "/api/analytics/summary",
    "/api/analytics/activity",
    "/api/analytics/data-quality",
    "/api/analytics/data-quality?group=team",
    "/api/analytics/customer-value",
    "/api/analytics/churn-risk",
    "/api/deals/board",
]


def _with_year(path: str) -> str:
    year_ago = (NOW - dt.timedelta(days=365)).date().isoformat()
    return path + ("&" if "?" in path else "?") + f"from={year_ago}"


class CpuMeter:
    """CPU time a request costs: this process (handler, SQLite's thread) plus, on
    PostgreSQL, the server backends of the bench database — a load-independent figure next
    to wall-clock latency, which is what a machine shared with other test runs distorts."""

    def __init__(self, settings: Settings) -> None:
        self.database = settings.database_url.rsplit("/", 1)[1] if settings.uses_postgres else ""
        self.ticks_per_second = os.sysconf("SC_CLK_TCK")

    async def read(self) -> float:
        return time.process_time() + await self._backends()

    async def _backends(self) -> float:
        if not self.database:
            return 0.0
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1", self.database
            )
        finally:
            await conn.close()
        return sum(self._process_cpu(r["pid"]) for r in rows)

    def _process_cpu(self, pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self.ticks_per_second  # utime + stime


async def time_endpoints(settings: Settings, people: People, repeat: int) -> list[str]:
    app = create_app(settings, engine=Deal._meta.db)
    meter = CpuMeter(settings)
    lines = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for role, user_id in (
            ("admin", people.admin),
            ("manager", people.manager),
            ("rep", people.rep),
        ):
            token = await accounts.issue_token(user_id, ttl_hours=1)
            headers = {"Authorization": f"Bearer {token}"}
            for path in ENDPOINTS:
                periods = [("90 days", path)]
                if "data-quality" not in path and "customer-value" not in path:
                    periods.append(("1 year", _with_year(path)))
                for label, url in periods:
                    wall, cpu = await _samples(http, meter, url, headers, repeat)
                    lines.append(_line(role, path, label, wall, cpu))
    return lines


async def _samples(
    http: httpx.AsyncClient, meter: CpuMeter, url: str, headers: dict[str, str], repeat: int
) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for attempt in range(repeat + 1):
        cpu_before = await meter.read()
        started = time.perf_counter()
        response = await http.get(url, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        cpu_used = (await meter.read() - cpu_before) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
        if attempt:  # the first run warms caches
            wall.append(elapsed)
            cpu.append(cpu_used)
    return wall, cpu


def _line(role: str, path: str, label: str, wall: list[float], cpu: list[float]) -> str:
    median, worst = statistics.median(wall), max(wall)
    flag = "" if worst < TARGET_MS else "  > target"
    name = path.removeprefix("/api/")
    return (
        f"  {role:<8} {name:<34} {label:<8} p50 {median:7.1f} ms  max {worst:7.1f} ms"
        f"  cpu p50 {statistics.median(cpu):6.1f} ms{flag}"
    )


async def bench(kind: str, args: argparse.Namespace) -> None:
    async with throwaway_database(kind) as settings:
        started = time.perf_counter()
        people = await create_people()
        rows = generate(people, args.customers, args.activities, args.deals)
        generated = time.perf_counter()
        if kind == "postgres":
            await load_postgres(settings.database_url, rows)
        else:
            load_sqlite(settings.sqlite_path, rows)
        counts = ", ".join(f"{len(v):,} {k}" for k, v in rows.tables.items())
        print(
            f"\n[{kind}] generated in {generated - started:.1f} s, loaded in "
            f"{time.perf_counter() - generated:.1f} s: {counts}"
        )
        for line in await time_endpoints(settings, people, args.repeat):
            print(line)


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=300_000)
    parser.add_argument("--deals", type=int, default=50_000)  # ~4 stage changes each
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    for kind in args.databases.split(","):
        asyncio.run(bench(kind, args))


if __name__ == "__main__":
    main()
