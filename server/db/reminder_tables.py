"""Tables of the reminders area: push subscriptions per device, and reminder occurrences.

A `ReminderOccurrence` row is the idempotency record of one push to one recipient: it is
stored (unique `dedup_key`) together with the in-app notification before any push is sent,
and the push job claims it, sends, and marks it sent (see server/services/reminder_delivery.py).
Most are reminders (`reminder` holds the domain Reminder); the others push a notification made
by `notify()` (assignments, stale-lead releases, merges…): no `reminder`, no customer, never
escalated, and the push text is the notification's own.

Nullable columns say default=None: Piccolo would otherwise fill them in (a timestamp with
"now"), and a claimed_at of "now" on a fresh row would read as a live claim.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.db.tables import User


class PushSubscription(Table, tablename="push_subscription"):
    """One browser/device of a user that accepted web push (PushSubscription.toJSON())."""

    id = Serial(primary_key=True)
    user = ForeignKey(User, index=True)
    endpoint = Text(unique=True)  # push service URLs run to several hundred characters
    p256dh = Varchar(length=128)
    auth = Varchar(length=64)
    device_label = Varchar(length=100, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    last_success_at = Timestamptz(null=True, default=None)


class ReminderOccurrence(Table, tablename="reminder_occurrence"):
    id = Serial(primary_key=True)
    dedup_key = Varchar(length=255, unique=True)  # "<occurrence_key>:<recipient id>"
    occurrence_key = Varchar(length=240, index=True)
    recipient = ForeignKey(User, index=True)
    kind = Varchar(length=32)
    customer_id = UUID(index=True, null=True, default=None)  # None: a notify() notification
    # The follow-up/contract/contact/deal (or customer) the occurrence is about.
    subject_id = Varchar(length=64, null=True, default=None)
    due_at = Timestamptz(index=True)
    # The domain Reminder: push text is rendered from it at send time. None: the occurrence
    # pushes the in-app notification it points at (services/notifications.py notify()).
    reminder = JSON(null=True, default=None)
    notification_id = Integer(null=True, default=None)  # the in-app Notification made with it
    state = Varchar(length=8, default="pending", index=True)  # pending | sent | failed
    deliver_at = Timestamptz(index=True)  # not before: quiet hours, retry backoff
    attempts = Integer(default=0)
    # A push job holds the occurrence until claimed_at + lease.
    claimed_at = Timestamptz(null=True, default=None)
    delivered_to = JSON(default="[]")  # ids of subscriptions that accepted the push
    sent_at = Timestamptz(null=True, default=None)
    # null: not judged yet | escalated | acted | no_manager | never (escalations themselves)
    escalation = Varchar(length=12, null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


REMINDER_TABLES: list[type[Table]] = [PushSubscription, ReminderOccurrence]
