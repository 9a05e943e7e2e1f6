"""The reminder scan: load customers in batches, run the reminder rules, store what is due.

Per batch of customers it runs one query per related table (follow-ups, contracts, contacts,
deals), never one per customer. The last activity (the reminder's context) is loaded only
for customers that have a new reminder, since that is a small fraction of them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from piccolo.engine.base import Engine

from server.db.tables import Activity, Contact, Contract, Customer, Deal, FollowUp
from server.domain.reminders import (
    ContactSnapshot,
    ContractSnapshot,
    CustomerSnapshot,
    DealSnapshot,
    FollowUpSnapshot,
    Reminder,
    ReminderSettings,
    due_reminders,
)
from server.domain.schedule import TimeZoneLike
from server.services.reminder_store import (
    Recipient,
    StoredOccurrence,
    dedup_key,
    existing_dedup_keys,
    load_recipients,
    store_reminders,
)

log = logging.getLogger(__name__)

CUSTOMER_BATCH = 2000
KEY_FACTS = 3

# A batch's first and last customer id. Related rows are selected by this key range rather
# than by a list of thousands of ids; rows of customers outside the batch (deleted, merged)
# fall in the range too and are simply never looked up.
IdRange = tuple[UUID, UUID]


@dataclass(frozen=True)
class ScanResult:
    customers: int
    due: int
    stored: list[StoredOccurrence]


# ---- loading -----------------------------------------------------------------------------------


async def customer_batches(batch_size: int) -> AsyncIterator[list[dict[str, Any]]]:
    """Live customers in primary-key order, keyset-paginated (no OFFSET rescans)."""
    last_id: UUID | None = None
    while True:
        query = Customer.select(
            Customer.id,
            Customer.name,
            Customer.owner,
            Customer.grade,
            Customer.tags,
            Customer.created_at,
            Customer.last_contact_at,
        ).where(
            Customer.deleted.eq(False),
            Customer.merged_into.is_null(),
            Customer.archived_at.is_null(),
        )
        if last_id is not None:
            query = query.where(Customer.id > last_id)
        rows = await query.order_by(Customer.id).limit(batch_size)
        if not rows:
            return
        yield rows
        last_id = rows[-1]["id"]


def _group(rows: Sequence[dict[str, Any]], snapshot: Any) -> dict[Any, tuple[Any, ...]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row["customer"]].append(snapshot(row))
    return {key: tuple(items) for key, items in grouped.items()}


async def _follow_ups(ids: IdRange) -> dict[Any, tuple[FollowUpSnapshot, ...]]:
    rows = await FollowUp.select(
        FollowUp.id, FollowUp.customer, FollowUp.owner, FollowUp.title, FollowUp.due_at
    ).where(
        FollowUp.customer >= ids[0],
        FollowUp.customer <= ids[1],
        FollowUp.done_at.is_null(),
        FollowUp.deleted.eq(False),
    )
    return _group(
        rows, lambda r: FollowUpSnapshot(r["id"], r["title"], r["due_at"], owner_id=r["owner"])
    )


async def _contracts(
    ids: IdRange, now: dt.datetime, settings: ReminderSettings
) -> dict[Any, tuple[ContractSnapshot, ...]]:
    # A day of slack either side: "today" depends on each recipient's time zone.
    today = now.astimezone(dt.UTC).date()
    last_end = today + dt.timedelta(days=settings.contract_notice_days + 1)
    rows = await Contract.select(
        Contract.id, Contract.customer, Contract.number, Contract.end_date, Contract.status
    ).where(
        Contract.customer >= ids[0],
        Contract.customer <= ids[1],
        Contract.status == "active",
        Contract.end_date >= today - dt.timedelta(days=1),
        Contract.end_date <= last_end,
    )
    return _group(
        rows, lambda r: ContractSnapshot(r["id"], r["number"], r["end_date"], r["status"])
    )


async def _contacts(ids: IdRange) -> dict[Any, tuple[ContactSnapshot, ...]]:
    rows = await Contact.select(
        Contact.id, Contact.customer, Contact.name, Contact.birthday, Contact.anniversary
    ).where(
        Contact.customer >= ids[0],
        Contact.customer <= ids[1],
        Contact.deleted.eq(False),
        Contact.birthday.is_not_null() | Contact.anniversary.is_not_null(),
    )
    return _group(
        rows, lambda r: ContactSnapshot(r["id"], r["name"], r["birthday"], r["anniversary"])
    )


async def _deals(
    ids: IdRange, stage_days: Mapping[str, int | None]
) -> dict[Any, tuple[DealSnapshot, ...]]:
    timed_stages = [key for key, days in stage_days.items() if days]
    if not timed_stages:
        return {}
    rows = await Deal.select(
        Deal.id, Deal.customer, Deal.owner, Deal.title, Deal.stage, Deal.stage_entered_at
    ).where(
        Deal.customer >= ids[0],
        Deal.customer <= ids[1],
        Deal.deleted.eq(False),
        Deal.closed_at.is_null(),
        Deal.stage.is_in(timed_stages),
    )
    return _group(
        rows,
        lambda r: DealSnapshot(
            r["id"],
            r["title"],
            r["stage"],
            r["stage_entered_at"],
            stage_days.get(r["stage"]),
            owner_id=r["owner"],
        ),
    )


def _key_facts(tags: Any) -> tuple[str, ...]:
    """The rep's own tags are the short facts worth a line in a push."""
    if isinstance(tags, str):
        try:
            tags = json.loads(tags)
        except ValueError:
            return ()
    return tuple(str(t) for t in tags[:KEY_FACTS]) if isinstance(tags, list) else ()


