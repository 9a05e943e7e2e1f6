"""A small sales history with fixed timestamps, where every analytics figure can be worked
out by hand (the numbers are derived in the comments of tests/pipeline/test_analytics.py).

Team 1: manager m1, reps r1 and r2. Team 2: rep r3. Plus an admin.
All times are UTC; "now" is frozen at 2026-06-15 12:00 (Q2 2026 in Asia/Shanghai).

Deals (stage moves at 00:00 UTC of the given days):
  D1 r1 C1 100000  lead 01-05, first_contact 01-10, needs_confirmed 01-20, proposal 02-01,
                   negotiation 02-11, won 02-21            (expected_close 05-20)
  D2 r1 C1  50000  lead 01-10, first_contact 01-12, lost 01-22
  D3 r2 C4 200000  lead 02-01, first_contact 02-03, needs_confirmed 02-13, proposal 03-01
                   (open; expected_close 06-10, stage default probability 60)
  D4 r2 C4  80000  lead 02-10, first_contact 02-20, won 03-02 (skips two stages)
  D5 r1 C1  30000  lead 03-01, first_contact 03-05 (open; expected_close 05-05, prob 50)
  D6 r3 C5  70000  lead 01-15, first_contact 01-25, lost 02-04           (team 2)
  D7 r1 C1  40000  lead 04-01, first_contact 04-03, needs_confirmed 04-10, won 04-20
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from piccolo.engine.base import Engine

from server.db.tables import Activity, Contract, Customer, FollowUp
from server.domain.access import Actor
from server.services import accounts
from server.services.deals import apply_deal_fields

NOW = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)


def at(month: int, day: int, year: int = 2026, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def actor_of(user: Any) -> Actor:
    return Actor(id=user.id, role=user.role, team_id=user.team_id)


@dataclass
class History:
    team1: int
    team2: int
    admin: Any
    m1: Any
    r1: Any
    r2: Any
    r3: Any
    customers: dict[str, uuid.UUID] = field(default_factory=dict)
    deals: dict[str, uuid.UUID] = field(default_factory=dict)


# name → (owner, grade, filled profile fields, last contact)
CUSTOMERS: dict[str, tuple[str, str, dict[str, Any], dt.datetime | None]] = {
    "C1": (
        "r1",
        "A",
        {
            "phone": "+8613800000001",
            "email": "a@example.com",
            "region_code": "CN-BJ",
            "address": "北京市朝阳区1号",
            "industry": "manufacturing",
            "size": "11-50",
            "source": "referral",
        },
        at(6, 14),
    ),
    "C2": ("r1", "B", {"phone": "+8613800000001", "region_code": "CN-SH"}, at(6, 1)),
    "C3": ("r1", "C", {"email": "c@example.com"}, None),
    "C7": (
        "r1",
        "B",
        {
            "phone": "+8613800000007",
            "email": "f@example.com",
            "region_code": "CN-BJ",
            "address": "北京市海淀区7号",
        },
        at(6, 12),
    ),
    "C4": (
        "r2",
        "A",
        {
            "phone": "+8613800000004",
            "email": "c@example.com",
            "region_code": "CN-BJ",
            "address": "北京市东城区4号",
            "industry": "retail",
        },
        at(6, 10),
    ),
    "C5": ("r3", "C", {"phone": "+8613800000005", "email": "e@example.com"}, at(3, 1)),
}

# name → (rep, customer, fields at creation, [(stage, move day)], created day)
DEALS: dict[str, tuple[str, str, dict[str, Any], list[tuple[str, dt.datetime]], dt.datetime]] = {
    "D1": (
        "r1",
        "C1",
        {"amount": 100000, "expected_close": "2026-05-20"},
        [
            ("first_contact", at(1, 10)),
            ("needs_confirmed", at(1, 20)),
            ("proposal", at(2, 1)),
            ("negotiation", at(2, 11)),
            ("won", at(2, 21)),
        ],
        at(1, 5),
    ),
    "D2": (
        "r1",
        "C1",
        {"amount": 50000, "lost_reason": "价格偏高"},
        [("first_contact", at(1, 12)), ("lost", at(1, 22))],
        at(1, 10),
    ),
    "D3": (
        "r2",
        "C4",
        {"amount": 200000, "expected_close": "2026-06-10"},
        [("first_contact", at(2, 3)), ("needs_confirmed", at(2, 13)), ("proposal", at(3, 1))],
        at(2, 1),
    ),
    "D4": (
        "r2",
        "C4",
        {"amount": 80000, "expected_close": "2026-03-01"},
        [("first_contact", at(2, 20)), ("won", at(3, 2))],
        at(2, 10),
    ),
    "D5": (
        "r1",
        "C1",
        {"amount": 30000, "expected_close": "2026-05-05", "probability": 50},
        [("first_contact", at(3, 5))],
        at(3, 1),
    ),
    "D6": (
        "r3",
        "C5",
        {"amount": 70000, "lost_reason": "预算取消"},
        [("first_contact", at(1, 25)), ("lost", at(2, 4))],
        at(1, 15),
    ),
    "D7": (
        "r1",
        "C1",
        {"amount": 40000, "expected_close": "2026-04-30"},
        [("first_contact", at(4, 3)), ("needs_confirmed", at(4, 10)), ("won", at(4, 20))],
        at(4, 1),
    ),
}

# (rep, customer, kind, when)
ACTIVITIES = [
    *[("r1", "C1", "visit", at(6, d)) for d in (2, 5, 9, 12)],
    *[("r1", "C1", "call", at(6, d)) for d in (3, 10)],
    ("r1", "C1", "email", at(6, 4)),
    ("r1", "C1", "visit", at(5, 20)),
    *[("r1", "C2", "visit", at(m, d)) for m, d in ((4, 20), (4, 25), (5, 10))],
    ("r1", "C2", "note", at(6, 1)),
    ("r2", "C4", "call", at(6, 6)),
]

# (rep, customer, due, done)
FOLLOW_UPS = [
    ("r1", "C1", at(6, 2), at(6, 1)),
    ("r1", "C1", at(6, 5), at(6, 7)),
    ("r1", "C1", at(6, 10), None),
    ("r1", "C1", at(6, 13), at(6, 13)),
    ("r1", "C1", at(6, 20), None),
    ("r2", "C4", at(6, 8), at(6, 7)),
]

# (customer, start date, amount, status)
CONTRACTS = [
    ("C1", dt.date(2026, 2, 21), 100000, "active"),
    ("C1", dt.date(2025, 6, 1), 50000, "expired"),
    ("C2", dt.date(2026, 5, 1), 20000, "active"),
    ("C3", dt.date(2025, 1, 10), 5000, "expired"),
    ("C4", dt.date(2026, 3, 2), 80000, "active"),
    ("C4", dt.date(2026, 4, 15), 10000, "active"),
    ("C4", dt.date(2025, 11, 1), 30000, "expired"),
    ("C5", dt.date(2025, 12, 1), 60000, "active"),
    ("C7", dt.date(2026, 6, 1), 99999, "draft"),
    ("C7", dt.date(2026, 7, 1), 12345, "active"),  # starts after "now"
]


async def _add_customers(history: History, users: dict[str, Any]) -> None:
    for name, (owner, grade, profile, last_contact) in CUSTOMERS.items():
        customer_id = uuid.uuid4()
        history.customers[name] = customer_id
        user = users[owner]
        await Customer.insert(
            Customer(
                id=customer_id,
                name=f"客户 {name}",
                name_key=name.casefold(),
                grade=grade,
                owner=user.id,
                team=user.team_id,
                created_at=at(1, 2),
                last_contact_at=last_contact,
                **profile,
            )
        )
    # A tombstone sharing C7's phone: neither counted nor making C7 a duplicate.
    await Customer.insert(
        Customer(
            id=uuid.uuid4(),
            name="已删除",
            name_key="deleted",
            phone="+8613800000007",
            owner=users["r1"].id,
            team=users["r1"].team_id,
            deleted=True,
            created_at=at(1, 2),
        )
    )


async def _add_deals(engine: Engine, history: History, users: dict[str, Any]) -> None:
    for name, (rep, customer, values, moves, created) in DEALS.items():
        deal_id = uuid.uuid4()
        history.deals[name] = deal_id
        actor = actor_of(users[rep])
        fields = {"customer_id": history.customers[customer], "title": name, **values}
        await apply_deal_fields(engine, actor, deal_id, fields, at=created)
        for stage, moved in moves:
            await apply_deal_fields(engine, actor, deal_id, {"stage": stage}, at=moved)


async def _add_records(history: History, users: dict[str, Any]) -> None:
    await Activity.insert(
        *[
            Activity(
                id=uuid.uuid4(),
                customer=history.customers[customer],
                author=users[rep].id,
                kind=kind,
                occurred_at=when,
                summary=kind,
            )
            for rep, customer, kind, when in ACTIVITIES
        ]
    )
    await FollowUp.insert(
        *[
            FollowUp(
                id=uuid.uuid4(),
                customer=history.customers[customer],
                owner=users[rep].id,
                title="回访",
                due_at=due,
                done_at=done,
            )
            for rep, customer, due, done in FOLLOW_UPS
        ]
    )
    await Contract.insert(
        *[
            Contract(
                id=uuid.uuid4(),
                customer=history.customers[customer],
                number=f"HT-{i}",
                amount=Decimal(amount),
                start_date=start,
                end_date=start + dt.timedelta(days=365),
                status=status,
            )
            for i, (customer, start, amount, status) in enumerate(CONTRACTS)
        ]
    )


@pytest.fixture
async def history(client, make_user, engine: Engine) -> History:
    team1 = await accounts.create_team("华北一组")
    team2 = await accounts.create_team("华东二组")
    users = {
        "admin": await make_user("admin", None, "admin"),
        "m1": await make_user("manager", team1, "m1"),
        "r1": await make_user("rep", team1, "r1"),
        "r2": await make_user("rep", team1, "r2"),
        "r3": await make_user("rep", team2, "r3"),
    }
    result = History(team1, team2, **users)
    await _add_customers(result, users)
    await _add_deals(engine, result, users)
    await _add_records(result, users)
    return result
