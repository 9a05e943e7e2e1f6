"""Piccolo tables: the persistent shape of FieldCRM's data.

Records that devices edit offline (customers, contacts, deals, activities, follow-ups) have
client-generatable UUID keys, a `field_versions` JSON map (field → HLC version, see sync/)
and a `server_seq` stamped from one increasing sequence, which is what sync pulls by.
Deletes of those records are tombstones (`deleted=True`) so they can travel and be undone.
"""

from __future__ import annotations

from decimal import Decimal

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Team(Table):
    id = Serial(primary_key=True)
    name = Varchar(length=100, unique=True)
    region_code = Varchar(length=16, null=True, default=None)


class User(Table, tablename="app_user"):
    id = Serial(primary_key=True)
    username = Varchar(length=64, unique=True)
    display_name = Varchar(length=100)
    password_hash = Text()
    role = Varchar(length=16)  # admin | manager | rep
    team = ForeignKey(Team, null=True)
    senior = Boolean(default=False)
    capacity = Integer(default=0)  # max owned customers for least-loaded assignment; 0 = no cap
    locale = Varchar(length=8, default="zh-CN")
    timezone = Varchar(length=64, default="Asia/Shanghai")
    quiet_start = Varchar(length=5, default="21:00")
    quiet_end = Varchar(length=5, default="08:00")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class AuthToken(Table):
    """Opaque bearer tokens; only a SHA-256 of the token is stored, so a DB leak is not a login."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()


class Customer(Table):
    id = UUID(primary_key=True)
    kind = Varchar(length=16, default="company")  # company | person
    name = Varchar(length=200)
    name_key = Varchar(length=200, index=True)  # company/person match key, for search and dedup
    phone = Varchar(length=20, null=True, default=None, index=True)  # E.164
    email = Varchar(length=254, null=True, default=None, index=True)  # case-folded
    region_code = Varchar(length=16, null=True, default=None, index=True)
    address = Text(null=True, default=None)
    industry = Varchar(length=32, null=True, default=None)
    size = Varchar(length=16, null=True, default=None)  # 1-10 | 11-50 | 51-200 | 201-1000 | 1000+
    grade = Varchar(length=1, default="C", index=True)  # A | B | C
    lifecycle = Varchar(length=16, default="lead", index=True)
    source = Varchar(length=32, null=True, default=None)
    tags = Text(default="[]")  # JSON array of strings
    custom = JSON(default="{}")  # custom-field values by key
    notes = Text(null=True, default=None)
    owner = ForeignKey(User, null=True, index=True)  # null = in the public pool
    team = ForeignKey(Team, null=True, index=True)  # the owner's team, kept for manager scoping
    assigned_rule = Varchar(
        length=100, null=True, default=None
    )  # which assignment rule set the owner
    claimed_at = Timestamptz(null=True, default=None)  # when a rep claimed it from the public pool
    # no reassignment or stale-lead release before this moment
    protected_until = Timestamptz(null=True, default=None)
    low_priority = Boolean(default=False)  # set by stale-lead cleanup when so configured
    archived_at = Timestamptz(null=True, default=None)  # set by stale-lead cleanup; hidden
    merged_into = UUID(
        null=True, default=None, index=True
    )  # set on the losing record of a dedup merge
    last_contact_at = Timestamptz(null=True, default=None)
    created_by = ForeignKey(User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)
    deleted = Boolean(default=False)  # no index: a boolean index misleads the planner
    field_versions = JSON(default="{}")
    server_seq = Integer(default=0, index=True)


class CustomerShare(Table):
    """A customer explicitly shared with a rep who does not own it."""

    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, index=True)
    user = ForeignKey(User, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Contact(Table):
    id = UUID(primary_key=True)
    customer = ForeignKey(Customer, index=True)
    name = Varchar(length=100)
    title = Varchar(length=100, null=True, default=None)
    phone = Varchar(length=20, null=True, default=None, index=True)
    email = Varchar(length=254, null=True, default=None, index=True)
    birthday = Date(null=True, default=None)
    anniversary = Date(null=True, default=None)
    is_primary = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    deleted = Boolean(default=False)
    field_versions = JSON(default="{}")
    server_seq = Integer(default=0, index=True)


class Deal(Table):
    id = UUID(primary_key=True)
    customer = ForeignKey(Customer, index=True)
    owner = ForeignKey(User, null=True, index=True)
    title = Varchar(length=200)
    amount = Numeric(digits=(14, 2), default=Decimal(0))
    currency = Varchar(length=3, default="CNY")
    stage = Varchar(length=32, default="lead", index=True)
    stage_entered_at = Timestamptz(default=TimestamptzNow())
    probability = Integer(null=True, default=None)  # percent; null → the stage's default
    expected_close = Date(null=True, default=None)
    lost_reason = Text(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    deleted = Boolean(default=False)
    field_versions = JSON(default="{}")
    server_seq = Integer(default=0, index=True)


class DealStageChange(Table):
    """Every stage move with its time, so dwell time per stage is exact."""

    id = Serial(primary_key=True)
    deal = ForeignKey(Deal, index=True)
    from_stage = Varchar(length=32, null=True, default=None)
    to_stage = Varchar(length=32)
    changed_at = Timestamptz(default=TimestamptzNow())
    actor = ForeignKey(User, null=True)


class Activity(Table):
    """A visit, call, meeting, email or note. Append-only: activities are never edited away."""

    id = UUID(primary_key=True)
    customer = ForeignKey(Customer, index=True)
    deal = ForeignKey(Deal, null=True)
    author = ForeignKey(User, null=True, index=True)
    kind = Varchar(length=16, default="visit")  # call | visit | meeting | email | note
    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)
    summary = Text()
    next_step = Text(null=True, default=None)
    location = Varchar(length=200, null=True, default=None)
    latitude = Numeric(digits=(9, 6), null=True, default=None)
    longitude = Numeric(digits=(9, 6), null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    server_seq = Integer(default=0, index=True)


class FollowUp(Table):
    id = UUID(primary_key=True)
    customer = ForeignKey(Customer, index=True)
    owner = ForeignKey(User, null=True, index=True)
    title = Varchar(length=200)
    due_at = Timestamptz(index=True)
    done_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    deleted = Boolean(default=False)
    field_versions = JSON(default="{}")
    server_seq = Integer(default=0, index=True)


class Contract(Table):
    id = UUID(primary_key=True)
    customer = ForeignKey(Customer, index=True)
    number = Varchar(length=64)
    amount = Numeric(digits=(14, 2), default=Decimal(0))
    currency = Varchar(length=3, default="CNY")
    start_date = Date()
    end_date = Date(index=True)
    signed_at = Timestamptz(null=True, default=None)
    status = Varchar(length=16, default="active")  # draft | active | expired | terminated
    created_at = Timestamptz(default=TimestamptzNow())


class Ticket(Table):
    """After-sales service record, so the 360° view joins pre- and after-sales."""

    id = UUID(primary_key=True)
    customer = ForeignKey(Customer, index=True)
    assignee = ForeignKey(User, null=True)
    title = Varchar(length=200)
    description = Text(null=True, default=None)
    status = Varchar(length=16, default="open")  # open | in_progress | resolved | closed
    priority = Varchar(length=8, default="normal")  # low | normal | high | urgent
    opened_at = Timestamptz(default=TimestamptzNow())
    closed_at = Timestamptz(null=True, default=None)


class CustomFieldDef(Table):
    id = Serial(primary_key=True)
    entity = Varchar(length=16)  # customer | contact | deal
    key = Varchar(length=40)
    label_en = Varchar(length=100)
    label_zh = Varchar(length=100)
    field_type = Varchar(length=8)  # text | number | date | choice
    choices = JSON(default="[]")
    required = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class OwnerChange(Table):
    id = Serial(primary_key=True)
    customer = ForeignKey(Customer, index=True)
    from_owner = ForeignKey(User, null=True)
    to_owner = ForeignKey(User, null=True)
    changed_at = Timestamptz(default=TimestamptzNow())
    actor = ForeignKey(User, null=True)
    reason = Varchar(
        length=200, null=True, default=None
    )  # e.g. create, claim, release, handover, rule name


class AuditLog(Table):
    id = Serial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = ForeignKey(User, null=True, index=True)
    action = Varchar(length=32)  # create | update | delete | export | merge | assign | import …
    entity = Varchar(length=32)
    record_id = Varchar(length=64, null=True, default=None, index=True)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    detail = Text(null=True, default=None)


class Notification(Table):
    """In-app notification: every reminder, assignment and escalation lands here (the
    fallback when push is off); push delivery is attempted separately."""

    id = Serial(primary_key=True)
    user = ForeignKey(User, index=True)
    kind = Varchar(length=32)  # reminder | assignment | escalation | stale_release | merge …
    title = Varchar(length=200)
    body = Text(default="")
    link = Varchar(length=200, null=True, default=None)  # e.g. /customers/<id>
    data = JSON(default="{}")
    dedup_key = Varchar(
        length=200, null=True, default=None, unique=True
    )  # exactly-once per occurrence
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    read_at = Timestamptz(null=True, default=None)
    pushed_at = Timestamptz(null=True, default=None)


class Setting(Table):
    """Small admin-editable settings (e.g. extra required customer fields) as JSON values."""

    key = Varchar(length=64, primary_key=True)
    value = JSON(default="null")


class Counter(Table):
    """Named monotonic counters (the sync server sequence); bumped inside write transactions."""

    name = Varchar(length=32, primary_key=True)
    value = Integer(default=0)


ALL_TABLES: list[type[Table]] = [
    Team,
    User,
    AuthToken,
    Customer,
    CustomerShare,
    Contact,
    Deal,
    DealStageChange,
    Activity,
    FollowUp,
    Contract,
    Ticket,
    CustomFieldDef,
    OwnerChange,
    AuditLog,
    Notification,
    Setting,
    Counter,
]