async def load_snapshots(
    rows: Sequence[dict[str, Any]],
    now: dt.datetime,
    settings: ReminderSettings,
    stage_days: Mapping[str, int | None],
) -> list[CustomerSnapshot]:
    """Snapshots of one batch of customers (in id order), without context: key facts and the
    last activity are added only for the few customers with a new reminder."""
    ids = (rows[0]["id"], rows[-1]["id"])
    follow_ups = await _follow_ups(ids)
    contracts = await _contracts(ids, now, settings)
    contacts = await _contacts(ids)
    deals = await _deals(ids, stage_days)
    return [
        CustomerSnapshot(
            id=row["id"],
            name=row["name"],
            owner_id=row["owner"],
            grade=row["grade"],
            created_at=row["created_at"],
            last_contact_at=row["last_contact_at"],
            follow_ups=follow_ups.get(row["id"], ()),
            contracts=contracts.get(row["id"], ()),
            contacts=contacts.get(row["id"], ()),
            deals=deals.get(row["id"], ()),
        )
        for row in rows
    ]


async def last_activities(ids: Sequence[Any]) -> dict[str, tuple[str, str | None]]:
    """customer id (as text) → (summary, next step) of its latest activity; one query."""
    if not ids:
        return {}
    placeholders = ", ".join("{}" for _ in ids)
    rows = await Activity.raw(
        "SELECT customer, summary, next_step FROM ("
        " SELECT customer, summary, next_step, ROW_NUMBER() OVER"
        " (PARTITION BY customer ORDER BY occurred_at DESC) AS position"
        f" FROM activity WHERE customer IN ({placeholders})"
        ") latest WHERE position = 1",
        *ids,
    )
    return {str(row["customer"]): (row["summary"], row["next_step"]) for row in rows}


# ---- the rules, per batch -------------------------------------------------------------------


def _owner_zone(customer: CustomerSnapshot, recipients: Mapping[int, Recipient]) -> TimeZoneLike:
    owner = recipients.get(customer.owner_id) if customer.owner_id is not None else None
    return owner.zone if owner else None  # None: the default zone


def reminders_for(
    customers: Sequence[CustomerSnapshot],
    recipients: Mapping[int, Recipient],
    now: dt.datetime,
    settings: ReminderSettings,
) -> list[Reminder]:
    """Date-based rules use the owner's time zone (they remind the owner); instant-based rules
    (follow-ups, stage overdue) do not depend on it."""
    return [
        reminder
        for customer in customers
        for reminder in due_reminders(customer, now, settings, _owner_zone(customer, recipients))
    ]


async def _with_context(
    customers: Sequence[CustomerSnapshot],
    tags: Mapping[Any, Any],
    wanted_keys: set[str],
    recipients: Mapping[int, Recipient],
    now: dt.datetime,
    settings: ReminderSettings,
) -> list[Reminder]:
    """Re-runs the rules for the customers with new reminders, now with their context."""
    activities = await last_activities([c.id for c in customers])
    enriched = [
        replace(
            customer,
            key_facts=_key_facts(tags.get(customer.id)),
            last_activity_summary=activities.get(str(customer.id), (None, None))[0],
            last_activity_next_step=activities.get(str(customer.id), (None, None))[1],
        )
        for customer in customers
    ]
    return [
        r for r in reminders_for(enriched, recipients, now, settings) if dedup_key(r) in wanted_keys
    ]


async def scan_batch(
    engine: Engine,
    rows: Sequence[dict[str, Any]],
    recipients: Mapping[int, Recipient],
    now: dt.datetime,
    settings: ReminderSettings,
    stage_days: Mapping[str, int | None],
) -> tuple[int, list[StoredOccurrence]]:
    customers = await load_snapshots(rows, now, settings, stage_days)
    due = reminders_for(customers, recipients, now, settings)
    deliverable = {dedup_key(r): r for r in due if r.recipient_id in recipients}
    new_keys = set(deliverable) - await existing_dedup_keys(deliverable)
    if not new_keys:
        return len(due), []
    affected = {str(deliverable[key].customer_id) for key in new_keys}
    with_new = [c for c in customers if str(c.id) in affected]
    tags = {row["id"]: row["tags"] for row in rows}
    fresh = await _with_context(with_new, tags, new_keys, recipients, now, settings)
    return len(due), await store_reminders(engine, fresh, recipients, now)


async def scan_reminders(
    engine: Engine,
    now: dt.datetime,
    settings: ReminderSettings,
    stage_days: Mapping[str, int | None],
    batch_size: int = CUSTOMER_BATCH,
) -> ScanResult:
    """One pass over every live customer; safe to run again at any time (idempotent)."""
    recipients = await load_recipients()
    customers = due = 0
    stored: list[StoredOccurrence] = []
    async for rows in customer_batches(batch_size):
        batch_due, batch_stored = await scan_batch(
            engine, rows, recipients, now, settings, stage_days
        )
        customers += len(rows)
        due += batch_due
        stored += batch_stored
    log.info("reminder scan: %d customers, %d due, %d new", customers, due, len(stored))
    return ScanResult(customers, due, stored)
