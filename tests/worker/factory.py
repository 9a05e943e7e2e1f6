"""Rows for worker tests, written straight to the tables (the API has its own tests)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from server.db.tables import Activity, Contact, Contract, Customer, Deal, FollowUp, User
from server.services import accounts

# Piccolo fills nullable columns with their type's default ("now", a random UUID) unless
# told otherwise; a real writer says None, and so do these.
UNSET_BY_DEFAULT: dict[str, Any] = {
    "merged_into": None,
    "archived_at": None,
    "claimed_at": None,
    "protected_until": None,
}


@dataclass(frozen=True)
class Person:
    id: int
    name: str


async def person(
    role: str = "rep",
    team_id: int | None = None,
    locale: str = "en",
    timezone: str = "Asia/Shanghai",
    quiet: tuple[str, str] = ("21:00", "08:00"),
) -> Person:
    name = f"{role}-{uuid.uuid4().hex[:8]}"
    user_id = await accounts.create_user(
        name, None, role, display_name=name, team_id=team_id, locale=locale, password_hash="x"
    )
    await User.update(
        {User.timezone: timezone, User.quiet_start: quiet[0], User.quiet_end: quiet[1]}
    ).where(User.id == user_id)
    return Person(user_id, name)


async def customer(
    owner: int | None,
    *,
    name: str = "华东机电",
    grade: str = "C",
    created_at: dt.datetime,
    last_contact_at: dt.datetime | None = None,
    tags: list[str] | None = None,
) -> uuid.UUID:
    customer_id = uuid.uuid4()
    await Customer.insert(
        Customer(
            id=customer_id,
            name=name,
            name_key=name,
            grade=grade,
            owner=owner,
            tags=json.dumps(tags or [], ensure_ascii=False),
            created_at=created_at,
            updated_at=created_at,
            last_contact_at=last_contact_at,
            **UNSET_BY_DEFAULT,
        )
    )
    return customer_id


async def follow_up(customer_id: uuid.UUID, due_at: dt.datetime, **values: Any) -> uuid.UUID:
    values = {"done_at": None, **values}
    row = FollowUp(id=uuid.uuid4(), customer=customer_id, title="回访报价", due_at=due_at, **values)
    await FollowUp.insert(row)
    return row.id


async def contract(customer_id: uuid.UUID, end_date: dt.date, status: str = "active") -> uuid.UUID:
    row = Contract(
        id=uuid.uuid4(),
        customer=customer_id,
        number="HT-2025-001",
        start_date=end_date - dt.timedelta(days=365),
        end_date=end_date,
        status=status,
        signed_at=None,
    )
    await Contract.insert(row)
    return row.id


async def contact(customer_id: uuid.UUID, **dates: dt.date) -> uuid.UUID:
    row = Contact(id=uuid.uuid4(), customer=customer_id, name="王经理", **dates)
    await Contact.insert(row)
    return row.id


async def deal(
    customer_id: uuid.UUID, stage: str, entered: dt.datetime, **values: Any
) -> uuid.UUID:
    row = Deal(
        id=uuid.uuid4(),
        customer=customer_id,
        title="二期扩容",
        stage=stage,
        stage_entered_at=entered,
        **{"closed_at": None, **values},
    )
    await Deal.insert(row)
    return row.id


async def activity(customer_id: uuid.UUID, at: dt.datetime, summary: str = "拜访采购部") -> None:
    await Activity.insert(
        Activity(
            id=uuid.uuid4(),
            customer=customer_id,
            occurred_at=at,
            summary=summary,
            next_step="下周报价",
        )
    )
