"""Escalation: a reminder the rep left unhandled past the deadline goes to the team's manager.

"Acted on" means an activity logged on the customer, or the follow-up marked done, at or after
the reminder's due time. The N hours count from the later of the due time and the moment the
reminder was stored: after a first deployment or an outage, reps get their full N hours
for long-overdue reminders instead of their managers being flooded at once.

Each occurrence is judged once, after its deadline, and the verdict is kept on its row
(`escalation`: escalated | acted | no_manager), so later runs skip it; the manager's copy is
an occurrence of its own and is delivered like any other reminder.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.engine.base import Engine

from server.db.reminder_tables import ReminderOccurrence
from server.db.tables import Activity, FollowUp
from server.domain.reminders import (
    Reminder,
    ReminderKind,
    escalation_reminder,
    needs_escalation,
)
from server.services.reminder_store import (
    Recipient,
    StoredOccurrence,
    load_recipients,
    reminder_from_json,
    store_reminders,
)

log = logging.getLogger(__name__)

BATCH = 500


@dataclass(frozen=True)
class EscalationResult:
    judged: int
    escalated: int
    stored: list[StoredOccurrence]


async def _candidates(cutoff: dt.datetime, after_id: int) -> list[dict[str, Any]]:
    occ = ReminderOccurrence
    return (
        await occ.select(
            occ.id,
            occ.recipient,
            occ.customer_id,
            occ.kind,
            occ.subject_id,
            occ.due_at,
            occ.created_at,
            occ.reminder,
        )
        .where(
            occ.escalation.is_null(),
            occ.due_at <= cutoff,
            occ.created_at <= cutoff,
            occ.id > after_id,
        )
        .order_by(occ.id)
        .limit(BATCH)
    )


async def _first_actions(rows: Sequence[dict[str, Any]]) -> dict[int, dt.datetime]:
    """occurrence id → the first action at or after its due time (activity or follow-up done)."""
    earliest_due = min(row["due_at"] for row in rows)
    activities = await Activity.select(Activity.customer, Activity.occurred_at).where(
        Activity.customer.is_in(list({row["customer_id"] for row in rows})),
        Activity.occurred_at >= earliest_due,
    )
    by_customer: dict[str, list[dt.datetime]] = defaultdict(list)
    for activity in activities:
        by_customer[str(activity["customer"])].append(activity["occurred_at"])
    follow_up_ids = [r["subject_id"] for r in rows if r["kind"] == ReminderKind.FOLLOW_UP.value]
    done = {}
    if follow_up_ids:
        done_rows = await FollowUp.select(FollowUp.id, FollowUp.done_at).where(
            FollowUp.id.is_in(follow_up_ids), FollowUp.done_at.is_not_null()
        )
        done = {str(r["id"]): r["done_at"] for r in done_rows}
    actions: dict[int, dt.datetime] = {}
    for row in rows:
        times = [*by_customer.get(str(row["customer_id"]), [])]
        if row["subject_id"] in done:
            times.append(done[row["subject_id"]])
        after_due = [t for t in times if t >= row["due_at"]]
        if after_due:
            actions[row["id"]] = min(after_due)
    return actions


def managers_of(rep: Recipient | None, recipients: Mapping[int, Recipient]) -> list[Recipient]:
    """Active managers of the rep's team; managers' and admins' own reminders go nowhere."""
    if rep is None or rep.team_id is None or rep.role != "rep":
        return []
    return [
        user
        for user in recipients.values()
        if user.role == "manager" and user.team_id == rep.team_id and user.id != rep.id
    ]


def escalations_for(
    original: Reminder, recipients: Mapping[int, Recipient], after_hours: float
) -> list[Reminder]:
    rep = recipients.get(original.recipient_id)
    rep_name = rep.display_name if rep else str(original.recipient_id)
    copies = [
        escalation_reminder(original, manager.id, rep_name, after_hours)
        for manager in managers_of(rep, recipients)
    ]
    return [c for c in copies if c is not None]


async def _judge(
    rows: Sequence[dict[str, Any]],
    recipients: Mapping[int, Recipient],
    now: dt.datetime,
    after_hours: float,
) -> tuple[dict[str, list[int]], list[Reminder]]:
    """Verdict per occurrence id, and the manager copies to store."""
    actions = await _first_actions(rows)
    verdicts: dict[str, list[int]] = defaultdict(list)
    copies: list[Reminder] = []
    for row in rows:
        reminded_at = max(row["due_at"], row["created_at"])
        if not needs_escalation(reminded_at, actions.get(row["id"]), now, after_hours):
            verdicts["acted"].append(row["id"])
            continue
        manager_copies = escalations_for(
            reminder_from_json(row["reminder"]), recipients, after_hours
        )
        verdicts["escalated" if manager_copies else "no_manager"].append(row["id"])
        copies += manager_copies
    return verdicts, copies


async def escalate_overdue(
    engine: Engine, now: dt.datetime, after_hours: float
) -> EscalationResult:
    """Judges every occurrence whose escalation deadline has passed and that is not judged yet."""
    cutoff = now - dt.timedelta(hours=after_hours)  # due at or before it → deadline passed
    recipients = await load_recipients()
    judged = escalated = 0
    stored: list[StoredOccurrence] = []
    after_id = 0
    while rows := await _candidates(cutoff, after_id):
        after_id = rows[-1]["id"]
        verdicts, copies = await _judge(rows, recipients, now, after_hours)
        # Copies first: if we crash in between, the rerun re-judges and the copies dedup.
        stored += await store_reminders(engine, copies, recipients, now)
        for verdict, ids in verdicts.items():
            await ReminderOccurrence.update({ReminderOccurrence.escalation: verdict}).where(
                ReminderOccurrence.id.is_in(ids)
            )
        judged += len(rows)
        escalated += len(verdicts.get("escalated", []))
    log.info("escalation: %d judged, %d escalated, %d copies", judged, escalated, len(stored))
    return EscalationResult(judged, escalated, stored)
