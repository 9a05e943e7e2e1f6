"""The managers' side of dedup: the review queue, merges (manual, approved, undone) and the
duplicate metrics.

Scope: an admin reaches every item; a manager the items whose two customers are both in
their team (a pair spanning two teams is an admin's call); reps have no access (the routes
are guarded).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from piccolo.engine.base import Engine
from piccolo.query.functions.aggregate import Count

from server.db.dedup_tables import DedupRun, MergeEvent, ReviewItem
from server.db.tables import Customer, Team
from server.domain.access import Actor
from server.domain.errors import Conflict, NotFound
from server.services.dedup_merge import MergeRequest, merge_customers, remember_distinct

METRICS_WINDOW = dt.timedelta(days=30)
RUNS_SHOWN = 14
_SIDE_COLUMNS = ("id", "name", "phone", "email", "region_code", "owner", "team")
_SNAPSHOTS = {"survivor_before", "loser_before", "survivor_after", "moved"}


def _item_scope(actor: Actor) -> Any:
    if actor.is_admin:
        return ReviewItem.id.is_not_null()
    return (ReviewItem.customer_a.team == actor.team_id) & (
        ReviewItem.customer_b.team == actor.team_id
    )


def _event_scope(actor: Actor) -> Any:
    return MergeEvent.id.is_not_null() if actor.is_admin else MergeEvent.team == actor.team_id


# ---- review queue --------------------------------------------------------------------------


async def list_reviews(
    actor: Actor, status: str, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    where = _item_scope(actor) & (ReviewItem.status == status)
    rows = await (
        ReviewItem.select(
            *ReviewItem.all_columns(),
            *(getattr(ReviewItem.customer_a, c).as_alias(f"a_{c}") for c in _SIDE_COLUMNS),
            *(getattr(ReviewItem.customer_b, c).as_alias(f"b_{c}") for c in _SIDE_COLUMNS),
            ReviewItem.customer_a.owner.display_name.as_alias("a_owner_name"),
            ReviewItem.customer_b.owner.display_name.as_alias("b_owner_name"),
        )
        .where(where)
        .order_by(ReviewItem.score, ascending=False)
        .order_by(ReviewItem.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    total = await ReviewItem.count().where(where)
    return [_item_out(row) for row in rows], total


def _item_out(row: dict[str, Any]) -> dict[str, Any]:
    def side(prefix: str) -> dict[str, Any]:
        out = {c: row[f"{prefix}_{c}"] for c in _SIDE_COLUMNS}
        out["region"] = out.pop("region_code")
        out["owner_name"] = row[f"{prefix}_owner_name"]
        return out

    reasons = row["reasons"]
    return {
        "id": row["id"],
        "score": row["score"],
        "reasons": json.loads(reasons) if isinstance(reasons, str) else reasons,
        "status": row["status"],
        "created_at": row["created_at"],
        "decided_at": row["decided_at"],
        "note": row["note"],
        "merge_event": row["merge_event"],
        "a": side("a"),
        "b": side("b"),
    }


async def _pending_item(actor: Actor, item_id: int) -> dict[str, Any]:
    row = await ReviewItem.select().where(_item_scope(actor) & (ReviewItem.id == item_id)).first()
    if row is None:
        raise NotFound("review")
    if row["status"] != "pending":
        raise Conflict("dedup.review_decided", status=row["status"])
    return row


async def approve(
    engine: Engine, actor: Actor, item_id: int, survivor_id: uuid.UUID | None, note: str | None
) -> int:
    """Merge the pair (into `survivor_id`, else the older record); returns the event id."""
    item = await _pending_item(actor, item_id)
    pair = {item["customer_a"], item["customer_b"]}
    if survivor_id is not None and survivor_id not in pair:
        raise Conflict("dedup.survivor_not_in_pair")
    survivor = survivor_id or await _older(*pair)
    (loser,) = pair - {survivor}
    request = MergeRequest(survivor, loser, "review", score=item["score"], reason=note)
    event_id = await merge_customers(engine, actor, request)
    assert event_id is not None  # no min_score: a merge either happens or raises
    return event_id


async def _older(a: uuid.UUID, b: uuid.UUID) -> uuid.UUID:
    rows = await Customer.select(Customer.id, Customer.created_at).where(Customer.id.is_in([a, b]))
    return min(rows, key=lambda r: (r["created_at"], str(r["id"])))["id"]


async def reject(engine: Engine, actor: Actor, item_id: int, note: str | None) -> None:
    """Not duplicates: decided, and never queued again."""
    async with engine.transaction():
        item = await _pending_item(actor, item_id)
        await remember_distinct(actor, item["customer_a"], item["customer_b"], note or "rejected")


# ---- merges --------------------------------------------------------------------------------


async def list_merges(
    actor: Actor, customer_id: uuid.UUID | None, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    where = _event_scope(actor)
    if customer_id is not None:
        where &= (MergeEvent.survivor == customer_id) | (MergeEvent.loser == customer_id)
    columns = [c for c in MergeEvent.all_columns() if c._meta.name not in _SNAPSHOTS]
    rows = await (
        MergeEvent.select(
            *columns,
            MergeEvent.survivor.name.as_alias("survivor_name"),
            MergeEvent.loser.name.as_alias("loser_name"),
            MergeEvent.actor.display_name.as_alias("actor_name"),
        )
        .where(where)
        .order_by(MergeEvent.id, ascending=False)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return rows, await MergeEvent.count().where(where)


async def get_merge(actor: Actor, event_id: int) -> dict[str, Any]:
    row = await MergeEvent.select().where(_event_scope(actor) & (MergeEvent.id == event_id)).first()
    if row is None:
        raise NotFound("merge")
    for name in _SNAPSHOTS:
        if isinstance(row[name], str):
            row[name] = json.loads(row[name])
    return row


async def require_merge_in_scope(actor: Actor, event_id: int) -> None:
    if not await MergeEvent.exists().where(_event_scope(actor) & (MergeEvent.id == event_id)):
        raise NotFound("merge")


# ---- metrics -------------------------------------------------------------------------------


async def metrics(actor: Actor, now: dt.datetime) -> dict[str, Any]:
    """Duplicate rate per team (last 30 days: records merged away plus records waiting in the
    queue, over the team's live records plus those merged away), merges per nightly run,
    and the review queue size — an admin sees every team, a manager their own."""
    since = now - METRICS_WINDOW
    teams = await Team.select(Team.id, Team.name).where(
        Team.id.is_not_null() if actor.is_admin else Team.id == actor.team_id
    )
    return {
        "window_days": METRICS_WINDOW.days,
        "duplicate_rate": [await _team_rate(team, since) for team in teams],
        "merges_per_night": await _merges_per_run(actor),
        "review_queue_size": await ReviewItem.count().where(
            _item_scope(actor) & (ReviewItem.status == "pending")
        ),
    }


async def _team_rate(team: dict[str, Any], since: dt.datetime) -> dict[str, Any]:
    live = await Customer.count().where((Customer.team == team["id"]) & Customer.deleted.eq(False))
    merged = await MergeEvent.count().where(
        (MergeEvent.team == team["id"])
        & (MergeEvent.merged_at >= since)
        & MergeEvent.undone_at.is_null()
    )
    waiting = await _customers_in_queue(team["id"])
    total = live + merged
    return {
        "team_id": team["id"],
        "team_name": team["name"],
        "customers": live,
        "merged": merged,
        "in_review": waiting,
        "rate": round((merged + waiting) / total, 4) if total else 0.0,
    }


async def _customers_in_queue(team_id: int) -> int:
    pending = ReviewItem.status == "pending"
    sides = [
        await ReviewItem.select(ReviewItem.customer_a.as_alias("c")).where(
            pending & (ReviewItem.customer_a.team == team_id)
        ),
        await ReviewItem.select(ReviewItem.customer_b.as_alias("c")).where(
            pending & (ReviewItem.customer_b.team == team_id)
        ),
    ]
    return len({row["c"] for rows in sides for row in rows})


async def _merges_per_run(actor: Actor) -> list[dict[str, Any]]:
    runs = await (
        DedupRun.select()
        .where(DedupRun.finished_at.is_not_null())
        .order_by(DedupRun.id, ascending=False)
        .limit(RUNS_SHOWN)
    )
    if not runs:
        return []
    counts = await (
        MergeEvent.select(MergeEvent.run, Count(MergeEvent.id, alias="merges"))
        .where(_event_scope(actor) & MergeEvent.run.is_in([r["id"] for r in runs]))
        .group_by(MergeEvent.run)
    )
    merged_in = {row["run"]: row["merges"] for row in counts}
    return [
        {
            "run_id": run["id"],
            "started_at": run["started_at"],
            "records": run["records"],
            "auto_merged": merged_in.get(run["id"], 0),
            "queued": run["queued"],
        }
        for run in runs
    ]
