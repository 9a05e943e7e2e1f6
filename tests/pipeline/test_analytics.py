"""Analytics figures on the fixed history of conftest.py, each worked out by hand.

Q1 2026 in Asia/Shanghai is [2025-12-31 16:00Z, 2026-03-31 16:00Z). Team 1's Q1 cohort
(deals created in Q1) is D1-D5; D6 is team 2's, D7 was created in Q2.
"""

from __future__ import annotations

import datetime as dt

import pytest

from server.db.tables import AuditLog
from server.domain.analytics import Period, Scope, period_for
from server.domain.schedule import DEFAULT_TIME_ZONE
from server.services import analytics
from tests.pipeline.conftest import NOW

Q1 = period_for(dt.date(2026, 1, 1), dt.date(2026, 3, 31), NOW, DEFAULT_TIME_ZONE)
JUNE_1_TO_14 = period_for(dt.date(2026, 6, 1), dt.date(2026, 6, 14), NOW, DEFAULT_TIME_ZONE)
CADENCE = {"A": 3, "B": 7, "C": 30}


def by(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


@pytest.fixture
def frozen_now(monkeypatch):
    monkeypatch.setattr(analytics, "utcnow", lambda: NOW)


async def test_funnel_conversion_and_dwell_for_a_team(history):
    report = await analytics.funnel(Scope(team_id=history.team1), Q1, "en")
    rows = by(report.rows, "stage")
    # Furthest stage: D1 won, D2 first_contact (then lost), D3 proposal, D4 won (skipped
    # two stages, counted as passing them), D5 first_contact.
    reached = {k: r["reached"] for k, r in rows.items()}
    assert reached == {
        "lead": 5,
        "first_contact": 5,
        "needs_confirmed": 3,
        "proposal": 3,
        "negotiation": 2,
        "won": 2,
    }
    conversion = {k: r["conversion_to_next"] for k, r in rows.items()}
    assert conversion == {
        "lead": 1.0,
        "first_contact": 0.6,
        "needs_confirmed": 1.0,
        "proposal": 0.6667,
        "negotiation": 1.0,
        "won": None,
    }
    # Completed stays ending in Q1: lead D1 5, D2 2, D3 2, D4 10, D5 4 → 23/5;
    # first_contact D1 10, D2 10, D3 10, D4 10; needs_confirmed D1 12, D3 16;
    # proposal D1 10; negotiation D1 10.
    dwell = {k: (r["completed_stays"], r["avg_dwell_days"]) for k, r in rows.items()}
    assert dwell == {
        "lead": (5, 4.6),
        "first_contact": (4, 10.0),
        "needs_confirmed": (2, 14.0),
        "proposal": (1, 10.0),
        "negotiation": (1, 10.0),
        "won": (0, None),
    }
    assert rows["first_contact"]["stage_name"] == "First contact"
    assert report.rows[0]["stage"] == "lead"


async def test_funnel_for_one_rep_and_for_everyone(history):
    mine = by((await analytics.funnel(Scope(rep_id=history.r2.id), Q1, "zh-CN")).rows, "stage")
    assert [mine[k]["reached"] for k in ("lead", "needs_confirmed", "negotiation", "won")] == [
        2,
        2,
        1,
        1,
    ]
    assert mine["lead"]["stage_name"] == "线索获取"
    everyone = by((await analytics.funnel(Scope(), Q1, "en")).rows, "stage")
    assert everyone["lead"]["reached"] == 6  # + D6 of team 2
    assert everyone["first_contact"]["conversion_to_next"] == 0.5  # 3 of 6


async def test_win_rate_cycle_size_and_quarter_forecast(history):
    report = await analytics.summary(Scope(team_id=history.team1), Q1, NOW, DEFAULT_TIME_ZONE)
    (row,) = report.rows
    # Closed in Q1: D1 won (47 days, 100000), D4 won (20 days, 80000), D2 lost.
    assert row["deals_won"] == 2
    assert row["deals_lost"] == 1
    assert row["win_rate"] == 0.6667
    assert row["won_amount"] == 180000.0
    assert row["avg_deal_size"] == 90000.0
    assert row["avg_sales_cycle_days"] == 33.5
    # Q2: D7 won 04-20 (40000); open with expected close in Q2: D3 200000 × 60% (stage
    # default) + D5 30000 × 50% (its own) = 135000. D1 expects 05-20 but is already won.
    assert row["quarter_start"] == dt.date(2026, 4, 1)
    assert row["quarter_end"] == dt.date(2026, 6, 30)
    assert row["quarter_won_amount"] == 40000.0
    assert row["quarter_weighted_open"] == 135000.0
    assert row["quarter_forecast"] == 175000.0


async def test_summary_of_one_rep(history):
    (row,) = (await analytics.summary(Scope(rep_id=history.r1.id), Q1, NOW, "Asia/Shanghai")).rows
    assert (row["deals_won"], row["deals_lost"], row["win_rate"]) == (1, 1, 0.5)
    assert row["avg_sales_cycle_days"] == 47.0
    assert row["quarter_forecast"] == 55000.0  # D7 40000 + D5 15000


async def test_rep_activity_per_week_and_follow_up_rates(history):
    report = await analytics.rep_activity(Scope(team_id=history.team1), JUNE_1_TO_14, NOW)
    assert report.meta["weeks"] == 2.0
    rows = by(report.rows, "rep_name")
    assert set(rows) == {"r1", "r2"}  # the team's reps; the manager has no numbers
    r1 = rows["r1"]
    # 4 visits and 2 calls in the two weeks (the email, the note and the visit of 05-20
    # don't count); follow-ups due 06-02 (done early), 06-05 (done late), 06-10 (open),
    # 06-13 (done at the due time); the one due 06-20 is not due yet.
    assert (r1["visits"], r1["calls"]) == (4, 2)
    assert (r1["visits_per_week"], r1["calls_per_week"]) == (2.0, 1.0)
    assert (r1["follow_ups_due"], r1["follow_ups_done"], r1["follow_ups_overdue"]) == (4, 3, 2)
    assert (r1["completion_rate"], r1["overdue_rate"]) == (0.75, 0.5)
    r2 = rows["r2"]
    assert (r2["visits"], r2["calls"], r2["calls_per_week"]) == (0, 1, 0.5)
    assert (r2["completion_rate"], r2["overdue_rate"]) == (1.0, 0.0)


async def test_data_quality_per_rep_and_per_team(history):
    report = await analytics.data_quality(Scope(team_id=history.team1), NOW, CADENCE, "rep")
    rows = by(report.rows, "rep_name")
    assert set(rows) == {"r1", "r2"}
    # r1: C1 7 fields, C2 2, C3 1, C7 4 → 14 of 28. Duplicates: C1/C2 share a phone, C3 an
    # email with r2's C4. Stale: C2 (B, 14.5 days), C3 (C, never contacted since 01-02).
    assert rows["r1"] | {"rep_id": None} == {
        "rep_id": None,
        "rep_name": "r1",
        "customers": 4,
        "completeness_rate": 0.5,
        "duplicates": 3,
        "duplicate_rate": 0.75,
        "stale": 2,
        "stale_rate": 0.5,
    }
    # r2: C4 5 of 7 fields, duplicate email, A-grade last contacted 5.5 days ago.
    assert (rows["r2"]["completeness_rate"], rows["r2"]["duplicate_rate"]) == (0.7143, 1.0)
    assert rows["r2"]["stale_rate"] == 1.0
    assert report.meta["completeness_fields"][0] == "phone"

    teams = by((await analytics.data_quality(Scope(), NOW, CADENCE, "team")).rows, "team_id")
    assert teams[history.team1]["customers"] == 5
    assert teams[history.team1]["completeness_rate"] == 0.5429  # 19 of 35
    assert teams[history.team1]["duplicate_rate"] == 0.8
    assert teams[history.team1]["stale_rate"] == 0.6
    team2 = teams[history.team2]
    assert (team2["team_name"], team2["completeness_rate"], team2["stale_rate"]) == (
        "华东二组",
        0.2857,
        1.0,
    )


async def test_a_grade_without_cadence_is_never_stale(history):
    report = await analytics.data_quality(
        Scope(rep_id=history.r2.id), NOW, {"A": 0, "B": 7, "C": 30}, "rep"
    )
    assert report.rows[0]["stale"] == 0


async def test_rfm_quintile_scores(history):
    report = await analytics.customer_value(Scope(), NOW, 100)
    # Recency (latest start): C3 2025-01-10 < C5 2025-12-01 < C1 2026-02-21 < C4 04-15
    # < C2 05-01 → 1..5. Frequency: C2, C3, C5 1; C1 2; C4 3 → cuts 1,1,1,2 → 1,1,1,4,5.
    # Monetary: C3 5000 < C2 20000 < C5 60000 < C4 120000 < C1 150000 → 1..5. Drafts and
    # contracts starting after now (C7) are left out.
    names = [r["customer_name"].split()[-1] for r in report.rows]
    assert names == ["C4", "C1", "C2", "C5", "C3"]
    scores = {r["customer_name"].split()[-1]: r["rfm_score"] for r in report.rows}
    assert scores == {"C4": "454", "C1": "345", "C2": "512", "C5": "213", "C3": "111"}
    c4 = report.rows[0]
    assert (c4["frequency"], c4["monetary"], c4["recency_days"], c4["rfm_total"]) == (
        3,
        120000.0,
        61,
        13,
    )


async def test_rfm_of_a_rep_ranks_within_their_customers(history):
    report = await analytics.customer_value(Scope(rep_id=history.r1.id), NOW, 2)
    # r1 has C1, C2, C3 → cut ranks ceil(3i/5) = 1, 2, 2, 3; recency cuts C3, C1, C1, C2
    # → C1 2, C2 4; frequency cuts 1, 1, 1, 2 → C1 4; monetary cuts 5000, 20000, 20000,
    # 150000 → C1 4, C2 2. With so few customers the top quintile stays empty.
    assert [r["customer_name"] for r in report.rows] == ["客户 C1", "客户 C2"]
    assert [r["rfm_score"] for r in report.rows] == ["244", "412"]


async def test_churn_risk_flags(history):
    report = await analytics.churn_risk(Scope(), NOW, 100)
    rows = {r["customer_name"].split()[-1]: r for r in report.rows}
    # C3: last touch = created 01-02 (164 days); C5: contacted 03-01 (106 days); C2: 1
    # activity in the last 30 days against 3 in the 30 before. C1, C4, C7 are fine.
    assert list(rows) == ["C3", "C5", "C2"]
    assert (rows["C3"]["days_since_contact"], rows["C3"]["no_contact"]) == (164, True)
    assert rows["C5"]["days_since_contact"] == 106
    c2 = rows["C2"]
    assert (c2["no_contact"], c2["falling_activity"]) == (False, True)
    assert (c2["activities_recent"], c2["activities_previous"]) == (1, 3)


async def test_period_must_not_be_empty():
    with pytest.raises(Exception) as raised:
        period_for(dt.date(2026, 3, 1), dt.date(2026, 2, 1), NOW, DEFAULT_TIME_ZONE)
    assert raised.value.errors[0].code == "analytics.period.invalid"
    assert isinstance(Q1, Period)


# ---- through the API: scope, permissions, CSV ----------------------------------------------


async def test_manager_sees_team_numbers_through_the_api(history, frozen_now):
    response = await history.m1.get("/api/analytics/summary?from=2026-01-01&to=2026-03-31")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"]["team_id"] == history.team1
    assert body["rows"][0]["win_rate"] == 0.6667
    assert body["rows"][0]["quarter_forecast"] == 175000.0
    other = await history.m1.get(f"/api/analytics/funnel?team_id={history.team2}")
    assert other.status_code == 403


async def test_rep_gets_only_their_own_numbers(history, frozen_now):
    response = await history.r1.get("/api/analytics/summary?from=2026-01-01&to=2026-03-31")
    assert response.status_code == 200
    assert response.json()["scope"]["rep_id"] == history.r1.id
    assert response.json()["rows"][0]["win_rate"] == 0.5
    activity = await history.r1.get("/api/analytics/activity?from=2026-06-01&to=2026-06-14")
    assert [r["rep_name"] for r in activity.json()["rows"]] == ["r1"]


@pytest.mark.parametrize("query", ["rep_id={r2}", "team_id={team2}", "team_id={team1}&rep_id={r2}"])
async def test_rep_cannot_read_other_reps_or_teams(history, query):
    url = "/api/analytics/funnel?" + query.format(
        r2=history.r2.id, team1=history.team1, team2=history.team2
    )
    response = await history.r1.get(url)
    assert response.status_code == 403
    history.r1.lang = "zh-CN"
    assert "您只能查看" in (await history.r1.get(url)).json()["message"]


async def test_region_filter_and_bad_region(history, frozen_now):
    shanghai = await history.admin.get("/api/analytics/data-quality?region=上海&group=team")
    assert [r["customers"] for r in shanghai.json()["rows"]] == [1]  # C2
    bad = await history.admin.get("/api/analytics/data-quality?region=Atlantis")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "region"


async def test_every_table_exports_csv_and_is_audited(history, frozen_now):
    names = ["funnel", "summary", "activity", "data-quality", "customer-value", "churn-risk"]
    for name in names:
        response = await history.m1.get(f"/api/analytics/{name}?format=csv&from=2026-01-01")
        assert response.status_code == 200, (name, response.text)
        assert response.headers["content-type"].startswith("text/csv")
        lines = response.text.lstrip("\ufeff").splitlines()
        json_body = (await history.m1.get(f"/api/analytics/{name}?from=2026-01-01")).json()
        assert lines[0].split(",") == json_body["columns"]
        assert len(lines) == 1 + len(json_body["rows"])
    exports = (
        await AuditLog.select()
        .where((AuditLog.action == "export") & (AuditLog.entity == "analytics"))
        .order_by(AuditLog.id)
    )
    assert len(exports) == len(names)
    assert all(e["actor"] == history.m1.id for e in exports)
    assert '"report": "summary"' in exports[1]["detail"]
    assert '"from": "2026-01-01"' in exports[1]["detail"]


async def test_csv_of_funnel_has_the_figures(history, frozen_now):
    response = await history.admin.get(
        f"/api/analytics/funnel?format=csv&team_id={history.team1}&from=2026-01-01&to=2026-03-31"
    )
    lines = response.text.lstrip("\ufeff").splitlines()
    assert lines[1] == "lead,Lead,5,first_contact,1.0,5,4.6,7"
