"""Managers' analytics, computed in SQL (GROUP BY, subqueries, no window functions) so the
same query runs on PostgreSQL and SQLite and only aggregates travel to Python.

What each figure means is defined in server/domain/analytics.py. Every function takes a
`Scope` (already checked against the actor by `domain.analytics.scope_for`) and returns a
`Report`: ordered column names and rows, which the API sends as JSON or CSV.

Queries are Piccolo raw queries built from `QueryString` pieces: every value that comes from
a request or the database, and every engine-specific snippet, is a `{}` argument, so the
templates hold only our own column names and constants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from piccolo.querystring import QueryString

from server.db.tables import Deal, Team, User
from server.domain.analytics import (
    ACTIVITY_KINDS,
    ACTIVITY_WINDOW_DAYS,
    CHURN_SILENT_DAYS,
    COMPLETENESS_FIELDS,
    FALLING_RATIO,
    Period,
    Scope,
    quarter_of,
    ratio,
)
from server.domain.clock import utcnow  # noqa: F401 - the API reads the clock here; tests patch it
from server.domain.pipeline import LOST, WON
from server.domain.schedule import TimeZoneLike, start_of_local_day
from server.services.stages import load_pipeline

MAX_LIST_ROWS = 5000


@dataclass(frozen=True)
class Report:
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)


# ---- SQL building --------------------------------------------------------------------------


def q(template: str, *args: Any) -> QueryString:
    return QueryString(template, *args)


def _is_postgres() -> bool:
    return Deal._meta.db.engine_type == "postgres"


def epoch(column: str) -> QueryString:
    """Seconds since 1970 of a timestamp expression (whole seconds on SQLite)."""
    if _is_postgres():
        return q(f"EXTRACT(EPOCH FROM {column})")
    return q(f"CAST(strftime('%s', {column}) AS INTEGER)")


def at(moment: dt.datetime) -> QueryString:
    """A timestamp argument; typed on PostgreSQL, where CASE branches cannot infer it."""
    return q("CAST({} AS TIMESTAMPTZ)" if _is_postgres() else "{}", moment)


def on_day(day: dt.date) -> QueryString:
    return q("CAST({} AS DATE)" if _is_postgres() else "{}", day)


def all_of(conditions: list[QueryString]) -> QueryString:
    if not conditions:
        return q("1 = 1")
    return q(" AND ".join(["({})"] * len(conditions)), *conditions)


def scope_sql(
    scope: Scope,
    owner: str,
    customer: str | None = None,
    team: str | None = None,
    region: str | None = None,
) -> QueryString:
    """The scope as a condition on a query's columns. `owner` is the rep column; `team` a
    team column if the table has one (else the owner's team is looked up); `region` a region
    column, else the region of the `customer` column's customer."""
    conditions = []
    if scope.rep_id is not None:
        conditions.append(q(f"{owner} = {{}}", scope.rep_id))
    if scope.team_id is not None:
        conditions.append(
            q(f"{team} = {{}}", scope.team_id)
            if team
            else q(f"{owner} IN (SELECT id FROM app_user WHERE team = {{}})", scope.team_id)
        )
    if scope.region and (region or customer):
        in_region = "{} = {} OR {} LIKE {}"
        column = q(region) if region else q("region_code")
        matches = q(in_region, column, scope.region, column, scope.region + "-%")
        conditions.append(
            matches if region else q(f"{customer} IN (SELECT id FROM customer WHERE {{}})", matches)
        )
    return all_of(conditions)


async def run(template: str, *args: Any) -> list[dict[str, Any]]:
    if not _is_postgres():
        return await Deal.raw(template, *args)
    # PostgreSQL's JIT compiles these plans for longer (0.1-0.6 s) than they take to run.
    async with Deal._meta.db.transaction():
        await Deal.raw("SET LOCAL jit = off")
        return await Deal.raw(template, *args)


def number(value: Any, places: int = 2) -> float | None:
    """SQL aggregates come back as int, float (SQLite) or Decimal (PostgreSQL)."""
    return None if value is None else round(float(value), places)


def as_datetime(value: Any) -> dt.datetime | None:
    """Raw SQLite results give timestamps as text."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


_LIVE_DEAL = "d.deleted = false"
# A merged-away customer is a tombstone (deleted), so `deleted` covers merges too.
_LIVE_CUSTOMER = "c.deleted = false AND c.archived_at IS NULL"


# ---- funnel: conversion and dwell per stage ------------------------------------------------


async def funnel(scope: Scope, period: Period, lang: str) -> Report:
    pipeline = await load_pipeline()
    reached = {r["stage"]: int(r["reached"]) for r in await _reached_by_stage(scope, period)}
    dwell = {r["stage"]: r for r in await _dwell_by_stage(scope, period)}
    steps = [s for s in pipeline.stages if s.key != LOST]
    rows = []
    for stage, following in zip(steps, [*steps[1:], None], strict=True):
        count = reached.get(stage.key, 0)
        stays = dwell.get(stage.key, {})
        rows.append(
            {
                "stage": stage.key,
                "stage_name": stage.name(lang),
                "reached": count,
                "next_stage": following.key if following else None,
                "conversion_to_next": (
                    ratio(reached.get(following.key, 0), count) if following else None
                ),
                "completed_stays": int(stays.get("stays") or 0),
                "avg_dwell_days": number(_days(stays.get("avg_seconds")), 2),
                "expected_days": None if stage.closed else stage.expected_days,
            }
        )
    return Report(tuple(rows[0]) if rows else (), rows)


def _days(seconds: Any) -> float | None:
    return None if seconds is None else float(seconds) / 86400


async def _reached_by_stage(scope: Scope, period: Period) -> list[dict[str, Any]]:
    """Per stage, the deals of the cohort whose furthest stage (lost aside) is at least it."""
    return await run(
        "SELECT s.key AS stage, COUNT(r.deal) AS reached"
        " FROM pipeline_stage s LEFT JOIN ("
        "   SELECT c.deal AS deal, MAX(ps.position) AS top"
        "   FROM deal_stage_change c"
        "   JOIN pipeline_stage ps ON ps.key = c.to_stage"
        "   JOIN deal d ON d.id = c.deal"
        "   WHERE ps.key <> {} AND d.created_at >= {} AND d.created_at < {} AND {} AND {}"
        "   GROUP BY c.deal"
        " ) r ON r.top >= s.position"
        " WHERE s.key <> {}"
        " GROUP BY s.key",
        LOST,
        at(period.start),
        at(period.end),
        q(_LIVE_DEAL),
        scope_sql(scope, "d.owner", customer="d.customer"),
        LOST,
    )


async def _dwell_by_stage(scope: Scope, period: Period) -> list[dict[str, Any]]:
    """Completed stays ending in the period: each move out of a stage (e) is paired with the
    latest earlier move into that stage (i) of the same deal — one index-only lookup each."""
    return await run(
        "SELECT stays.stage AS stage, COUNT(*) AS stays,"
        " AVG(stays.left_at - stays.entered_at) AS avg_seconds"
        " FROM ("
        "   SELECT e.from_stage AS stage, {} AS left_at, {} AS entered_at"
        "   FROM deal_stage_change e"
        "   WHERE e.from_stage IS NOT NULL AND e.changed_at >= {} AND e.changed_at < {}"
        "     AND e.deal IN (SELECT d.id FROM deal d WHERE {} AND {})"
        " ) stays"
        " GROUP BY stays.stage",
        epoch("e.changed_at"),
        epoch(
            "(SELECT MAX(i.changed_at) FROM deal_stage_change i"
            " WHERE i.deal = e.deal AND i.to_stage = e.from_stage AND i.id < e.id)"
        ),
        at(period.start),
        at(period.end),
        q(_LIVE_DEAL),
        scope_sql(scope, "d.owner", customer="d.customer"),
    )


# ---- summary: win rate, cycle, size, forecast ----------------------------------------------


async def summary(scope: Scope, period: Period, now: dt.datetime, zone: TimeZoneLike) -> Report:
    closed = (await _closed_deals(scope, period))[0]
    quarter_start, quarter_end = quarter_of(now, zone)
    forecast = (await _quarter_forecast(scope, quarter_start, quarter_end, zone))[0]
    won, lost = int(closed["won"] or 0), int(closed["lost"] or 0)
    won_in_quarter = number(forecast["won_amount"] or 0)
    weighted_open = number(float(forecast["weighted_percent"] or 0) / 100)
    row = {
        "deals_won": won,
        "deals_lost": lost,
        "win_rate": ratio(won, won + lost),
        "won_amount": number(closed["won_amount"] or 0),
        "avg_deal_size": number(closed["avg_size"]),
        "avg_sales_cycle_days": number(_days(closed["avg_cycle_seconds"])),
        "quarter_start": quarter_start,
        "quarter_end": quarter_end - dt.timedelta(days=1),
        "quarter_won_amount": won_in_quarter,
        "quarter_weighted_open": weighted_open,
        "quarter_forecast": number(won_in_quarter + weighted_open),
    }
    return Report(tuple(row), [row])


async def _closed_deals(scope: Scope, period: Period) -> list[dict[str, Any]]:
    won = q("d.stage = {}", WON)
    return await run(
        "SELECT SUM(CASE WHEN {} THEN 1 ELSE 0 END) AS won,"
        " SUM(CASE WHEN d.stage = {} THEN 1 ELSE 0 END) AS lost,"
        " SUM(CASE WHEN {} THEN d.amount ELSE 0 END) AS won_amount,"
        " AVG(CASE WHEN {} THEN d.amount END) AS avg_size,"
        " AVG(CASE WHEN {} THEN {} - {} END) AS avg_cycle_seconds"
        " FROM deal d"
        " WHERE d.stage IN ({}, {}) AND d.closed_at >= {} AND d.closed_at < {} AND {} AND {}",
        won,
        LOST,
        won,
        won,
        won,
        epoch("d.closed_at"),
        epoch("d.created_at"),
        WON,
        LOST,
        at(period.start),
        at(period.end),
        q(_LIVE_DEAL),
        scope_sql(scope, "d.owner", customer="d.customer"),
    )


async def _quarter_forecast(
    scope: Scope, start: dt.date, end: dt.date, zone: TimeZoneLike
) -> list[dict[str, Any]]:
    won_in_quarter = q(
        "d.stage = {} AND d.closed_at >= {} AND d.closed_at < {}",
        WON,
        at(start_of_local_day(start, zone)),
        at(start_of_local_day(end, zone)),
    )
    open_in_quarter = q(
        "s.closed = false AND d.expected_close >= {} AND d.expected_close < {}",
        on_day(start),
        on_day(end),
    )
    return await run(
        "SELECT SUM(CASE WHEN {} THEN d.amount ELSE 0 END) AS won_amount,"
        " SUM(CASE WHEN {} THEN d.amount * COALESCE(d.probability, s.probability) ELSE 0 END)"
        "   AS weighted_percent"
        " FROM deal d JOIN pipeline_stage s ON s.key = d.stage"
        " WHERE (d.stage = {} OR s.closed = false) AND {} AND {}",
        won_in_quarter,
        open_in_quarter,
        WON,
        q(_LIVE_DEAL),
        scope_sql(scope, "d.owner", customer="d.customer"),
    )


# ---- rep activity --------------------------------------------------------------------------


async def rep_activity(scope: Scope, period: Period, now: dt.datetime) -> Report:
    activity = {r["rep"]: r for r in await _activity_by_rep(scope, period)}
    follow_ups = {r["rep"]: r for r in await _follow_ups_by_rep(scope, period, now)}
    reps = await _reps(scope, {*activity, *follow_ups})
    weeks = period.weeks
    rows = []
    for rep in reps:
        acts, fus = activity.get(rep["id"], {}), follow_ups.get(rep["id"], {})
        visits, calls = int(acts.get("visits") or 0), int(acts.get("calls") or 0)
        due = int(fus.get("due") or 0)
        rows.append(
            {
                "rep_id": rep["id"],
                "rep_name": rep["display_name"],
                "team_id": rep["team"],
                "visits": visits,
                "calls": calls,
                "visits_per_week": number(visits / weeks),
                "calls_per_week": number(calls / weeks),
                "follow_ups_due": due,
                "follow_ups_done": int(fus.get("done") or 0),
                "follow_ups_overdue": int(fus.get("overdue") or 0),
                "completion_rate": ratio(int(fus.get("done") or 0), due),
                "overdue_rate": ratio(int(fus.get("overdue") or 0), due),
            }
        )
    return Report(_REP_ACTIVITY_COLUMNS, rows, {"weeks": number(weeks, 4)})


_REP_ACTIVITY_COLUMNS = (
    "rep_id",
    "rep_name",
    "team_id",
    "visits",
    "calls",
    "visits_per_week",
    "calls_per_week",
    "follow_ups_due",
    "follow_ups_done",
    "follow_ups_overdue",
    "completion_rate",
    "overdue_rate",
)


async def _activity_by_rep(scope: Scope, period: Period) -> list[dict[str, Any]]:
    visit, call = ACTIVITY_KINDS
    return await run(
        "SELECT a.author AS rep,"
        " SUM(CASE WHEN a.kind = {} THEN 1 ELSE 0 END) AS visits,"
        " SUM(CASE WHEN a.kind = {} THEN 1 ELSE 0 END) AS calls"
        " FROM activity a"
        " WHERE a.occurred_at >= {} AND a.occurred_at < {} AND a.kind IN ({}, {})"
        "   AND a.author IS NOT NULL AND {}"
        " GROUP BY a.author",
        visit,
        call,
        at(period.start),
        at(period.end),
        visit,
        call,
        scope_sql(scope, "a.author", customer="a.customer"),
    )


async def _follow_ups_by_rep(
    scope: Scope, period: Period, now: dt.datetime
) -> list[dict[str, Any]]:
    # Only follow-ups already due count: a future one is neither done late nor overdue yet.
    return await run(
        "SELECT f.owner AS rep, COUNT(*) AS due,"
        " SUM(CASE WHEN f.done_at IS NOT NULL THEN 1 ELSE 0 END) AS done,"
        " SUM(CASE WHEN f.done_at IS NULL OR f.done_at > f.due_at THEN 1 ELSE 0 END) AS overdue"
        " FROM follow_up f"
        " WHERE f.deleted = false AND f.due_at >= {} AND f.due_at < {}"
        "   AND f.owner IS NOT NULL AND {}"
        " GROUP BY f.owner",
        at(period.start),
        at(min(period.end, now)),
        scope_sql(scope, "f.owner", customer="f.customer"),
    )


async def _reps(scope: Scope, with_numbers: set[int]) -> list[dict[str, Any]]:
    """Active reps in scope, plus anyone else who has numbers (a manager's own visits)."""
    in_scope = User.active.eq(True) & (User.role == "rep")
    if scope.team_id is not None:
        in_scope &= User.team == scope.team_id
    if scope.rep_id is not None:
        in_scope &= User.id == scope.rep_id
    if scope.region:  # a region narrows to reps with activity there
        in_scope = User.id.is_in(list(with_numbers) or [-1])
    elif with_numbers:
        in_scope |= User.id.is_in(list(with_numbers))
    return (
        await User.select(User.id, User.display_name, User.team)
        .where(in_scope)
        .order_by(User.display_name)
    )


# ---- data quality --------------------------------------------------------------------------


async def data_quality(
    scope: Scope, now: dt.datetime, cadence_days: Mapping[str, int], group: str
) -> Report:
    """Per rep (group="rep") or per team (group="team")."""
    column = "c.team" if group == "team" else "c.owner"
    rows = []
    names = await _group_names(group)
    field_count = len(COMPLETENESS_FIELDS)
    for r in await _quality_by_group(scope, now, cadence_days, column):
        customers = int(r["customers"])
        key = r["grp"]
        rows.append(
            {
                f"{group}_id": key,
                f"{group}_name": names.get(key),
                "customers": customers,
                "completeness_rate": ratio(float(r["filled"] or 0), customers * field_count),
                "duplicates": int(r["duplicates"] or 0),
                "duplicate_rate": ratio(int(r["duplicates"] or 0), customers),
                "stale": int(r["stale"] or 0),
                "stale_rate": ratio(int(r["stale"] or 0), customers),
            }
        )
    rows.sort(key=lambda row: (row[f"{group}_name"] or "", row[f"{group}_id"] or 0))
    columns = (
        f"{group}_id",
        f"{group}_name",
        "customers",
        "completeness_rate",
        "duplicates",
        "duplicate_rate",
        "stale",
        "stale_rate",
    )
    meta = {"completeness_fields": list(COMPLETENESS_FIELDS), "cadence_days": dict(cadence_days)}
    return Report(columns, rows, meta)


async def _group_names(group: str) -> dict[int, str]:
    if group == "team":
        return {t["id"]: t["name"] for t in await Team.select(Team.id, Team.name)}
    return {u["id"]: u["display_name"] for u in await User.select(User.id, User.display_name)}


def _filled(column: str) -> str:
    return f"CASE WHEN c.{column} IS NOT NULL AND c.{column} <> '' THEN 1 ELSE 0 END"


def _duplicated(column: str, scoped: bool) -> str:
    """Another live customer has exactly this value. For a team or a rep, an index lookup
    per customer; over everyone, one pass listing the duplicated values is cheaper."""
    if scoped:
        return (
            f"(c.{column} <> '' AND EXISTS (SELECT 1 FROM customer o WHERE o.{column} ="
            f" c.{column} AND o.id <> c.id AND o.deleted = false))"
        )
    return (
        f"(c.{column} <> '' AND c.{column} IN (SELECT {column} FROM customer"
        f" WHERE deleted = false AND {column} IS NOT NULL"
        f" GROUP BY {column} HAVING COUNT(*) > 1))"
    )


def _stale_cutoff(now: dt.datetime, cadence_days: Mapping[str, int]) -> QueryString:
    """Per grade, the moment before which the last contact makes a customer stale; grades
    without a cadence (0 or absent) are never stale."""
    branches = [
        q("WHEN {} THEN {}", grade, at(now - dt.timedelta(days=days)))
        for grade, days in sorted(cadence_days.items())
        if days > 0
    ]
    if not branches:
        return q("NULL")
    return q("CASE c.grade " + " ".join(["{}"] * len(branches)) + " END", *branches)


async def _quality_by_group(
    scope: Scope, now: dt.datetime, cadence_days: Mapping[str, int], column: str
) -> list[dict[str, Any]]:
    filled = " + ".join(_filled(f) for f in COMPLETENESS_FIELDS)
    scoped = scope != Scope()
    duplicated = f"{_duplicated('phone', scoped)} OR {_duplicated('email', scoped)}"
    return await run(
        # "+ 0": SQLite would otherwise walk the whole owner/team index to skip a sort.
        f"SELECT {column} + 0 AS grp, COUNT(*) AS customers, SUM({filled}) AS filled,"
        f" SUM(CASE WHEN {duplicated} THEN 1 ELSE 0 END)"
        "   AS duplicates,"
        " SUM(CASE WHEN COALESCE(c.last_contact_at, c.created_at) < {} THEN 1 ELSE 0 END)"
        "   AS stale"
        f" FROM customer c WHERE {_LIVE_CUSTOMER} AND {{}}"
        " GROUP BY grp",
        _stale_cutoff(now, cadence_days),
        scope_sql(scope, "c.owner", team="c.team", region="c.region_code"),
    )


# ---- customer value (RFM) and churn risk ---------------------------------------------------


def _contracts_by_customer(scope: Scope, today: dt.date) -> QueryString:
    return q(
        "SELECT k.customer AS customer, c.name AS name, c.owner AS owner,"
        " MAX(k.start_date) AS last_date, COUNT(*) AS frequency,"
        " ROUND(SUM(k.amount), 2) AS monetary"
        " FROM contract k JOIN customer c ON c.id = k.customer"
        " WHERE k.status <> 'draft' AND k.start_date <= {} AND {} AND {}"
        " GROUP BY k.customer, c.name, c.owner",
        on_day(today),
        q(_LIVE_CUSTOMER),
        scope_sql(scope, "c.owner", team="c.team", region="c.region_code"),
    )


_RFM_MEASURES = (("r", "last_date"), ("f", "frequency"), ("m", "monetary"))
_CUTS = range(1, 5)  # the values closing quintiles 1-4


def _cut(key: str, column: str, i: int) -> str:
    """The value at 1-based rank ceil(n * i / 5) in ascending order (n = customers)."""
    offset = f"(SELECT CASE WHEN n = 0 THEN 0 ELSE (n * {i} + 4) / 5 - 1 END FROM size)"
    return f"(SELECT {column} FROM base ORDER BY {column} LIMIT 1 OFFSET {offset}) AS {key}{i}"


def _score(key: str, column: str) -> str:
    above = " + ".join(f"CASE WHEN b.{column} > k.{key}{i} THEN 1 ELSE 0 END" for i in _CUTS)
    return f"1 + {above} AS {key}_score"


# One statement: `base` (per-customer contract figures) is computed once and shared.
_RFM_SQL = (
    "WITH base AS ({}),"
    " size AS (SELECT COUNT(*) AS n FROM base),"
    " cuts AS (SELECT "
    + ", ".join(_cut(key, column, i) for key, column in _RFM_MEASURES for i in _CUTS)
    + ")"
    " SELECT * FROM ("
    "  SELECT b.customer AS customer, b.name AS name, b.owner AS owner,"
    "   u.display_name AS owner_name, b.last_date AS last_date, b.frequency AS frequency,"
    "   b.monetary AS monetary, "
    + ", ".join(_score(key, column) for key, column in _RFM_MEASURES)
    + "  FROM base b CROSS JOIN cuts k LEFT JOIN app_user u ON u.id = b.owner"
    " ) scored"
    " ORDER BY scored.r_score + scored.f_score + scored.m_score DESC, scored.monetary DESC,"
    " scored.customer"
    " LIMIT {}"
)


async def customer_value(scope: Scope, now: dt.datetime, limit: int) -> Report:
    """RFM per customer, best first. Quintile cuts (ties allowed): a value scores 1 plus the
    number of cuts it is above; see server/domain/analytics.py."""
    today = now.date()
    scored = await run(
        _RFM_SQL, _contracts_by_customer(scope, today), max(1, min(limit, MAX_LIST_ROWS))
    )
    columns = (
        "customer_id",
        "customer_name",
        "owner_id",
        "owner_name",
        "last_contract",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "rfm_score",
        "rfm_total",
    )
    return Report(columns, [_rfm_row(r, today) for r in scored])


def _rfm_row(r: dict[str, Any], today: dt.date) -> dict[str, Any]:
    last = as_date(r["last_date"])
    scores = (int(r["r_score"]), int(r["f_score"]), int(r["m_score"]))
    return {
        "customer_id": str(r["customer"]),
        "customer_name": r["name"],
        "owner_id": r["owner"],
        "owner_name": r["owner_name"],
        "last_contract": last,
        "recency_days": (today - last).days,
        "frequency": int(r["frequency"]),
        "monetary": number(r["monetary"]),
        "r_score": scores[0],
        "f_score": scores[1],
        "m_score": scores[2],
        "rfm_score": "".join(map(str, scores)),
        "rfm_total": sum(scores),
    }


def _paying_customers(scope: Scope) -> tuple[QueryString, QueryString, QueryString]:
    """FROM clause, extra condition and activity filter for the customers of `scope` with a
    non-draft contract. Over everyone it starts from the contracts; for a team or a rep from
    their customers, checking each for a contract (same rows, a plan each database likes)."""
    if scope == Scope():
        paying = "(SELECT DISTINCT k.customer AS id FROM contract k WHERE k.status <> 'draft')"
        return q(f"{paying} paying JOIN customer c ON c.id = paying.id"), q("1 = 1"), q("1 = 1")
    in_scope = scope_sql(scope, "c.owner", team="c.team", region="c.region_code")
    has_contract = (
        "EXISTS (SELECT 1 FROM contract k WHERE k.customer = c.id AND k.status <> 'draft')"
    )
    return (
        q("customer c"),
        q(f"{has_contract} AND {{}}", in_scope),
        q("a.customer IN (SELECT c.id FROM customer c WHERE {})", in_scope),
    )


async def churn_risk(scope: Scope, now: dt.datetime, limit: int) -> Report:
    """Paying customers (a non-draft contract) gone quiet or with falling activity."""
    window = dt.timedelta(days=ACTIVITY_WINDOW_DAYS)
    silent_since = now - dt.timedelta(days=CHURN_SILENT_DAYS)
    customers, condition, activity_filter = _paying_customers(scope)
    rows = await run(
        "SELECT * FROM ("
        " SELECT c.id AS customer, c.name AS name, c.owner AS owner,"
        "  u.display_name AS owner_name, c.grade AS grade,"
        "  COALESCE(c.last_contact_at, c.created_at) AS last_touch,"
        "  COALESCE(act.recent, 0) AS recent, COALESCE(act.previous, 0) AS previous"
        " FROM {}"
        " LEFT JOIN app_user u ON u.id = c.owner"
        " LEFT JOIN ("
        "  SELECT a.customer AS customer,"
        "   SUM(CASE WHEN a.occurred_at >= {} THEN 1 ELSE 0 END) AS recent,"
        "   SUM(CASE WHEN a.occurred_at < {} THEN 1 ELSE 0 END) AS previous"
        "  FROM activity a WHERE a.occurred_at >= {} AND a.occurred_at < {} AND {}"
        "  GROUP BY a.customer"
        " ) act ON act.customer = c.id"
        " WHERE {} AND {}"
        ") x WHERE x.last_touch < {} OR x.recent < x.previous * {}"
        " ORDER BY x.last_touch, x.customer LIMIT {}",
        customers,
        at(now - window),
        at(now - window),
        at(now - 2 * window),
        at(now),
        activity_filter,
        q(_LIVE_CUSTOMER),
        condition,
        at(silent_since),
        q(repr(float(FALLING_RATIO))),  # a literal: PostgreSQL would type a parameter as bigint
        max(1, min(limit, MAX_LIST_ROWS)),
    )
    columns = (
        "customer_id",
        "customer_name",
        "owner_id",
        "owner_name",
        "grade",
        "last_contact",
        "days_since_contact",
        "activities_recent",
        "activities_previous",
        "no_contact",
        "falling_activity",
    )
    return Report(columns, [_churn_row(r, now, silent_since) for r in rows])


def _churn_row(r: dict[str, Any], now: dt.datetime, silent_since: dt.datetime) -> dict[str, Any]:
    last = as_datetime(r["last_touch"])
    recent, previous = int(r["recent"]), int(r["previous"])
    return {
        "customer_id": str(r["customer"]),
        "customer_name": r["name"],
        "owner_id": r["owner"],
        "owner_name": r["owner_name"],
        "grade": r["grade"],
        "last_contact": last,
        "days_since_contact": (now - last).days,
        "activities_recent": recent,
        "activities_previous": previous,
        "no_contact": last < silent_since,
        "falling_activity": recent < previous * FALLING_RATIO,
    }
