"""Duplicate customers: the check on every save, check-as-you-type, and the nightly job.

* `refuse_duplicates` runs inside a save's write transaction, after the write: if the saved
  customer is a likely duplicate it raises (409, see server/domain/dedup/policy.py) and the
  whole save rolls back. As every synced write holds the server-sequence lock until commit,
  two people saving the same new customer at once cannot both pass.
* `find_for_input` answers the form's check-as-you-type, scoped the same way.
* `run_nightly_dedup` scores every live customer (blocking keeps it near-linear), merges
  clusters at or above AUTO_MERGE_SCORE whose records share one owner, and queues the
  other likely pairs for a manager (server/services/dedup_review.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import operator
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from piccolo.engine.base import Engine

from server.db.dedup_tables import DedupRun, ReviewItem
from server.db.tables import Customer
from server.domain.access import Actor
from server.domain.dedup import (
    AUTO_MERGE_SCORE,
    LIKELY_SCORE,
    DuplicateCheck,
    Finding,
    Match,
    MatchRecord,
    NameStats,
    cluster,
    find_matches,
    judge_save,
    score,
)
from server.domain.errors import Conflict, NotFound
from server.services import audit
from server.services.dedup_merge import (
    MergeRequest,
    match_record,
    merge_customers,
    ordered_pair,
    remember_distinct,
)
from server.services.scope import visible_to

log = logging.getLogger(__name__)

# A change to one of these fields can make a record a duplicate.
MATCH_FIELDS = frozenset({"kind", "name", "phone", "email", "region", "address"})
CANDIDATE_LIMIT = 200  # rows fetched per check; far more than real duplicates of one record
FINDINGS_SHOWN = 10
LOAD_BATCH = 5000
IN_CHUNK = 500  # values per IN (...) list
_AFFIX = {True: 3, False: 4}  # Han / Latin: key prefix & suffix length for fuzzy candidates
_MATCH_COLUMNS = (
    Customer.id,
    Customer.kind,
    Customer.name,
    Customer.name_key,
    Customer.phone,
    Customer.email,
    Customer.region_code,
    Customer.address,
    Customer.owner,
)


# ---- the check on save ---------------------------------------------------------------------


async def refuse_duplicates(
    actor: Actor,
    customer_id: uuid.UUID,
    check: DuplicateCheck | None = None,
    changed: Iterable[str] | None = None,
) -> None:
    """Call inside a save's transaction, after writing: raise Conflict (the save rolls back)
    when the saved customer is a likely duplicate the client did not confirm / a manager did
    not override. `changed`: the fields this save set (an update touching none of
    MATCH_FIELDS is not checked)."""
    check = check or DuplicateCheck()
    if check.skip or (changed is not None and not MATCH_FIELDS & set(changed)):
        return
    row = await Customer.select(*_MATCH_COLUMNS).where(Customer.id == customer_id).first()
    if row is None:
        return
    await _judge(actor, customer_id, row, check)


async def refuse_offline_duplicate(actor: Actor, row: dict[str, Any]) -> None:
    """For a customer a device created offline, before it is written: another rep's record
    refuses it (撞单); the creator's own likely duplicates are left for the review queue.
    `row` has the customer's columns as they are about to be stored."""
    await _judge(actor, row["id"], row, DuplicateCheck(offline=True))


async def _judge(
    actor: Actor, customer_id: uuid.UUID, row: dict[str, Any], check: DuplicateCheck
) -> None:
    findings = await likely_duplicates(actor, match_record(row), exclude=customer_id)
    outcome = judge_save(findings, row["owner"], actor, check)
    if outcome in ("no_duplicates", "left_for_review"):
        return
    for finding in findings:
        await remember_distinct(actor, customer_id, finding.id, outcome)
    await audit.record(
        actor,
        "duplicate_override" if outcome == "overridden" else "duplicate_confirmed",
        "customer",
        customer_id,
        after={"duplicates": [f.id for f in findings], "reason": check.reason or None},
    )


