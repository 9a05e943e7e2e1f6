"""Tables of the dedup area: nightly runs, merge events (with everything un-merge needs) and
the managers' review queue of likely duplicates."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    DoublePrecision,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.db.tables import Customer, Team, User


class DedupRun(Table, tablename="dedup_run"):
    """One run of the nightly job (or `fieldcrm dedup`), with its figures."""

    id = Serial(primary_key=True)
    started_at = Timestamptz(default=TimestamptzNow(), index=True)
    finished_at = Timestamptz(null=True, default=None)
    records = Integer(default=0)
    candidate_pairs = Integer(default=0)
    likely_pairs = Integer(default=0)
    auto_merged = Integer(default=0)
    queued = Integer(default=0)
    skipped = Integer(default=0)  # merges not done because a record changed meanwhile


class MergeEvent(Table, tablename="dedup_merge_event"):
    """A merge of `loser` into `survivor`: full row snapshots of both before the merge, the
    survivor after it, and every child row moved, so un-merge can put everything back."""

    id = Serial(primary_key=True)
    survivor = ForeignKey(Customer, index=True)
    loser = ForeignKey(Customer, index=True)
    team = ForeignKey(Team, null=True, index=True)  # the survivor's team, for scope and metrics
    source = Varchar(length=16)  # auto | review | manual
    score = DoublePrecision(null=True)
    actor = ForeignKey(User, null=True)  # null: the nightly job
    reason = Text(null=True)
    run = ForeignKey(DedupRun, null=True, index=True)
    merged_at = Timestamptz(default=TimestamptzNow(), index=True)
    survivor_before = JSON()
    loser_before = JSON()
    survivor_after = JSON()
    moved = JSON(default="{}")  # child table → ids re-pointed from loser to survivor
    share_added = Integer(null=True)  # CustomerShare id given to the loser's owner
    undone_at = Timestamptz(null=True, default=None)
    undone_by = ForeignKey(User, null=True)


class ReviewItem(Table, tablename="dedup_review"):
    """A pair of likely duplicates for a manager to judge; "distinct" rows also remember
    pairs people said are different customers, so they are not flagged again."""

    id = Serial(primary_key=True)
    customer_a = ForeignKey(Customer, index=True)  # the smaller id of the pair
    customer_b = ForeignKey(Customer, index=True)
    score = DoublePrecision(default=0.0)
    reasons = JSON(default="[]")
    status = Varchar(length=16, default="pending", index=True)  # pending|merged|distinct|stale
    created_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(User, null=True)
    note = Text(null=True)
    merge_event = ForeignKey(MergeEvent, null=True)


DEDUP_TABLES: list[type[Table]] = [DedupRun, MergeEvent, ReviewItem]
