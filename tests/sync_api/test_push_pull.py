"""Sync over real HTTP: offline edits from several people merge field by field."""

from __future__ import annotations

import time
import uuid

import pytest

from server.db.tables import AuditLog, Customer
from tests.sync_api.helpers import Device


async def _latest_stamp_ms(user, record_id: str) -> int:
    page = (await user.get("/sync/pull", params={"cursor": 0, "limit": 2000})).json()
    record = next(r for r in page["records"] if r["id"] == record_id)
    stamps = [meta[0] for meta in record["versions"]["f"].values() if isinstance(meta, list)]
    return max(int(stamp[:13]) for stamp in stamps)


@pytest.fixture
async def crew(make_user, live_client, team):
    """Alice owns a customer shared with Bob; Meg manages their team. All talk real HTTP."""
    alice = await make_user("rep", team, name="alice", http=live_client)
    bob = await make_user("rep", team, name="bob", http=live_client)
    meg = await make_user("manager", team, name="meg", http=live_client)
    response = await alice.post(
        "/api/customers", json={"name": "苏州东方机械有限公司", "phone": "13812345678"}
    )
    customer_id = response.json()["id"]
    await alice.request("PUT", f"/api/customers/{customer_id}/share", json={"user_id": bob.id})
    # Offline edits below are stamped after the server's own stamps on this record (the
    # server clock may run ahead of the wall clock after receiving earlier device stamps).
    t0 = max(int(time.time() * 1000), await _latest_stamp_ms(alice, customer_id)) + 1
    return {"alice": alice, "bob": bob, "meg": meg, "customer_id": customer_id, "t0": t0}


async def test_offline_edits_to_different_fields_all_survive(crew):
    t0 = crew["t0"]
    cid = crew["customer_id"]
    alice, bob, meg = Device(crew["alice"]), Device(crew["bob"]), Device(crew["meg"])
    results = [
        await alice.push(alice.change("customer", cid, at_ms=t0 + 1000, phone="+86 139 0000 1111")),
        await bob.push(
            bob.change("customer", cid, at_ms=t0 + 2000, address="苏州工业园区星湖街 1 号")
        ),
        await meg.push(meg.change("customer", cid, at_ms=t0 + 3000, grade="A", tags=["重点"])),
    ]
    assert all(r["results"][0]["status"] == "applied" for r in results), results
    for device in (alice, bob, meg):
        values = (await device.pull_all())[cid]["values"]
        assert values["phone"] == "+8613900001111"  # normalized like the REST API
        assert values["address"] == "苏州工业园区星湖街 1 号"
        assert values["grade"] == "A"
        assert values["tags"] == ["重点"]


async def test_same_field_later_hlc_wins_and_the_conflict_is_listed(crew):
    t0 = crew["t0"]
    cid = crew["customer_id"]
    alice, bob = Device(crew["alice"]), Device(crew["bob"])
    base = (await alice.pull_all())[cid]["versions"]["f"]["phone"][0]
    # Bob edits later on the clock but his push arrives first; Alice's older edit then loses.
    first = await bob.push(
        bob.change("customer", cid, at_ms=t0 + 5000, base={"phone": base}, phone="13700000002")
    )
    assert first["results"][0]["status"] == "applied"
    late = await alice.push(
        alice.change("customer", cid, at_ms=t0 + 1000, base={"phone": base}, phone="13700000001")
    )
    assert late["results"][0]["status"] == "applied"
    assert late["conflicts"][0]["field"] == "phone"
    customer = await crew["alice"].get(f"/api/customers/{cid}")
    assert customer.json()["phone"] == "+8613700000002"
    for person in ("alice", "bob"):
        listed = (await crew[person].get("/sync/conflicts", params={"record_id": cid})).json()
        assert len(listed) == 1
        assert listed[0]["loser"]["value"] == "+8613700000001"
        assert listed[0]["loser"]["actor_name"] == "alice"
        assert listed[0]["winner"]["actor_name"] == "bob"


async def test_replaying_a_push_changes_nothing(crew):
    t0 = crew["t0"]
    cid = crew["customer_id"]
    alice = Device(crew["alice"])
    batch = [alice.change("customer", cid, at_ms=t0 + 1000, notes="见了采购经理")]
    first = await alice.push(*batch)
    seq_after_first = (
        await Customer.select(Customer.server_seq).where(Customer.id == uuid.UUID(cid))
    )[0]
    audits = await AuditLog.count()
    again = await alice.push(*batch)
    assert first["results"][0]["status"] == "applied"
    assert again["results"][0]["status"] == "duplicate"
    assert again["results"][0]["seq"] == first["results"][0]["seq"]
    assert (await Customer.select(Customer.server_seq).where(Customer.id == uuid.UUID(cid)))[
        0
    ] == seq_after_first
    assert await AuditLog.count() == audits