@dataclass(frozen=True)
class InputCheck:
    """Check-as-you-type: what the form has so far."""

    name: str = ""
    kind: str | None = None
    phone: str | None = None
    email: str | None = None
    region: str | None = None
    address: str | None = None
    exclude_id: uuid.UUID | None = None  # the record being edited


async def find_for_input(actor: Actor, data: InputCheck, phone_region: str) -> dict[str, Any]:
    """Likely duplicates of a record being typed, and what saving it would answer
    (`code`: None, or the 409 code with its `owner`)."""
    probe = MatchRecord.from_input(
        "", data.kind, data.name, data.phone, data.email, data.region, data.address, phone_region
    )
    if not (probe.key or probe.phone or probe.email):
        return {"code": None, "duplicates": []}
    owner = actor.id
    if data.exclude_id is not None:
        editing = (
            await Customer.select(Customer.owner)
            .where(visible_to(actor) & (Customer.id == data.exclude_id))
            .first()
        )
        if editing is None:
            raise NotFound("customer")
        owner = editing["owner"]
    findings = await likely_duplicates(actor, probe, exclude=data.exclude_id)
    try:
        judge_save(findings, owner, actor, DuplicateCheck())
    except Conflict as exc:
        return {"code": exc.code, **exc.params}
    return {"code": None, "duplicates": []}


async def likely_duplicates(
    actor: Actor, probe: MatchRecord, exclude: uuid.UUID | None = None
) -> list[Finding]:
    """Live customers scoring at least LIKELY_SCORE against `probe`, best first, except
    pairs someone already said are different customers."""
    rows = await _candidate_rows(probe, exclude)
    if not rows:
        return []
    distinct = await _distinct_partners(exclude) if exclude else set()
    common = _name_stats(probe, rows)
    found = []
    for row in rows:
        if str(row["id"]) in distinct:
            continue
        other = match_record(row)
        result = score(probe, other, common if other.key == probe.key else None)
        if result.value >= LIKELY_SCORE:
            found.append((row, result))
    found.sort(key=lambda item: (-item[1].value, str(item[0]["id"])))
    found = found[:FINDINGS_SHOWN]
    visible = await _visible_ids(actor, [row["id"] for row, _ in found])
    return [
        Finding(
            str(row["id"]),
            row["name"],
            row["owner"],
            row["owner_name"],
            row["id"] in visible,
            result.value,
            result.reasons,
        )
        for row, result in found
    ]


async def _candidate_rows(probe: MatchRecord, exclude: uuid.UUID | None) -> list[dict]:
    """Rows that could score as duplicates: equal phone, email or name key, the key with or
    without a leading place, and (long keys) the same start or end — one indexed query."""
    conditions = []
    if probe.key:
        conditions += [
            Customer.name_key == probe.key,
            Customer.name_key == probe.core,
            Customer.name_key.like(f"%{probe.key}"),
        ]
        affix = _AFFIX[probe.han]
        if len(probe.key) >= affix + 2:
            conditions += [
                Customer.name_key.like(f"{probe.key[:affix]}%"),
                Customer.name_key.like(f"%{probe.key[-affix:]}"),
            ]
    if probe.phone:
        conditions.append(Customer.phone == probe.phone)
    if probe.email:
        conditions.append(Customer.email == probe.email)
    if not conditions:
        return []
    where = Customer.deleted.eq(False) & functools.reduce(operator.or_, conditions)
    if exclude is not None:
        where &= Customer.id != exclude
    return await (
        Customer.select(*_MATCH_COLUMNS, Customer.owner.display_name.as_alias("owner_name"))
        .where(where)
        .limit(CANDIDATE_LIMIT)
    )


def _name_stats(probe: MatchRecord, rows: list[dict]) -> NameStats:
    same = [row for row in rows if row["name_key"] == probe.key]
    regions = {row["region_code"] for row in same if row["region_code"]}
    if probe.region:
        regions.add(probe.region)
    return NameStats(records=len(same) + 1, regions=max(1, len(regions)))


