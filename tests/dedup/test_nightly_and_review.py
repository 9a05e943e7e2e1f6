"""The nightly job, the managers' review queue (approve / reject, team scope) and metrics."""

from __future__ import annotations

import datetime as dt
import uuid

from server.cli import build_parser, cmd_dedup
from server.db.dedup_tables import DedupRun, MergeEvent, ReviewItem
from server.db.tables import Customer
from server.domain.access import Actor
from server.domain.dedup import DuplicateCheck
from server.services import accounts
from server.services import customers as customer_service
from server.services.dedup import run_nightly_dedup

NOW = dt.datetime(2026, 11, 24, 2, 30, tzinfo=dt.UTC)


# key → (owner, fields): one pair per case, as old or imported data holds them.
SCENARIO = {
    "same_owner_a": ("alice", {"name": "星辰科技有限公司", "phone": "13800138000"}),
    "same_owner_b": ("alice", {"name": "北京星辰科技", "phone": "138-0013-8000"}),
    "cross_owner_a": ("alice", {"name": "Apex Robotics Co., Ltd.", "email": "hi@apex.io"}),
    "cross_owner_b": ("bob", {"name": "APEX ROBOTICS INC", "email": "HI@apex.io"}),
    "likely_a": ("bob", {"name": "宏达物流有限公司", "phone": "13900139000", "region": "上海"}),
    "likely_b": ("bob", {"name": "宏达物流股份有限公司", "phone": "13911112222", "region": "上海"}),
    "unrelated": ("bob", {"name": "鼎盛机械有限公司", "phone": "13700137000"}),
}


async def _scenario(make_user, team, engine):
    """Customers saved without the duplicate check (legacy or imported data)."""
    users = {name: await make_user("rep", team, name=name) for name in ("alice", "bob")}
    checks = await customer_service.load_checks("CN")
    ids = {}
    for key, (owner, fields) in SCENARIO.items():
        user = users[owner]
        actor = Actor(user.id, user.role, user.team_id)
        skip = DuplicateCheck(skip=True)
        row = await customer_service.create_customer(
            engine, actor, {"region": "北京", **fields}, checks, duplicates=skip
        )
        ids[key] = str(row["id"])
    return users["alice"], users["bob"], ids


async def test_nightly_merges_same_owner_clusters_and_queues_the_rest(make_user, team, engine):
    _, _, ids = await _scenario(make_user, team, engine)
    summary = await run_nightly_dedup(engine, NOW)
    assert summary["records"] == 7
    assert summary["auto_merged"] == 1 and summary["skipped"] == 0
    assert summary["queued"] == 2
    assert summary["candidate_pairs"] >= summary["scored_pairs"] >= summary["likely_pairs"] == 3
    loser = await Customer.select().where(Customer.id == uuid.UUID(ids["same_owner_b"])).first()
    assert loser["deleted"] and str(loser["merged_into"]) == ids["same_owner_a"]
    event = await MergeEvent.select().first()
    assert event["source"] == "auto" and event["actor"] is None
    assert event["run"] == summary["run_id"] and event["score"] >= 97
    pending = await ReviewItem.select().where(ReviewItem.status == "pending")
    pairs = {frozenset((str(p["customer_a"]), str(p["customer_b"]))) for p in pending}
    assert pairs == {
        frozenset((ids["cross_owner_a"], ids["cross_owner_b"])),  # two owners: a manager decides
        frozenset((ids["likely_a"], ids["likely_b"])),  # two phones: likely, not certain
    }
    run = await DedupRun.select().where(DedupRun.id == summary["run_id"]).first()
    assert run["finished_at"] is not None and run["auto_merged"] == 1 and run["queued"] == 2
    again = await run_nightly_dedup(engine, NOW + dt.timedelta(days=1))
    assert (again["auto_merged"], again["queued"], again["records"]) == (0, 0, 6)


async def test_a_dry_run_changes_nothing(make_user, team, engine):
    await _scenario(make_user, team, engine)
    summary = await run_nightly_dedup(engine, NOW, dry_run=True)
    assert summary["likely_pairs"] == 3 and summary["auto_clusters"] == 1
    assert await MergeEvent.count() == 0 and await ReviewItem.count() == 0
    assert await DedupRun.count() == 0


