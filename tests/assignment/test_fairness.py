"""The fairness report: what each rep received in a period, and the Gini coefficients."""

from __future__ import annotations

import datetime as dt

from server.db.tables import OwnerChange
from tests.assignment.conftest import insert_customer

IN_PERIOD = dt.datetime(2026, 3, 10, 4, tzinfo=dt.UTC)
BEFORE = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


async def _received(customer, rep_id: int, at: dt.datetime = IN_PERIOD) -> None:
    await OwnerChange(customer=customer, to_owner=rep_id, changed_at=at, reason="rule:x").save()


async def test_fairness_counts_per_rep_and_gini(two_teams):
    r1, r2, r3, south = two_teams["r1"], two_teams["r2"], two_teams["r3"], two_teams["south"]
    new_a = await insert_customer("新A", grade="A", owner=r1.id, team=south, created_at=IN_PERIOD)
    new_c = await insert_customer("新C", owner=r1.id, team=south, created_at=IN_PERIOD)
    old_b = await insert_customer("老B", grade="B", owner=r1.id, team=south, created_at=BEFORE)
    r2_lead = await insert_customer("r2的", owner=r2.id, team=south, created_at=IN_PERIOD)
    for customer in (new_a, new_c, old_b):
        await _received(customer, r1.id)
    await _received(new_a, r1.id, IN_PERIOD + dt.timedelta(hours=1))  # counted once
    await _received(r2_lead, r2.id)
    await _received(r2_lead, r2.id, BEFORE)  # outside the period

    response = await two_teams["south_manager"].get(
        "/api/assignment/fairness", params={"from": "2026-03-01", "to": "2026-03-31"}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    rows = {row["user_id"]: row for row in report["reps"]}
    assert set(rows) == {r1.id, r2.id, r3.id}
    assert (rows[r1.id]["customers"], rows[r1.id]["a_grade"], rows[r1.id]["new_leads"]) == (3, 1, 2)
    assert (rows[r2.id]["customers"], rows[r2.id]["new_leads"], rows[r3.id]["customers"]) == (
        1,
        1,
        0,
    )
    assert rows[r1.id]["owned_now"] == 3
    assert report["gini"]["customers"] == round(2 * (1 * 0 + 2 * 1 + 3 * 3) / (3 * 4) - 4 / 3, 4)
    assert report["gini"]["a_grade"] == round(2 * 3 / 3 - 4 / 3, 4)


async def test_fairness_is_scoped_and_checks_the_period(two_teams):
    manager = two_teams["south_manager"]
    other = await manager.get("/api/assignment/fairness", params={"team_id": two_teams["north"]})
    assert other.status_code == 403
    backwards = await manager.get(
        "/api/assignment/fairness", params={"from": "2026-03-31", "to": "2026-03-01"}
    )
    assert backwards.status_code == 422
    everyone = (await two_teams["admin"].get("/api/assignment/fairness")).json()
    assert len(everyone["reps"]) == 4 and everyone["gini"]["customers"] == 0.0