async def test_offline_created_records_and_visit_log(crew):
    t0 = crew["t0"]
    alice = Device(crew["alice"])
    new_id, visit_id = str(uuid.uuid4()), str(uuid.uuid4())
    pushed = await alice.push(
        alice.change(
            "customer", new_id, at_ms=t0 + 1000, name="Harbor Foods Ltd.",
            email="Buyer@Harbor.example",
        ),
        alice.change("activity", visit_id, at_ms=t0 + 2000, customer_id=new_id, kind="visit",
                     summary="First visit, met the buyer", occurred_at="2026-11-20T09:30:00+08:00"),
    )  # fmt: skip
    assert [r["status"] for r in pushed["results"]] == ["applied", "applied"], pushed
    view = (await crew["alice"].get(f"/api/customers/{new_id}/360")).json()
    assert view["profile"]["email"] == "buyer@harbor.example"
    assert view["profile"]["owner_id"] == crew["alice"].id
    assert [a["summary"] for a in view["activities"]] == ["First visit, met the buyer"]
    assert view["profile"]["last_contact_at"].startswith("2026-11-20T01:30")
    edit = await alice.push(
        alice.change("activity", visit_id, at_ms=t0 + 3000, summary="rewritten")
    )
    assert edit["results"][0]["status"] == "rejected"
    assert edit["results"][0]["code"] == "activity.immutable"


async def test_delete_wins_over_older_edits_and_can_be_undone(crew):
    t0 = crew["t0"]
    cid = crew["customer_id"]
    alice, meg = Device(crew["alice"]), Device(crew["meg"])
    deleted = await alice.push(
        alice.change("customer", cid, at_ms=t0 + 2000, record={"op": "delete", "length": 2})
    )
    assert deleted["results"][0]["record"]["deleted"] is True
    older_edit = await meg.push(meg.change("customer", cid, at_ms=t0 + 1000, grade="B"))
    assert older_edit["results"][0]["record"]["deleted"] is True, older_edit  # kept, still deleted
    assert older_edit["results"][0]["record"]["values"]["grade"] == "B", older_edit
    assert (await crew["alice"].get(f"/api/customers/{cid}")).status_code == 404
    restored = await crew["alice"].post(f"/api/customers/{cid}/restore")
    assert restored.status_code == 201, restored.text
    assert restored.json()["grade"] == "B"


async def test_bad_changes_are_refused_one_by_one(crew):
    t0 = crew["t0"]
    cid = crew["customer_id"]
    alice = Device(crew["alice"])
    good = alice.change("customer", cid, at_ms=t0 + 1000, source="展会")
    reused = dict(good, fields={"source": {"op": "set", "value": "官网"}})
    result = await alice.push(
        alice.change("customer", cid, at_ms=t0 + 1000, colour="red"),
        alice.change("customer", cid, at_ms=t0 + 1000, phone=12345),
        alice.change("customer", cid, at_ms=t0 + 1000, email="not-an-email"),
        alice.change("customer", cid, at_ms=t0 + 3_600_000, grade="A"),
        {"op_id": "x", "entity": "customer"},
        good,
        reused,
    )
    codes = [(r["status"], r.get("code")) for r in result["results"]]
    assert codes == [
        ("rejected", "field.unknown"),
        ("rejected", "validation"),
        ("rejected", "validation"),
        ("rejected", "hlc.future"),
        ("rejected", "change.malformed"),
        ("applied", None),
        ("rejected", "op.reused"),
    ]
    assert result["results"][2]["errors"][0]["field"] == "email"
    assert result["results"][3]["details"]["server_ms"] > 0
    customer = (await crew["alice"].get(f"/api/customers/{cid}")).json()
    assert customer["source"] == "展会" and customer["grade"] == "C"


async def test_malformed_batches_are_400(crew):
    user = crew["alice"]
    assert (await user.post("/sync/push", json={"changes": "nope"})).status_code == 400
    assert (
        await user.post("/sync/push", json={"device_id": "d1", "changes": [], "x": 1})
    ).status_code == 400
    bad_device = await user.post("/sync/push", json={"device_id": "bad id!", "changes": []})
    assert bad_device.status_code == 422


