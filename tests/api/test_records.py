"""Contacts, follow-ups and activities over REST, with the same rules as sync."""

from __future__ import annotations

import datetime as dt


async def _customer(user) -> str:
    response = await user.post(
        "/api/customers", json={"name": "成都天府软件有限公司", "phone": "13800002222"}
    )
    return response.json()["id"]


async def test_contact_crud_with_validation(make_user):
    rep = await make_user("rep")
    cid = await _customer(rep)
    bad = await rep.post("/api/contacts", json={"customer_id": cid, "name": "", "phone": "123"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"name", "phone"}
    created = await rep.post(
        "/api/contacts",
        json={
            "customer_id": cid,
            "name": "王经理",
            "phone": "139 1111 3333",
            "birthday": "1980-02-29",
        },
    )
    assert created.status_code == 201, created.text
    contact = created.json()
    assert contact["phone"] == "+8613911113333" and contact["is_primary"] is False
    await rep.patch(f"/api/contacts/{contact['id']}", json={"title": "采购总监"})
    view = (await rep.get(f"/api/customers/{cid}/360")).json()
    assert [(c["name"], c["title"]) for c in view["contacts"]] == [("王经理", "采购总监")]
    assert (await rep.delete(f"/api/contacts/{contact['id']}")).status_code == 204
    assert (await rep.get(f"/api/customers/{cid}/360")).json()["contacts"] == []


async def test_records_of_other_reps_customers_are_out_of_reach(make_user, team):
    alice = await make_user("rep", team)
    bob = await make_user("rep", team)
    cid = await _customer(alice)
    for path, body in (
        ("/api/contacts", {"customer_id": cid, "name": "x"}),
        ("/api/activities", {"customer_id": cid, "summary": "sneaky visit"}),
        (
            "/api/follow-ups",
            {"customer_id": cid, "title": "x", "due_at": "2026-12-01T09:00:00+08:00"},
        ),
    ):
        assert (await bob.post(path, json=body)).status_code == 404, path
    contact = (await alice.post("/api/contacts", json={"customer_id": cid, "name": "x"})).json()
    assert (
        await bob.patch(f"/api/contacts/{contact['id']}", json={"name": "y"})
    ).status_code == 404
    assert (await bob.delete(f"/api/contacts/{contact['id']}")).status_code == 404


async def test_logging_a_visit_updates_last_contact_and_is_append_only(make_user):
    rep = await make_user("rep")
    cid = await _customer(rep)
    visit = await rep.post(
        "/api/activities",
        json={"customer_id": cid, "kind": "visit", "summary": "现场拜访，确认需求",
              "next_step": "发报价", "occurred_at": "2026-11-22T15:00:00+08:00", "latitude": 30.66},
    )  # fmt: skip
    assert visit.status_code == 201, visit.text
    profile = (await rep.get(f"/api/customers/{cid}")).json()
    assert profile["last_contact_at"].startswith("2026-11-22T07:00")
    bad = await rep.post(
        "/api/activities", json={"customer_id": cid, "summary": "x", "latitude": 200}
    )
    assert bad.json()["errors"][0]["field"] == "latitude"


async def test_my_follow_ups_due_today_and_overdue(make_user):
    rep = await make_user("rep")
    cid = await _customer(rep)
    now = dt.datetime.now(dt.UTC)
    for title, due in (
        ("overdue", now - dt.timedelta(days=2)),
        ("later", now + dt.timedelta(days=3)),
    ):
        response = await rep.post(
            "/api/follow-ups", json={"customer_id": cid, "title": title, "due_at": due.isoformat()}
        )
        assert response.status_code == 201, response.text
    overdue = (await rep.get("/api/follow-ups", params={"due": "overdue"})).json()
    assert [f["title"] for f in overdue] == ["overdue"]
    assert overdue[0]["customer_name"] == "成都天府软件有限公司"
    upcoming = (await rep.get("/api/follow-ups", params={"due": "upcoming"})).json()
    assert [f["title"] for f in upcoming] == ["later"]
    done = await rep.patch(f"/api/follow-ups/{overdue[0]['id']}", json={"done_at": now.isoformat()})
    assert done.status_code == 200
    assert (await rep.get("/api/follow-ups", params={"due": "overdue"})).json() == []
    assert (await rep.get("/api/follow-ups", params={"due": "someday"})).status_code == 400


async def test_visit_summaries_and_notes_keep_their_line_breaks(make_user):
    rep = await make_user("rep")
    cid = await _customer(rep)
    summary = "拜访采购部：\r\n1. 确认预算\n\n\n\n2. 约下周演示  "
    visit = await rep.post("/api/activities", json={"customer_id": cid, "summary": summary})
    assert visit.json()["summary"] == "拜访采购部:\n1. 确认预算\n\n2. 约下周演示"
    notes = await rep.patch(
        f"/api/customers/{cid}", json={"notes": "第一行\n第二行", "address": None}
    )
    assert notes.status_code == 200, notes.text
    assert notes.json()["notes"] == "第一行\n第二行"
