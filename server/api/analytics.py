"""Managers' analytics routes: one GET per table, as JSON or (`?format=csv`) an audited CSV.

Common query parameters: team_id, rep_id, region, from, to (local dates, inclusive; default
the last 90 days). Admins see everything, managers their team, reps only their own numbers
(asking for someone else's is a 403). Definitions: server/domain/analytics.py.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter

from server.api.auth import current_actor
from server.api.state import Ctx, request_language
from server.domain.analytics import Period, Scope, period_for, scope_for
from server.domain.csv_format import to_csv_lines
from server.domain.schedule import DEFAULT_TIME_ZONE
from server.services import analytics, audit
from server.services.deals import region_code
from server.services.reminder_settings import load_reminder_settings

Format = Literal["json", "csv"]


@dataclass(frozen=True)
class Filters:
    scope: Scope
    period: Period
    now: dt.datetime
    lang: str
    format: Format
    requested: dict[str, Any]  # as asked, for the response and the export's audit row


async def analytics_filters(
    request: Request,
    team_id: FromQuery[int | None] = None,
    rep_id: FromQuery[int | None] = None,
    region: FromQuery[str | None] = None,
    from_: Annotated[dt.date | None, QueryParameter(name="from")] = None,
    to: FromQuery[dt.date | None] = None,
    format: FromQuery[Format] = "json",
) -> Filters:
    now = analytics.utcnow()
    scope = scope_for(current_actor(request), team_id, rep_id, region_code(region))
    asked = {"team_id": team_id, "rep_id": rep_id, "region": region, "from": from_, "to": to}
    requested = {
        k: v.isoformat() if isinstance(v, dt.date) else v for k, v in asked.items() if v is not None
    }
    period = period_for(from_, to, now, DEFAULT_TIME_ZONE)
    return Filters(scope, period, now, request_language(request), format, requested)


def to_csv(report: analytics.Report) -> str:
    """Header and rows; text that Excel would run as a formula is neutralized."""
    rows = [[_cell(row.get(column)) for column in report.columns] for row in report.rows]
    return "\ufeff" + to_csv_lines([list(report.columns), *rows])  # BOM: Excel reads UTF-8


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def respond(
    request: Request,
    name: str,
    report: analytics.Report,
    filters: Filters,
    as_of_now: bool = False,
) -> Response:
    """JSON, or with ?format=csv an audited CSV. `as_of_now`: a snapshot the period does
    not apply to (data quality, customer value, churn risk), so none is reported."""
    if filters.format == "csv":
        detail = json.dumps({"report": name, **filters.requested}, ensure_ascii=False)
        await audit.record(current_actor(request), "export", "analytics", detail=detail)
        stamp = filters.now.strftime("%Y%m%d-%H%M%S")
        return Response(
            to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'},
        )
    scope = filters.scope
    body = {
        "report": name,
        "filters": filters.requested,
        "scope": {"team_id": scope.team_id, "rep_id": scope.rep_id, "region": scope.region},
        "period": None if as_of_now else {"from": filters.period.start, "to": filters.period.end},
        "as_of": filters.now,
        "columns": list(report.columns),
        "rows": report.rows,
        **report.meta,
    }
    return Response(body, media_type=MediaType.JSON)


class AnalyticsController(Controller):
    path = "/api/analytics"
    tags = ["analytics"]
    dependencies = {"filters": Provide(analytics_filters)}

    @get("/funnel")
    async def funnel(self, request: Request, filters: NamedDependency[Filters]) -> Response:
        """Per stage: deals reached, conversion to the next stage, average dwell."""
        report = await analytics.funnel(filters.scope, filters.period, filters.lang)
        return await respond(request, "funnel", report, filters)

    @get("/summary")
    async def summary(self, request: Request, filters: NamedDependency[Filters]) -> Response:
        """Win rate, average sales cycle and deal size, and the quarter's weighted forecast."""
        report = await analytics.summary(
            filters.scope, filters.period, filters.now, DEFAULT_TIME_ZONE
        )
        return await respond(request, "summary", report, filters)

    @get("/activity")
    async def activity(self, request: Request, filters: NamedDependency[Filters]) -> Response:
        """Per rep: visits and calls (total, per week), follow-up completion and overdue."""
        report = await analytics.rep_activity(filters.scope, filters.period, filters.now)
        return await respond(request, "activity", report, filters)

    @get("/data-quality")
    async def data_quality(
        self,
        request: Request,
        ctx: Ctx,
        filters: NamedDependency[Filters],
        group: FromQuery[Literal["rep", "team"]] = "rep",
    ) -> Response:
        """Per rep or team: completeness (录完率), duplicate and stale rates, as of now."""
        cadence = (await load_reminder_settings(ctx.settings)).cadence_days
        report = await analytics.data_quality(filters.scope, filters.now, cadence, group)
        return await respond(request, "data-quality", report, filters, as_of_now=True)

    @get("/customer-value")
    async def customer_value(
        self,
        request: Request,
        filters: NamedDependency[Filters],
        limit: Annotated[int, QueryParameter(ge=1, le=analytics.MAX_LIST_ROWS)] = 100,
    ) -> Response:
        """RFM scores from contracts, best customers first."""
        report = await analytics.customer_value(filters.scope, filters.now, limit)
        return await respond(request, "customer-value", report, filters, as_of_now=True)

    @get("/churn-risk")
    async def churn_risk(
        self,
        request: Request,
        filters: NamedDependency[Filters],
        limit: Annotated[int, QueryParameter(ge=1, le=analytics.MAX_LIST_ROWS)] = 100,
    ) -> Response:
        """Paying customers gone quiet or with falling activity, longest silent first."""
        report = await analytics.churn_risk(filters.scope, filters.now, limit)
        return await respond(request, "churn-risk", report, filters, as_of_now=True)
