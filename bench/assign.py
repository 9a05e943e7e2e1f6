"""Assignment benchmark: `.venv/bin/python bench/assign.py [--leads 10000] [--rules 50]
[--db sqlite,postgres]`.

Setup (untimed): a throwaway database with 5 teams of 10 reps (some senior, some with
capacity caps), `--rules` rules of every strategy — mostly region conditions given in
Chinese (provinces and cities), some with industry/grade/size, a default rule last — and
`--leads` imported leads in the public pool spread over 60 cities.

Timed: one `POST /api/assignment/run` as the service call (`run_assignment`) that reads the
leads, matches each against the rules in order, picks owners, and writes owners, server_seq,
OwnerChange rows, turns and notifications in one transaction. Target: < 5 s for 10k × 50.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable from anywhere

from bench.common import throwaway_database
from server.db.tables import Customer, OwnerChange
from server.domain.access import Actor
from server.domain.regions import all_regions, is_city, region_short_name
from server.services import accounts
from server.services.assignment import create_rule, run_assignment
from server.services.ownership import chunked

TEAMS = 5
REPS_PER_TEAM = 10
STRATEGIES = ("round_robin", "least_loaded", "senior", "direct", "team_pool")
INDUSTRIES = ("manufacturing", "retail", "it_software", "finance", None)
SIZES = ("1-10", "11-50", "51-200", "201-1000", "1000+", None)


async def make_people() -> tuple[Actor, list[int], dict[int, list[int]]]:
    admin_id = await accounts.create_user("bench-admin", None, "admin", password_hash="x")
    admin = Actor(admin_id, "admin", None)
    teams, reps = [], {}
    for t in range(TEAMS):
        team = await accounts.create_team(f"Team {t}")
        teams.append(team)
        reps[team] = [
            await accounts.create_user(
                f"rep-{t}-{r}", None, "rep", team_id=team, senior=r < 2, password_hash="x"
            )
            for r in range(REPS_PER_TEAM)
        ]
    return admin, teams, reps


def cities(rng: random.Random, count: int) -> list[str]:
    codes = [code for code, _, _ in all_regions() if is_city(code)]
    return rng.sample(codes, count)


async def make_rules(
    admin: Actor, engine, teams: list[int], reps: dict[int, list[int]], count: int, places
) -> None:
    rng = random.Random(3)
    for index in range(count - 1):
        strategy = STRATEGIES[index % len(STRATEGIES)]
        team = teams[index % len(teams)]
        place = places[index % len(places)]
        region = region_short_name(place if index % 3 else place.rsplit("-", 1)[0])
        conditions: dict[str, list[str]] = {"regions": [region]}
        if index % 4 == 1:
            conditions["industries"] = [rng.choice(INDUSTRIES[:-1])]
        if index % 5 == 2 and strategy != "senior":
            conditions["grades"] = ["B", "C"]
        if index % 7 == 3:
            conditions["sizes"] = ["51-200", "201-1000", "1000+"]
        target = {"user_id": rng.choice(reps[team])} if strategy == "direct" else {"team_id": team}
        rule = {"name": f"rule-{index}", "strategy": strategy, "conditions": conditions, **target}
        await create_rule(engine, admin, rule)
    default = {"name": "default", "strategy": "least_loaded", "team_id": teams[0]}
    await create_rule(engine, admin, {**default, "is_default": True})


async def make_leads(count: int, places: list[str]) -> None:
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    rows = [
        Customer(
            id=uuid.uuid4(),
            name=f"导入线索 {n}",
            name_key=f"导入线索{n}",
            phone=f"+86139{n:08d}",
            region_code=rng.choice(places),
            industry=rng.choice(INDUSTRIES),
            size=rng.choice(SIZES),
            grade=rng.choice("AABBBCCCCC"),
            source="import",
            owner=None,
            created_at=now,
            updated_at=now,
        )
        for n in range(count)
    ]
    for chunk in chunked(rows, 500):
        await Customer.insert(*chunk)


async def bench(kind: str, leads: int, rules: int) -> None:
    async with throwaway_database(kind) as _settings:
        engine = Customer._meta.db
        admin, teams, reps = await make_people()
        places = cities(random.Random(5), 60)
        await make_rules(admin, engine, teams, reps, rules, places)
        await make_leads(leads, places)
        start = time.perf_counter()
        report = await run_assignment(engine, admin)
        seconds = time.perf_counter() - start
        seqs = await Customer.select(Customer.server_seq).where(Customer.owner.is_not_null())
        assert len({row["server_seq"] for row in seqs}) == len(seqs), "server_seq not unique"
        assert await OwnerChange.count() == report.assigned + report.to_team_pool
        print(
            f"{kind:<9} {leads} leads x {rules} rules: {seconds:5.2f} s"
            f"  ({leads / seconds:,.0f} leads/s; assigned {report.assigned},"
            f" team pool {report.to_team_pool}, left in pool {report.unplaced},"
            f" rules used {len(report.by_rule)})"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (shared machine: other runs too)")
    for kind in args.db.split(","):
        await bench(kind, args.leads, args.rules)


if __name__ == "__main__":
    asyncio.run(main())