def test_the_cli_has_a_dedup_command() -> None:
    args = build_parser().parse_args(["dedup", "--dry-run"])
    assert args.run is cmd_dedup and args.dry_run


async def test_managers_approve_or_reject_their_teams_pairs(make_user, team, engine):
    _, _, ids = await _scenario(make_user, team, engine)
    await run_nightly_dedup(engine, NOW)
    manager = await make_user("manager", team)
    listed = (await manager.get("/api/dedup/reviews")).json()
    assert listed["total"] == 2
    by_pair = {frozenset((i["a"]["id"], i["b"]["id"])): i for i in listed["items"]}
    cross = by_pair[frozenset((ids["cross_owner_a"], ids["cross_owner_b"]))]
    assert {cross["a"]["owner_name"], cross["b"]["owner_name"]} == {"alice", "bob"}
    likely = by_pair[frozenset((ids["likely_a"], ids["likely_b"]))]

    approved = await manager.post(
        f"/api/dedup/reviews/{cross['id']}/approve",
        json={"survivor_id": ids["cross_owner_b"], "note": "same company"},
    )
    assert approved.status_code == 201, approved.text
    event = approved.json()
    assert event["source"] == "review" and str(event["survivor"]) == ids["cross_owner_b"]
    rejected = await manager.post(f"/api/dedup/reviews/{likely['id']}/reject", json={})
    assert rejected.status_code == 201
    twice = await manager.post(f"/api/dedup/reviews/{likely['id']}/reject", json={})
    assert twice.status_code == 409 and twice.json()["code"] == "dedup.review_decided"

    statuses = {row["status"] for row in await ReviewItem.select(ReviewItem.status)}
    assert statuses == {"merged", "distinct"}
    later = await run_nightly_dedup(engine, NOW + dt.timedelta(days=1))
    assert later["queued"] == 0  # a rejected pair is not asked again
    undone = await manager.post(f"/api/dedup/merges/{event['id']}/undo")
    assert undone.status_code == 201
    after_undo = await run_nightly_dedup(engine, NOW + dt.timedelta(days=2))
    assert after_undo["queued"] == 0 and after_undo["auto_merged"] == 0  # un-merged = distinct


async def test_reps_and_other_teams_cannot_see_the_queue(make_user, team, engine):
    alice, _, _ = await _scenario(make_user, team, engine)
    await run_nightly_dedup(engine, NOW)
    other = await make_user("manager", await accounts.create_team("华南 South"))
    admin = await make_user("admin")
    assert (await alice.get("/api/dedup/reviews")).status_code == 403
    assert (await alice.get("/api/dedup/metrics")).status_code == 403
    assert (await other.get("/api/dedup/reviews")).json()["total"] == 0
    item = await ReviewItem.select().first()
    assert (
        await other.post(f"/api/dedup/reviews/{item['id']}/approve", json={})
    ).status_code == 404
    assert (await other.get("/api/dedup/merges")).json()["total"] == 0
    assert (await admin.get("/api/dedup/reviews")).json()["total"] == 2
    assert (await alice.post("/api/dedup/run")).status_code == 403


async def test_metrics_per_team_and_per_night(make_user, team, engine):
    await _scenario(make_user, team, engine)
    summary = await run_nightly_dedup(engine, NOW)
    manager = await make_user("manager", team)
    metrics = (await manager.get("/api/dedup/metrics")).json()
    (rate,) = metrics["duplicate_rate"]
    assert rate["team_id"] == team
    assert (rate["customers"], rate["merged"], rate["in_review"]) == (6, 1, 4)
    assert rate["rate"] == round(5 / 7, 4)
    assert metrics["review_queue_size"] == 2
    assert metrics["merges_per_night"][0]["run_id"] == summary["run_id"]
    assert metrics["merges_per_night"][0]["auto_merged"] == 1
    admin = await make_user("admin")
    run_now = await admin.post("/api/dedup/run", params={"dry_run": "true"})
    assert run_now.status_code == 201 and run_now.json()["dry_run"] is True
