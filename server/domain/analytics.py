"""Definitions behind the managers' analytics: who sees whose numbers, periods, quarters,
and the exact meaning of each figure. Pure rules; server/services/analytics.py runs the SQL.

Figures (every one filtered by team / rep / region; "the period" is [start, end)):
- Funnel: of the deals created in the period, how many reached each stage (a deal that
  skipped a stage counts as having passed it; lost is not a step), and conversion to the
  next stage = reached(next) / reached(this).
- Dwell: average time in a stage over the completed stays that ended in the period (entry =
  the latest move into the stage before the move out).
- Win rate = won / (won + lost) over deals closed in the period; average sales cycle =
  mean(closed_at - created_at) and average deal size = mean(amount), both over those won.
- Forecast for the quarter of `now` (business time zone): amount won in the quarter plus
  the open deals expected to close in it weighted by probability (the deal's, else its
  stage's default). Open deals past their expected close date are not counted.
- Rep activity: visits and calls in the period per rep and per week; of the follow-ups
  falling due in the period (up to now), the share done (completion) and the share not
  done by their due time — done late or still open (overdue).
- Data quality (live, unarchived customers, as of now): completeness = filled fields of
  COMPLETENESS_FIELDS / (customers × fields); duplicates = customers whose phone or email
  exactly equals another live customer's; stale = last contact (else creation) older than
  the grade's cadence (A 3 / B 7 / C 30 days by default).
- Customer value (RFM over non-draft contracts started by now): recency = latest contract
  start date, frequency = number of contracts, monetary = their total amount; each scored
  1-5 by quintile (5 = most recent / most / largest): with the n values sorted ascending,
  the values at ranks ceil(n·i/5), i = 1..4, are the cuts, and a value scores 1 plus the
  number of cuts it is above (ties score alike, so with few or equal values a quintile
  may stay empty).
- Churn risk (customers with a non-draft contract): no contact for more than
  CHURN_SILENT_DAYS, or falling activity — fewer than half as many activities in the last
  30 days as in the 30 before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from server.domain.access import Actor
from server.domain.errors import FieldError, Forbidden, ValidationFailed
from server.domain.schedule import TimeZoneLike, local_date, start_of_local_day

DEFAULT_PERIOD_DAYS = 90
COMPLETENESS_FIELDS = ("phone", "email", "region_code", "address", "industry", "size", "source")
CHURN_SILENT_DAYS = 60
ACTIVITY_WINDOW_DAYS = 30
FALLING_RATIO = 0.5  # recent window below half of the previous one counts as falling
ACTIVITY_KINDS = ("visit", "call")


@dataclass(frozen=True)
class Scope:
    """Whose numbers: None = no restriction on that dimension."""

    team_id: int | None = None
    rep_id: int | None = None
    region: str | None = None  # region code; subregions included


def scope_for(actor: Actor, team_id: int | None, rep_id: int | None, region: str | None) -> Scope:
    """Admins see anything; managers their own team; reps only their own numbers. Asking
    for more is refused rather than silently narrowed, so a chart never lies about scope."""
    if actor.is_admin:
        return Scope(team_id, rep_id, region)
    if team_id is not None and team_id != actor.team_id:
        raise Forbidden("analytics.other_team")
    if actor.role == "manager":
        if actor.team_id is None:
            raise Forbidden("analytics.other_team")
        return Scope(actor.team_id, rep_id, region)
    if rep_id is not None and rep_id != actor.id:
        raise Forbidden("analytics.other_rep")
    return Scope(team_id, actor.id, region)


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime

    @property
    def weeks(self) -> float:
        return (self.end - self.start).total_seconds() / (7 * 86400)


def period_for(
    start_day: dt.date | None, end_day: dt.date | None, now: dt.datetime, zone: TimeZoneLike
) -> Period:
    """Whole local days: `from` at its start through the end of `to` (inclusive). Without
    `to` the period ends now; without `from` it spans DEFAULT_PERIOD_DAYS before its end."""
    end = start_of_local_day(end_day + dt.timedelta(days=1), zone) if end_day else now
    start = (
        start_of_local_day(start_day, zone)
        if start_day
        else end - dt.timedelta(days=DEFAULT_PERIOD_DAYS)
    )
    if start >= end:
        raise ValidationFailed([FieldError("from", "analytics.period.invalid")])
    return Period(start, end)


def quarter_of(now: dt.datetime, zone: TimeZoneLike) -> tuple[dt.date, dt.date]:
    """First day of the local quarter containing `now` and first day of the next one."""
    today = local_date(now, zone)
    first_month = 3 * ((today.month - 1) // 3) + 1
    start = dt.date(today.year, first_month, 1)
    next_start = (
        dt.date(today.year + 1, 1, 1)
        if first_month == 10
        else dt.date(today.year, first_month + 3, 1)
    )
    return start, next_start


def ratio(part: float, whole: float) -> float | None:
    """part / whole rounded to 4 places; None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None