async def _distinct_partners(customer_id: uuid.UUID) -> set[str]:
    rows = await ReviewItem.select(ReviewItem.customer_a, ReviewItem.customer_b).where(
        (ReviewItem.status == "distinct")
        & ((ReviewItem.customer_a == customer_id) | (ReviewItem.customer_b == customer_id))
    )
    pairs = ((r["customer_a"], r["customer_b"]) for r in rows)
    return {str(b if a == customer_id else a) for a, b in pairs}


async def _visible_ids(actor: Actor, ids: list[Any]) -> set[Any]:
    if not ids:
        return set()
    rows = await Customer.select(Customer.id).where(visible_to(actor) & Customer.id.is_in(ids))
    return {row["id"] for row in rows}


# ---- CSV import ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowDuplicate:
    """A likely duplicate of an import row: an existing customer or an earlier row."""

    row: int
    by: str  # the strongest agreeing field: phone | email | name | address
    value: str
    score: float
    existing: Finding | None = None
    earlier_row: int | None = None


async def import_duplicates(
    actor: Actor, rows: Sequence[tuple[int, Mapping[str, Any]]]
) -> list[RowDuplicate]:
    """Likely duplicates of import rows (row number, column values as validated), against
    live customers sharing a phone, email or name key with some row, and against earlier rows
    of the file — one blocking + scoring pass over both, so a 50k-row file stays fast.
    An existing customer wins over an earlier row; the best score wins among each."""
    incoming = [_row_record(number, columns) for number, columns in rows]
    existing_rows = await _rows_sharing_keys(incoming)
    existing = {str(row["id"]): row for row in existing_rows}
    records = incoming + [match_record(row) for row in existing_rows]
    matches, _ = find_matches(records, LIKELY_SCORE)
    size = len(incoming)  # records: the file's rows first, in file order, then existing
    best: dict[int, tuple[tuple[bool, float], Match]] = {}
    for match in matches:
        if match.left >= size:
            continue  # two existing customers: the nightly job's business
        against_existing = match.right >= size
        mine = match.left if against_existing else match.right  # the later row repeats
        rank = (against_existing, match.score)
        if mine not in best or rank > best[mine][0]:
            best[mine] = (rank, match)
    visible = await _visible_ids(actor, [row["id"] for row in existing_rows])
    found = []
    for mine, (_, match) in sorted(best.items()):
        other = records[match.left if match.right == mine else match.right]
        found.append(_row_duplicate(records[mine], other, match, existing, visible))
    return found


def _row_record(number: int, columns: Mapping[str, Any]) -> MatchRecord:
    return MatchRecord.from_columns(
        f"row:{number}",
        columns.get("kind") or "company",
        columns.get("name") or "",
        columns.get("name_key"),
        columns.get("phone"),
        columns.get("email"),
        columns.get("region_code"),
        columns.get("address"),
    )


async def _rows_sharing_keys(records: list[MatchRecord]) -> list[dict[str, Any]]:
    found: dict[Any, dict[str, Any]] = {}
    lookups = (
        (Customer.phone, {r.phone for r in records if r.phone}),
        (Customer.email, {r.email for r in records if r.email}),
        (Customer.name_key, {k for r in records for k in (r.key, r.core) if k}),
    )
    for column, values in lookups:
        ordered = sorted(values)
        for start in range(0, len(ordered), IN_CHUNK):
            chunk = ordered[start : start + IN_CHUNK]
            rows = await Customer.select(
                *_MATCH_COLUMNS, Customer.owner.display_name.as_alias("owner_name")
            ).where(Customer.deleted.eq(False) & column.is_in(chunk))
            found.update((row["id"], row) for row in rows)
    return list(found.values())


