"""Bookkeeping of the sync protocol: devices, applied ops, conflicts, scope removals."""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.db.tables import User


class SyncDevice(Table):
    """A device id belongs to the first user who syncs with it (Replicache's client check)."""

    device_id = Varchar(length=64, primary_key=True)
    user = ForeignKey(User, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())


class SyncOp(Table):
    """An applied change, by its client-generated op id: a replay is answered from here."""

    op_id = Varchar(length=128, primary_key=True)
    device_id = Varchar(length=64, index=True)
    user = ForeignKey(User)
    digest = Varchar(
        length=64
    )  # SHA-256 of the change as sent: reuse with other content is refused
    entity = Varchar(length=16)
    record_id = Varchar(length=64)
    seq = Integer(default=0)
    applied_at = Timestamptz(default=TimestamptzNow(), index=True)


class SyncConflict(Table):
    """A person's value that a concurrent write replaced (shown to both people)."""

    id = Serial(primary_key=True)
    conflict_key = Varchar(length=64, unique=True)  # digest of sync.Conflict.key
    entity = Varchar(length=16)
    record_id = Varchar(length=64, index=True)
    field = Varchar(length=40)
    loser = JSON()
    winner = JSON()
    loser_actor = Integer(null=True, default=None, index=True)
    winner_actor = Integer(null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class SyncRemoval(Table):
    """A customer left a user's scope (reassigned, unshared): pull tells the device to drop it."""

    id = Serial(primary_key=True)
    user = ForeignKey(User, index=True)
    customer_id = Varchar(length=64)
    seq = Integer(index=True)
