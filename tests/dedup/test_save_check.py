"""Duplicates on create / edit / import and check-as-you-type (撞单 prevention), via the API."""

from __future__ import annotations

from server.db.dedup_tables import ReviewItem
from server.db.tables import AuditLog, Customer

XINGCHEN = {"name": "北京星辰科技有限公司", "phone": "+86 138 0013 8000", "region": "北京"}
# The same company as another rep would type it.
XINGCHEN_AGAIN = {"name": "星辰科技（北京）有限公司", "phone": "138-0013-8000", "region": "Beijing"}


async def test_creating_another_reps_customer_is_refused_with_the_owner(make_user, team):
    alice = await make_user("rep", team, name="alice")
    bob = await make_user("rep", team)
    assert (await alice.post("/api/customers", json=XINGCHEN)).status_code == 201
    refused = await bob.post("/api/customers", json={**XINGCHEN_AGAIN, "email": "b@x.cn"})
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "customer.duplicate_owned"
    assert body["message"] == "This customer already exists and is owned by alice."
    assert body["details"]["owner"] == "alice"
    # Bob may not see Alice's record: its name and owner, nothing else.
    assert body["details"]["duplicates"] == [
        {"visible": False, "name": "北京星辰科技有限公司", "owner_name": "alice"}
    ]
    assert await Customer.count() == 1
    # Confirming does not get around another rep's record.
    again = await bob.post("/api/customers", json={**XINGCHEN_AGAIN, "confirm_duplicate": True})
    assert again.json()["code"] == "customer.duplicate_owned"
    bob.lang = "zh-CN"
    zh = await bob.post("/api/customers", json=XINGCHEN_AGAIN)
    assert zh.json()["message"] == "该客户已存在，负责人为 alice。"


async def test_a_rep_may_not_override_but_a_manager_may_with_a_reason(make_user, team):
    alice = await make_user("rep", team, name="alice")
    bob = await make_user("rep", team)
    manager = await make_user("manager", team)
    await alice.post("/api/customers", json=XINGCHEN)
    denied = await bob.post("/api/customers", json={**XINGCHEN_AGAIN, "override_reason": "mine"})
    assert denied.status_code == 403
    assert denied.json()["code"] == "dedup.override_forbidden"
    reason = "北京分公司 独立签约"
    saved = await manager.post(
        "/api/customers",
        json={**XINGCHEN_AGAIN, "owner_id": bob.id, "override_reason": reason},
    )
    assert saved.status_code == 201, saved.text
    new_id = saved.json()["id"]
    audit = await AuditLog.select().where(
        (AuditLog.action == "duplicate_override") & (AuditLog.record_id == new_id)
    )
    assert len(audit) == 1 and audit[0]["actor"] == manager.id
    assert reason in audit[0]["after"]
    # The pair is remembered as two customers: editing the new one does not ask again.
    assert await ReviewItem.count().where(ReviewItem.status == "distinct") == 1
    edit = await manager.patch(f"/api/customers/{new_id}", json={"name": "星辰科技北京分公司"})
    assert edit.status_code == 200, edit.text


async def test_own_likely_duplicate_is_listed_until_confirmed(make_user):
    rep = await make_user("rep")
    first = (await rep.post("/api/customers", json=XINGCHEN)).json()
    listed = await rep.post("/api/customers", json=XINGCHEN_AGAIN)
    assert listed.status_code == 409
    body = listed.json()
    assert body["code"] == "customer.duplicate_likely"
    (duplicate,) = body["details"]["duplicates"]
    assert duplicate["id"] == first["id"] and duplicate["visible"] is True
    assert set(duplicate["reasons"]) >= {"name", "phone"} and duplicate["score"] >= 90
    confirmed = await rep.post("/api/customers", json={**XINGCHEN_AGAIN, "confirm_duplicate": True})
    assert confirmed.status_code == 201, confirmed.text
    assert await Customer.count() == 2
    assert await AuditLog.count().where(AuditLog.action == "duplicate_confirmed") == 1