async def test_devices_see_and_change_only_what_their_user_may(crew, make_user, live_client, team):
    t0 = crew["t0"]
    cid = crew["customer_id"]
    outsider = Device(await make_user("rep", team, name="carl", http=live_client))
    assert cid not in await outsider.pull_all()
    refused = await outsider.push(outsider.change("customer", cid, at_ms=t0 + 1000, grade="A"))
    assert refused["results"][0]["http_status"] == 404
    bob = Device(crew["bob"])
    assert cid in await bob.pull_all()
    await crew["alice"].request(
        "PUT", f"/api/customers/{cid}/share", json={"user_id": crew["bob"].id, "shared": False}
    )
    page = (await crew["bob"].get("/sync/pull", params={"cursor": bob.cursor})).json()
    assert page["removed"] == [{"entity": "customer", "id": cid}]
    await bob.push()  # the device id is now Bob's
    stolen = Device(crew["alice"], device_id=bob.device_id)
    response = await crew["alice"].post(
        "/sync/push", json={"device_id": stolen.device_id, "changes": []}
    )
    assert response.status_code == 403


async def test_rest_and_sync_edits_merge_by_the_same_rules(crew):
    """A manager's desk edit (REST) and a rep's offline edit (sync) of different fields."""
    t0 = crew["t0"]
    cid = crew["customer_id"]
    alice = Device(crew["alice"])
    await crew["meg"].patch(f"/api/customers/{cid}", json={"industry": "制造业"})
    await alice.push(alice.change("customer", cid, at_ms=t0 + 1000, lifecycle="prospect"))
    customer = (await crew["meg"].get(f"/api/customers/{cid}")).json()
    assert (customer["industry"], customer["lifecycle"]) == ("manufacturing", "prospect")


async def test_offline_created_duplicate_of_another_reps_customer_is_refused(
    crew, make_user, live_client, team
):
    """撞单 over sync: a rep can't create, from a phone, a customer another rep owns."""
    carl = Device(await make_user("rep", team, name="carl", http=live_client))
    copy_id = str(uuid.uuid4())
    result = await carl.push(
        carl.change(
            "customer", copy_id, at_ms=crew["t0"] + 1000, name="苏州东方机械", phone="138 1234 5678"
        )
    )
    refused = result["results"][0]
    assert (refused["status"], refused["http_status"], refused["code"]) == (
        "rejected", 409, "customer.duplicate_owned",
    )  # fmt: skip
    assert refused["details"]["owner"] == "alice"
    assert (await crew["alice"].get(f"/api/customers/{copy_id}")).status_code == 404


async def test_offline_deal_moves_follow_the_stage_rules(crew):
    """Deals merge like other records, and a device's stage move passes the exit criteria."""
    t0 = crew["t0"]
    alice = Device(crew["alice"])
    deal_id = str(uuid.uuid4())
    created = await alice.push(
        alice.change(
            "deal", deal_id, at_ms=t0 + 1000, customer_id=crew["customer_id"], title="年度采购"
        )
    )
    assert created["results"][0]["status"] == "applied", created
    # first_contact → needs_confirmed requires an amount (exit criteria of first_contact)
    await alice.push(alice.change("deal", deal_id, at_ms=t0 + 2000, stage="first_contact"))
    refused = await alice.push(
        alice.change("deal", deal_id, at_ms=t0 + 3000, stage="needs_confirmed")
    )
    result = refused["results"][0]
    assert (result["status"], result["http_status"]) == ("rejected", 422)
    assert [e["field"] for e in result["errors"]] == ["amount"]
    moved = await alice.push(
        alice.change("deal", deal_id, at_ms=t0 + 4000, amount=250000, stage="needs_confirmed")
    )
    assert moved["results"][0]["status"] == "applied", moved
    history = (await crew["alice"].get(f"/api/deals/{deal_id}/stages")).json()
    assert [h["to_stage"] for h in history] == ["lead", "first_contact", "needs_confirmed"]
    meg = Device(crew["meg"])
    pulled = (await meg.pull_all())[deal_id]
    assert pulled["values"]["stage"] == "needs_confirmed" and pulled["values"]["amount"] == 250000
    # A desk edit (REST) is versioned too: an older offline edit of the same field loses.
    await crew["meg"].patch(f"/api/deals/{deal_id}", json={"title": "年度采购（扩容）"})
    stale = await alice.push(alice.change("deal", deal_id, at_ms=t0 + 3500, title="旧标题"))
    assert stale["conflicts"] and stale["conflicts"][0]["field"] == "title"
    assert (await crew["alice"].get(f"/api/deals/{deal_id}")).json()["title"] == "年度采购(扩容)"


async def test_an_edit_of_one_field_leaves_the_others_alone(crew):
    cid = crew["customer_id"]
    alice = Device(crew["alice"])
    await alice.push(
        alice.change("customer", cid, at_ms=crew["t0"] + 1000, tags=["重点"], custom={})
    )
    await alice.push(alice.change("customer", cid, at_ms=crew["t0"] + 2000, grade="B"))
    customer = (await crew["alice"].get(f"/api/customers/{cid}")).json()
    assert (customer["tags"], customer["grade"], customer["phone"]) == (
        ["重点"],
        "B",
        "+8613812345678",
    )
