"""The public pool (公海): listing and claiming unowned leads, releasing them back, the
pool settings, and the nightly stale-lead cleanup.

What a rep sees of a pool lead is deliberately thin (POOL_FIELDS): enough to judge and
recognise it — name, region, industry, size, grade, source, stage, dates, the last four
digits of the phone — but no phone number, email, address, notes, tags or custom fields.
Otherwise the pool would be a free address book and the claim limits would mean nothing.

The pool is shared by everyone, except leads a rule placed into one team's share of it
(Customer.team set, owner empty), which only that team sees. Releasing a lead — by hand or
by the stale-lead cleanup — puts it into the shared pool.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import Where
from piccolo.engine.base import Engine

from server.db.engine import write_transaction
from server.db.tables import Activity, Customer, Deal, FollowUp, OwnerChange, Setting, User
from server.domain.access import Actor
from server.domain.assignment import (
    LATE_DEAL_STAGES,
    PoolSettings,
    mask_phone,
    parse_settings,
    stale_cutoffs,
)
from server.domain.clock import utcnow
from server.domain.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidValue,
    NotFound,
    ValidationFailed,
)
from server.domain.normalize import clean_text, normalize_industry
from server.domain.regions import normalize_region
from server.domain.schedule import local_day_bounds
from server.services import audit
from server.services.assignment import pool_leads_of
from server.services.notifications import notify
from server.services.ownership import Move, apply_moves, stamp
from server.services.scope import require_visible
from server.services.sequence import lock_writes

log = logging.getLogger("fieldcrm.pool")

SETTINGS_KEY = "assignment.pool"
MAX_PAGE_SIZE = 100
POOL_FIELDS = (
    Customer.id,
    Customer.kind,
    Customer.name,
    Customer.region_code,
    Customer.industry,
    Customer.size,
    Customer.grade,
    Customer.lifecycle,
    Customer.source,
    Customer.phone,  # masked before it leaves the service
    Customer.team,
    Customer.created_at,
    Customer.last_contact_at,
)


# ---- settings ------------------------------------------------------------------------------


async def load_settings() -> PoolSettings:
    row = await Setting.select(Setting.value).where(Setting.key == SETTINGS_KEY).first()
    stored = row["value"] if row else None
    stored = json.loads(stored) if isinstance(stored, str) else stored
    try:
        return parse_settings(stored or {})
    except (
        ValidationFailed
    ):  # only valid settings are saved; a hand-edited row must not break claims
        log.warning("ignoring invalid pool settings %r", stored)
        return PoolSettings()


async def update_settings(engine: Engine, actor: Actor, changes: dict[str, Any]) -> PoolSettings:
    async with write_transaction(engine):
        current = await load_settings()
        updated = parse_settings(changes, current)
        value = json.dumps(updated.to_json(), ensure_ascii=False)
        if await Setting.exists().where(Setting.key == SETTINGS_KEY):
            await Setting.update({Setting.value: value}).where(Setting.key == SETTINGS_KEY)
        else:
            await Setting.insert(Setting(key=SETTINGS_KEY, value=value))
        before, after = audit.changed_fields(current.to_json(), updated.to_json())
        await audit.record(actor, "update", "setting", SETTINGS_KEY, before=before, after=after)
    return updated


# ---- listing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolFilter:
    q: str | None = None
    region: str | None = None
    industry: str | None = None
    grade: str | None = None


def _filter_where(actor: Actor, flt: PoolFilter) -> Where | Any:
    where = pool_leads_of(actor)
    if flt.q:
        needle = clean_text(flt.q).replace("%", "").replace("_", "")
        where &= Customer.name_key.like(f"%{needle.casefold()}%") | Customer.name.like(
            f"%{needle}%"
        )
    if flt.region:
        code = _normalized("region", flt.region, normalize_region)
        where &= (Customer.region_code == code) | Customer.region_code.like(f"{code}-%")
    if flt.industry:
        where &= Customer.industry == _normalized("industry", flt.industry, normalize_industry)
    if flt.grade:
        where &= Customer.grade == flt.grade.strip().upper()
    return where


def _normalized(field: str, raw: str, normalize: Any) -> str:
    try:
        return normalize(raw)
    except InvalidValue as exc:
        raise ValidationFailed([FieldError(field, exc.code)]) from exc


def pool_item(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "phone": mask_phone(row["phone"])}


async def list_pool(
    actor: Actor, flt: PoolFilter, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    where = _filter_where(actor, flt)
    per_page = max(1, min(per_page, MAX_PAGE_SIZE))
    rows = (
        await Customer.select(*POOL_FIELDS)
        .where(where)
        .order_by(Customer.created_at, ascending=False)
        .order_by(Customer.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    return [pool_item(row) for row in rows], await Customer.count().where(where)


# ---- claiming ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimAllowance:
    claimed_today: int
    daily_limit: int  # 0 = no limit
    owned: int
    total_limit: int  # 0 = no cap

    def refusal(self) -> Conflict | None:
        if self.daily_limit and self.claimed_today >= self.daily_limit:
            return Conflict("pool.daily_limit_reached", limit=self.daily_limit)
        if self.total_limit and self.owned >= self.total_limit:
            return Conflict("pool.total_limit_reached", limit=self.total_limit)
        return None


async def claim_allowance(
    actor: Actor, settings: PoolSettings, now: dt.datetime | None = None
) -> ClaimAllowance:
    """Claims today (the rep's own local day) and customers owned, against the limits."""
    user = await User.select(User.timezone).where(User.id == actor.id).first()
    day_start, _ = local_day_bounds(now or utcnow(), user["timezone"] if user else None)
    claimed_today = await OwnerChange.count().where(
        (OwnerChange.to_owner == actor.id)
        & (OwnerChange.reason == "claim")
        & (OwnerChange.changed_at >= day_start)
    )
    owned = await Customer.count().where(
        (Customer.owner == actor.id) & Customer.deleted.eq(False) & Customer.archived_at.is_null()
    )
    return ClaimAllowance(
        claimed_today, settings.claim_daily_limit, owned, settings.claim_total_limit
    )


async def claim(
    engine: Engine, actor: Actor, customer_id: uuid.UUID, now: dt.datetime | None = None
) -> None:
    """Take a pool lead. Of two reps claiming the same lead at once exactly one wins: the
    UPDATE only matches while the owner is empty, and the loser's matches no row."""
    now = now or utcnow()
    async with write_transaction(engine):
        await lock_writes()  # also makes the limit check and the claim one step per rep
        lead = (
            await Customer.select(Customer.id, Customer.name, Customer.team)
            .where(pool_leads_of(actor) & (Customer.id == customer_id))
            .first()
        )
        if lead is None:
            raise await _why_not_claimable(customer_id)
        settings = await load_settings()
        refusal = (await claim_allowance(actor, settings, now)).refusal()
        if refusal is not None:
            raise refusal
        protected_until = _protection_end(settings, now)
        move = Move(
            customer_id, None, actor.id, actor.team_id, from_team=lead["team"], reason="claim"
        )
        extra = {Customer.claimed_at: now, Customer.protected_until: protected_until}
        if not await apply_moves([move], actor.id, now, extra):
            raise Conflict("pool.already_claimed")
        after = {"owner_id": actor.id, "protected_until": protected_until}
        await audit.record(actor, "claim", "customer", customer_id, after=after)


def _protection_end(settings: PoolSettings, now: dt.datetime) -> dt.datetime | None:
    if not settings.protection_days:
        return None
    return now + dt.timedelta(days=settings.protection_days)


async def _why_not_claimable(customer_id: uuid.UUID) -> Exception:
    """Someone got there first (409), or there is no such lead in this rep's pool (404)."""
    row = (
        await Customer.select(Customer.owner)
        .where((Customer.id == customer_id) & Customer.deleted.eq(False))
        .first()
    )
    if row is not None and row["owner"] is not None:
        return Conflict("pool.already_claimed")
    return NotFound("customer")


# ---- releasing -----------------------------------------------------------------------------


async def release(
    engine: Engine,
    actor: Actor,
    customer_id: uuid.UUID,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Back to the shared pool, by its owner, their manager or an admin (protection only
    guards against automatic moves, not against a person's decision)."""
    now = now or utcnow()
    async with write_transaction(engine):
        await lock_writes()
        row = await require_visible(actor, customer_id)
        owner = row["owner"]
        if owner is None:
            raise Conflict("pool.not_owned")
        if actor.role == "rep" and owner != actor.id:
            raise Forbidden("pool.release_not_owner")
        note = clean_text(note or "") or None
        reason = f"release: {note}" if note else "release"
        move = Move(customer_id, owner, None, None, from_team=row["team"], reason=reason)
        if not await apply_moves([move], actor.id, now):
            raise Conflict("pool.not_owned")  # ownership changed under us
        await audit.record(
            actor, "release", "customer", customer_id, before={"owner_id": owner}, detail=note
        )
        if owner != actor.id:
            params = {"name": row["name"], "by": actor.display_name}
            await notify([owner], "assignment", "pool.released_by_other", params, "/pool")


# ---- stale-lead cleanup --------------------------------------------------------------------

STALE_OUTCOME = {"release": "released", "low_priority": "low_priority", "archive": "archived"}


async def release_stale_leads(engine: Engine, now: dt.datetime) -> dict[str, int]:
    """The nightly cleanup. A customer is stale when, for N days (per grade), it had no
    contact (last_contact_at, activities), no follow-up created, done or still due, and no
    new owner. Stale customers go back to the pool, or are marked low priority or archived,
    as configured; their owners are told; every one is audited. Protected customers, and
    ones with an open proposal/negotiation deal (unless configured), are left alone."""
    settings = await load_settings()
    summary = {
        "checked_grades": 0,
        "released": 0,
        "low_priority": 0,
        "archived": 0,
        "owners_notified": 0,
    }
    cutoffs = stale_cutoffs(settings, now)
    summary["checked_grades"] = len(cutoffs)
    if not cutoffs or not settings.stale_lifecycles:
        return summary
    async with write_transaction(engine):
        await lock_writes()
        stale = [
            row
            for grade, cutoff in cutoffs.items()
            for row in await _stale(settings, grade, cutoff, now)
        ]
        done = await _act_on_stale(settings.stale_action, stale, now)
        summary[STALE_OUTCOME[settings.stale_action]] = len(done)
        summary["owners_notified"] = await _tell_owners(settings.stale_action, done, now)
    return summary


def _engaged_since(cutoff: dt.datetime, now: dt.datetime) -> Where | Any:
    """Customers someone worked on since `cutoff` (or has a follow-up still ahead)."""
    contacted = Activity.select(Activity.customer).where(Activity.occurred_at >= cutoff)
    followed = FollowUp.select(FollowUp.customer).where(
        FollowUp.deleted.eq(False)
        & (
            (FollowUp.created_at >= cutoff)
            | (FollowUp.done_at >= cutoff)
            | (FollowUp.done_at.is_null() & (FollowUp.due_at >= now))
        )
    )
    newly_owned = OwnerChange.select(OwnerChange.customer).where(OwnerChange.changed_at >= cutoff)
    return (
        Customer.id.is_in(contacted) | Customer.id.is_in(followed) | Customer.id.is_in(newly_owned)
    )


async def _stale(
    settings: PoolSettings, grade: str, cutoff: dt.datetime, now: dt.datetime
) -> list[dict[str, Any]]:
    where = (
        Customer.owner.is_not_null()
        & Customer.deleted.eq(False)
        & Customer.archived_at.is_null()
        & (Customer.grade == grade)
        & Customer.lifecycle.is_in(list(settings.stale_lifecycles))
        & (Customer.created_at < cutoff)
        & (Customer.last_contact_at.is_null() | (Customer.last_contact_at < cutoff))
        & (Customer.protected_until.is_null() | (Customer.protected_until <= now))
    )
    if settings.stale_action == "low_priority":
        where &= Customer.low_priority.eq(False)
    if not settings.stale_include_late_deals:
        late = Deal.select(Deal.customer).where(
            Deal.stage.is_in(list(LATE_DEAL_STAGES)) & Deal.deleted.eq(False)
        )
        where &= Customer.id.not_in(late)
    rows = await Customer.select(Customer.id, Customer.name, Customer.owner, Customer.team).where(
        where
    )
    engaged = {
        row["id"]
        for row in await Customer.select(Customer.id).where(where & _engaged_since(cutoff, now))
    }
    return [row for row in rows if row["id"] not in engaged]


async def _act_on_stale(
    action: str, stale: Sequence[dict[str, Any]], now: dt.datetime
) -> list[dict[str, Any]]:
    """Apply the action; returns the customers it was applied to, each audited."""
    if action == "release":
        moves = [
            Move(row["id"], row["owner"], None, None, from_team=row["team"], reason="stale")
            for row in stale
        ]
        moved = {move.customer_id for move in await apply_moves(moves, None, now)}
        done = [row for row in stale if row["id"] in moved]
    else:
        column = Customer.low_priority if action == "low_priority" else Customer.archived_at
        value = True if action == "low_priority" else now
        ids = [row["id"] for row in stale]
        changed = await stamp(Customer, ids, {column: value, Customer.updated_at: now})
        done = [row for row in stale if row["id"] in changed]
    for row in done:
        before = {"owner_id": row["owner"]}
        await audit.record(None, f"stale_{action}", "customer", row["id"], before=before)
    return done


async def _tell_owners(action: str, done: Sequence[dict[str, Any]], now: dt.datetime) -> int:
    """One notification per owner per night, however often the job runs."""
    by_owner: dict[int, list[str]] = defaultdict(list)
    for row in done:
        by_owner[row["owner"]].append(row["name"])
    for owner, names in by_owner.items():
        params = {"count": len(names), "names": "、".join(names[:5])}
        key = f"stale:{action}:{now.date().isoformat()}"
        await notify([owner], "stale_release", f"pool.stale_{action}", params, "/customers", key)
    return len(by_owner)