def _row_duplicate(
    row: MatchRecord,
    other: MatchRecord,
    match: Match,
    existing: Mapping[str, dict[str, Any]],
    visible: set[Any],
) -> RowDuplicate:
    number = int(row.id.removeprefix("row:"))
    by = next((r for r in ("phone", "email", "name", "address") if r in match.reasons), "name")
    value = {"phone": row.phone, "email": row.email, "address": row.address}.get(by) or row.key
    if other.id.startswith("row:"):
        return RowDuplicate(number, by, value, match.score, earlier_row=int(other.id[4:]))
    stored = existing[other.id]
    finding = Finding(
        other.id,
        stored["name"],
        stored["owner"],
        stored["owner_name"],
        stored["id"] in visible,
        match.score,
        match.reasons,
    )
    return RowDuplicate(number, by, value, match.score, existing=finding)


async def follow_merges(customer_id: uuid.UUID) -> uuid.UUID:
    """The customer a merged-away id now lives on (itself when it was never merged), so an
    edit sent to the loser after a merge lands on the survivor instead of a tombstone."""
    for _ in range(10):  # merges chain rarely; a cycle is impossible but stay bounded
        row = (
            await Customer.select(Customer.merged_into, Customer.deleted)
            .where(Customer.id == customer_id)
            .first()
        )
        if row is None or row["merged_into"] is None or not row["deleted"]:
            return customer_id
        customer_id = row["merged_into"]
    return customer_id


async def merged_history_ids(customer_id: uuid.UUID) -> list[str]:
    """The customer's id and those of the records merged into it (and into those), whose
    audit trails belong to its history."""
    ids, frontier = [customer_id], [customer_id]
    while frontier and len(ids) < CANDIDATE_LIMIT:
        rows = await Customer.select(Customer.id).where(Customer.merged_into.is_in(frontier))
        frontier = [row["id"] for row in rows if row["id"] not in ids]
        ids += frontier
    return [str(i) for i in ids]


# ---- the nightly job -----------------------------------------------------------------------


@dataclass
class _Population:
    """Every live customer as matching sees it, plus what the job needs beside the keys."""

    records: list[MatchRecord] = field(default_factory=list)
    owners: list[int | None] = field(default_factory=list)
    created: list[dt.datetime] = field(default_factory=list)

    def rank(self, index: int) -> tuple[dt.datetime, str]:
        # The oldest record anchors a cluster and survives its merge.
        return self.created[index], self.records[index].id


async def run_nightly_dedup(engine: Engine, now: dt.datetime, dry_run: bool = False) -> dict:
    """Score all live customers; auto-merge same-owner clusters at or above
    AUTO_MERGE_SCORE; queue the other likely pairs for review. Returns the run's figures
    (`dry_run`: figures only, nothing merged or queued)."""
    started = time.monotonic()
    population = await _load_population()
    distinct = await _judged_pairs(("distinct",))
    matches, stats = find_matches(population.records, LIKELY_SCORE)
    ids = [record.id for record in population.records]
    matches = [m for m in matches if frozenset((ids[m.left], ids[m.right])) not in distinct]
    same_owner = [m for m in matches if population.owners[m.left] == population.owners[m.right]]
    clusters = cluster(population.records, same_owner, AUTO_MERGE_SCORE, rank=population.rank)
    summary = {
        "records": len(ids),
        "candidate_pairs": stats.candidate_pairs,
        "scored_pairs": stats.scored,
        "likely_pairs": len(matches),
        "auto_clusters": len(clusters),
        "auto_merged": 0,
        "skipped": 0,
        "queued": 0,
        "dry_run": dry_run,
    }
    if not dry_run:
        run = await DedupRun.insert(DedupRun(started_at=now, records=len(ids)))
        run_id = run[0]["id"]
        survivor_of = await _merge_clusters(engine, population, clusters, matches, run_id, summary)
        summary["queued"] = await _queue_for_review(matches, ids, survivor_of, now)
        summary["stale"] = await _close_stale_items(now)
        await DedupRun.update(
            {
                DedupRun.finished_at: dt.datetime.now(dt.UTC),
                DedupRun.candidate_pairs: summary["candidate_pairs"],
                DedupRun.likely_pairs: summary["likely_pairs"],
                DedupRun.auto_merged: summary["auto_merged"],
                DedupRun.queued: summary["queued"],
                DedupRun.skipped: summary["skipped"],
            }
        ).where(DedupRun.id == run_id)
        summary["run_id"] = run_id
    summary["seconds"] = round(time.monotonic() - started, 2)
    log.info("nightly dedup: %s", summary)
    return summary


