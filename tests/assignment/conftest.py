"""Helpers for assignment and public-pool tests: pool leads, rules, teams of reps."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from server.db.tables import Customer, User
from server.domain.normalize import company_match_key
from server.domain.regions import normalize_region
from server.services import accounts

LONG_AGO = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


async def insert_customer(
    name: str = "测试线索有限公司",
    region: str | None = "深圳",
    owner: int | None = None,
    team: int | None = None,
    created_at: dt.datetime | None = None,
    **columns: Any,
) -> uuid.UUID:
    """A customer written straight to the table (owner None: a public-pool lead)."""
    customer_id = uuid.uuid4()
    created = created_at or dt.datetime.now(dt.UTC)
    await Customer.insert(
        Customer(
            id=customer_id,
            name=name,
            name_key=company_match_key(name),
            phone=columns.pop("phone", f"+86138{uuid.uuid4().int % 10**8:08d}"),
            region_code=normalize_region(region) if region else None,
            owner=owner,
            team=team,
            created_at=created,
            updated_at=created,
            **columns,
        )
    )
    return customer_id


async def set_user(user_id: int, **values: Any) -> None:
    """senior / capacity / timezone … which the make_user fixture does not take."""
    await User.update({getattr(User, k): v for k, v in values.items()}).where(User.id == user_id)


@pytest.fixture
async def two_teams(make_user) -> dict[str, Any]:
    """South (华南) with reps r1..r3 and a manager, North (华北) with one rep and a manager."""
    south = await accounts.create_team(f"华南 {uuid.uuid4().hex[:4]}")
    north = await accounts.create_team(f"华北 {uuid.uuid4().hex[:4]}")
    return {
        "south": south,
        "north": north,
        "r1": await make_user("rep", south),
        "r2": await make_user("rep", south),
        "r3": await make_user("rep", south),
        "north_rep": await make_user("rep", north),
        "south_manager": await make_user("manager", south),
        "north_manager": await make_user("manager", north),
        "admin": await make_user("admin"),
    }


async def add_rule(user, **rule: Any) -> dict[str, Any]:
    response = await user.post("/api/assignment/rules", json=rule)
    assert response.status_code == 201, response.text
    return response.json()


def field_errors(response) -> dict[str, str]:
    return {e["field"]: e["code"] for e in response.json()["errors"]}
