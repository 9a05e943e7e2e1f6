"""API latency at 100k customers: paginated list, name search, phone search, detail.

    .venv/bin/python bench/api.py [--customers 100000] [--databases sqlite,postgres]

Seeds a throwaway database, starts `fieldcrm serve` against it and measures p50/p99 latency
and throughput over HTTP. Target: p99 < 50 ms for a paginated list and phone/name search.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import live_server, measure, throwaway_database
from server.db.tables import Customer, OwnerChange
from server.domain.customers import CustomerRules, validate_customer
from server.services import accounts

CITIES = ["北京", "上海", "深圳", "广州", "杭州", "苏州", "成都", "武汉", "南京", "西安"]
WORDS = ["华信", "恒通", "鼎盛", "远航", "星辰", "宏达", "瑞丰", "天成", "博远", "嘉禾", "中科"]
TRADES = ["科技", "电子", "贸易", "机械", "食品", "物流", "软件", "新能源", "Trading", "Robotics"]
PASSWORD = "bench-password-1"


async def seed(customers: int, reps: int = 10) -> tuple[list[str], list[str]]:
    """Bulk-insert customers spread over `reps` reps of one team; returns names and phones."""
    team = await accounts.create_team("Bench team")
    password_hash = accounts.hash_password(PASSWORD)
    await accounts.create_user(
        "manager", None, "manager", team_id=team, password_hash=password_hash
    )
    rep_ids = [
        await accounts.create_user(
            f"rep{i}", None, "rep", team_id=team, password_hash=password_hash
        )
        for i in range(reps)
    ]
    rng = random.Random(1)
    rules = CustomerRules()
    names, phones, batch, owners = [], [], [], []
    for i in range(customers):
        name = f"{rng.choice(CITIES)}{rng.choice(WORDS)}{rng.choice(TRADES)}{i}有限公司"
        phone = f"139{i:08d}"
        columns = validate_customer(
            {"name": name, "phone": phone, "region": rng.choice(CITIES)}, rules
        )
        customer_id = uuid.uuid4()
        owner = rep_ids[i % reps]
        batch.append(
            Customer(**{**columns, "tags": json.dumps([])}, id=customer_id, owner=owner, team=team)
        )
        owners.append(OwnerChange(customer=customer_id, to_owner=owner, reason="bench"))
        names.append(name)
        phones.append(phone)
        if len(batch) == 1000:  # PostgreSQL caps a statement at 32767 parameters
            await Customer.insert(*batch)
            await OwnerChange.insert(*owners)
            batch, owners = [], []
    if batch:
        await Customer.insert(*batch)
        await OwnerChange.insert(*owners)
    return names, phones


async def run_requests(base: str, names: list[str], phones: list[str], requests: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        token = (
            await http.post("/api/auth/login", json={"username": "manager", "password": PASSWORD})
        ).json()["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        first_page = (await http.get("/api/customers", params={"per_page": 100})).json()["items"]
        ids = [c["id"] for c in first_page]
        rng = random.Random(2)

        async def get(path: str, **params: object) -> None:
            response = await http.get(path, params=params)
            response.raise_for_status()

        scenarios = {
            "list page 1 (20 rows)": lambda i: get("/api/customers"),
            "list page 200 (20 rows)": lambda i: get("/api/customers", page=200),
            "search name (substring)": lambda i: get("/api/customers", q=rng.choice(names)[2:8]),
            "search phone (full number)": lambda i: get("/api/customers", phone=rng.choice(phones)),
            "filter grade+region": lambda i: get("/api/customers", grade="C", region="北京"),
            "detail": lambda i: get(f"/api/customers/{rng.choice(ids)}"),
        }
        for name, call in scenarios.items():
            await measure(name, call, requests=10, concurrency=1)  # warm-up
            single = await measure(name, call, requests=requests, concurrency=1)
            print(single.line())
        loaded = await measure(
            "list page 1, 8 concurrent", scenarios["list page 1 (20 rows)"], requests * 2, 8
        )
        print(loaded.line())


async def bench(kind: str, customers: int, requests: int) -> None:
    async with throwaway_database(kind) as settings:
        started = time.perf_counter()
        names, phones = await seed(customers)
        # Bulk loads leave planner statistics stale until autovacuum (PostgreSQL) or the next
        # start (SQLite) refreshes them; refresh now, as a production import would.
        await Customer._meta.db.run_ddl("ANALYZE")
        print(f"\n[{kind}] seeded {customers:,} customers in {time.perf_counter() - started:.1f} s")
        with live_server(settings) as base:
            await run_requests(base, names, phones, requests)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    for kind in args.databases.split(","):
        asyncio.run(bench(kind, args.customers, args.requests))


if __name__ == "__main__":
    main()