async def _load_population() -> _Population:
    """All live customers, in batches by id (keyset paging keeps memory flat in the DB)."""
    population = _Population()
    last: uuid.UUID | None = None
    while True:
        query = Customer.select(*_MATCH_COLUMNS, Customer.created_at).where(
            Customer.deleted.eq(False)
        )
        if last is not None:
            query = query.where(Customer.id > last)
        batch = await query.order_by(Customer.id).limit(LOAD_BATCH)
        for row in batch:
            population.records.append(match_record(row))
            population.owners.append(row["owner"])
            population.created.append(row["created_at"])
        if len(batch) < LOAD_BATCH:
            return population
        last = batch[-1]["id"]


async def _judged_pairs(statuses: tuple[str, ...]) -> set[frozenset[str]]:
    rows = await ReviewItem.select(ReviewItem.customer_a, ReviewItem.customer_b).where(
        ReviewItem.status.is_in(list(statuses))
    )
    return {frozenset((str(r["customer_a"]), str(r["customer_b"]))) for r in rows}


async def _merge_clusters(
    engine: Engine,
    population: _Population,
    clusters: list[list[int]],
    matches: list[Match],
    run_id: int,
    summary: dict[str, Any],
) -> dict[str, str]:
    """Merge each cluster into its anchor; returns loser id → survivor id."""
    scores = {(m.left, m.right): m.score for m in matches}
    survivor_of: dict[str, str] = {}
    for members in clusters:
        anchor, *losers = members
        for loser in losers:
            request = MergeRequest(
                uuid.UUID(population.records[anchor].id),
                uuid.UUID(population.records[loser].id),
                "auto",
                score=scores.get((min(anchor, loser), max(anchor, loser))),
                min_score=AUTO_MERGE_SCORE,
                run_id=run_id,
            )
            try:
                merged = await merge_customers(engine, None, request)
            except (NotFound, Conflict):
                merged = None  # deleted or merged meanwhile
            if merged is None:
                summary["skipped"] += 1
                continue
            summary["auto_merged"] += 1
            survivor_of[population.records[loser].id] = population.records[anchor].id
    return survivor_of


async def _queue_for_review(
    matches: list[Match], ids: list[str], survivor_of: Mapping[str, str], now: dt.datetime
) -> int:
    """A review item per likely pair not merged tonight and not already queued or judged."""
    known = await _judged_pairs(("pending", "distinct"))
    queued = 0
    for match in sorted(matches, key=lambda m: -m.score):
        a = survivor_of.get(ids[match.left], ids[match.left])
        b = survivor_of.get(ids[match.right], ids[match.right])
        pair = frozenset((a, b))
        if a == b or pair in known:
            continue
        known.add(pair)
        first, second = ordered_pair(a, b)
        await ReviewItem(
            customer_a=first,
            customer_b=second,
            score=match.score,
            reasons=list(match.reasons),
            created_at=now,
        ).save()
        queued += 1
    return queued


async def _close_stale_items(now: dt.datetime) -> int:
    """Pending items whose records were deleted or merged since are not questions any more."""
    gone = Customer.select(Customer.id).where(Customer.deleted.eq(True))
    stale = (ReviewItem.status == "pending") & (
        ReviewItem.customer_a.is_in(gone) | ReviewItem.customer_b.is_in(gone)
    )
    count = await ReviewItem.count().where(stale)
    if count:
        await ReviewItem.update({ReviewItem.status: "stale", ReviewItem.decided_at: now}).where(
            stale
        )
    return count