async def test_an_edit_that_makes_a_duplicate_is_checked_and_other_edits_are_not(make_user):
    rep = await make_user("rep")
    await rep.post("/api/customers", json=XINGCHEN)
    other = (
        await rep.post("/api/customers", json={"name": "宏达物流有限公司", "phone": "13900139000"})
    ).json()
    url = f"/api/customers/{other['id']}"
    refused = await rep.patch(url, json={"phone": "13800138000", "name": "星辰科技"})
    assert refused.status_code == 409
    assert (await rep.get(url)).json()["name"] == "宏达物流有限公司"  # rolled back
    assert (await rep.patch(url, json={"grade": "A"})).status_code == 200


async def test_a_public_pool_customer_must_be_claimed_not_created_again(make_user):
    rep = await make_user("rep")
    created = (await rep.post("/api/customers", json=XINGCHEN)).json()
    await Customer.update({Customer.owner: None, Customer.team: None}).where(
        Customer.id == created["id"]
    )
    other = await make_user("rep")
    refused = await other.post("/api/customers", json=XINGCHEN_AGAIN)
    assert refused.status_code == 409
    assert refused.json()["code"] == "customer.duplicate_in_pool"


async def test_check_as_you_type_is_scoped(make_user, team):
    alice = await make_user("rep", team, name="alice")
    bob = await make_user("rep", team)
    manager = await make_user("manager", team)
    created = (await alice.post("/api/customers", json=XINGCHEN)).json()
    query = {"name": "星辰科技", "phone": "13800138000"}
    as_bob = (await bob.get("/api/customers/duplicates", params=query)).json()
    assert as_bob["code"] == "customer.duplicate_owned" and as_bob["owner"] == "alice"
    assert as_bob["duplicates"] == [
        {"visible": False, "name": "北京星辰科技有限公司", "owner_name": "alice"}
    ]
    as_manager = (await manager.get("/api/customers/duplicates", params=query)).json()
    assert as_manager["duplicates"][0]["id"] == created["id"]  # the team's record: visible
    as_alice = (await alice.get("/api/customers/duplicates", params=query)).json()
    assert as_alice["code"] == "customer.duplicate_likely"
    editing = await alice.get(
        "/api/customers/duplicates", params={**query, "exclude_id": created["id"]}
    )
    assert editing.json() == {"code": None, "duplicates": []}
    unrelated = await bob.get("/api/customers/duplicates", params={"name": "宏达物流"})
    assert unrelated.json() == {"code": None, "duplicates": []}
    phone_first = await bob.get("/api/customers/duplicates", params={"phone": "138 0013 8000"})
    assert phone_first.json()["owner"] == "alice"  # typed before the name


async def test_import_dry_run_reports_fuzzy_duplicates_scoped(make_user, team):
    alice = await make_user("rep", team, name="alice")
    bob = await make_user("rep", team)
    await alice.post("/api/customers", json=XINGCHEN)
    mine = await bob.post("/api/customers", json={"name": "宏达物流有限公司", "email": "hd@x.cn"})
    csv = (
        "客户名称,电话,邮箱,地区\n"
        "星辰科技（北京）股份有限公司,010-1234 5678,,北京\n"  # Alice's: name + region
        "宏達物流,,HD@X.CN,\n"  # Bob's own, traditional characters, email case
        '"Apex Robotics Co., Ltd.",13700137000,,上海\n'
        "APEX ROBOTICS INC,+86 137 0013 7000,,Shanghai\n"  # the row above again
    )
    report = (
        await bob.post(
            "/api/customers/import",
            params={"dry_run": "true"},
            files={"data": ("c.csv", csv.encode(), "text/csv")},
        )
    ).json()
    hits = {d["row"]: d for d in report["duplicates"]}
    assert set(hits) == {2, 3, 5}
    assert hits[2]["existing_id"] is None and hits[2]["owner_name"] == "alice"
    assert hits[2]["existing_name"] == "北京星辰科技有限公司"
    assert hits[3]["existing_id"] == mine.json()["id"] and hits[3]["by"] == "email"
    assert hits[5]["existing_row"] == 4 and hits[5]["by"] == "phone"
    assert report["accepted"] == 1
