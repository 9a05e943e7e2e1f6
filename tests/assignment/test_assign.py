"""Automatic assignment: new leads by managers/admins, bulk runs over the pool, round-robin
turns that survive a restart, capacity caps, senior reps, notifications and history."""

from __future__ import annotations

import httpx

from server.app import create_app
from server.db.assignment_tables import AssignmentRule
from server.db.tables import Customer, Notification, OwnerChange
from tests.assignment.conftest import add_rule, insert_customer, set_user
from tests.conftest import ApiUser


async def _new_lead(user, name: str, region: str = "深圳", **fields) -> dict:
    phone = f"139{abs(hash(name)) % 10**8:08d}"
    response = await user.post(
        "/api/customers", json={"name": name, "phone": phone, "region": region, **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_managers_new_lead_goes_through_the_rules_and_the_new_owner_is_told(two_teams):
    manager, r1 = two_teams["south_manager"], two_teams["r1"]
    await add_rule(
        manager, name="广东直派", strategy="direct", user_id=r1.id, conditions={"regions": ["广东"]}
    )
    created = await _new_lead(manager, "深圳湾科技有限公司", region="深圳市")
    assert created["owner_id"] == r1.id
    assert created["assigned_rule"] == "广东直派"
    history = (
        await OwnerChange.select()
        .where(OwnerChange.customer == created["id"])
        .order_by(OwnerChange.id)
    )
    assert [(h["to_owner"], h["reason"]) for h in history] == [
        (manager.id, "create"),
        (r1.id, "rule:广东直派"),
    ]
    note = (await r1.get("/api/notifications")).json()[0]
    assert note["kind"] == "assignment" and "深圳湾科技" in note["body"]
    assert note["link"] == f"/customers/{created['id']}"
    assert (await r1.get(f"/api/customers/{created['id']}")).status_code == 200
    elsewhere = await _new_lead(manager, "北京某某贸易", region="北京")  # no rule matches
    assert elsewhere["owner_id"] == manager.id and not elsewhere["assigned_rule"]
    named = await manager.post(
        "/api/customers",
        json={
            "name": "广州指定",
            "phone": "13900001111",
            "region": "广州",
            "owner_id": two_teams["r2"].id,
        },
    )  # an explicit owner skips the rules
    assert named.json()["owner_id"] == two_teams["r2"].id


async def test_round_robin_turn_survives_a_restart(two_teams, settings, engine):
    manager = two_teams["south_manager"]
    rule = await add_rule(
        manager,
        name="轮转",
        strategy="round_robin",
        team_id=two_teams["south"],
        conditions={"regions": ["CN-GD"]},
    )
    reps = [two_teams[k].id for k in ("r1", "r2", "r3")]
    owners = [(await _new_lead(manager, f"轮转客户{i}"))["owner_id"] for i in range(2)]
    assert owners == reps[:2]
    assert (
        await AssignmentRule.select(AssignmentRule.rr_turn).where(AssignmentRule.id == rule["id"])
    )[0]["rr_turn"] == 2
    restarted = create_app(settings, engine=engine)  # a new process: nothing kept in memory
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=restarted), base_url="http://testserver"
    ) as client:
        same_manager = ApiUser(client, manager.id, "manager", manager.team_id, manager.token)
        owners = [(await _new_lead(same_manager, f"重启后{i}"))["owner_id"] for i in range(2)]
    assert owners == [reps[2], reps[0]]


async def test_capacity_caps_are_respected_and_a_full_team_leaves_leads_in_the_pool(two_teams):
    admin, south = two_teams["admin"], two_teams["south"]
    r1, r2, r3 = (two_teams[k] for k in ("r1", "r2", "r3"))
    await set_user(r1.id, capacity=1)
    await set_user(r2.id, capacity=2)
    await set_user(r3.id, capacity=1)
    await insert_customer("已有客户", owner=r1.id, team=south)  # r1 is already full
    await add_rule(
        admin,
        name="最空闲",
        strategy="least_loaded",
        team_id=south,
        conditions={"regions": ["广东"]},
    )
    leads = [await insert_customer(f"公海线索{i}", region="广州") for i in range(5)]
    report = (await admin.post("/api/assignment/run", json={})).json()
    assert report["considered"] == 5
    assert report["assigned"] == 3 and report["unplaced"] == 2
    assert report["by_owner"] == {str(r2.id): 2, str(r3.id): 1}
    owners = {r["id"]: r["owner"] for r in await Customer.select(Customer.id, Customer.owner)}
    assert sorted(owners[lead] for lead in leads if owners[lead]) == sorted([r2.id, r2.id, r3.id])
    assert sum(owners[lead] is None for lead in leads) == 2


async def test_bulk_run_places_pool_leads_by_first_matching_rule_and_bumps_server_seq(two_teams):
    admin, south, north = two_teams["admin"], two_teams["south"], two_teams["north"]
    await add_rule(
        admin, name="A级给资深", strategy="senior", team_id=south, conditions={"regions": ["广东"]}
    )
    await add_rule(
        admin,
        name="华南公海",
        strategy="team_pool",
        team_id=south,
        conditions={"regions": ["广东", "广西"]},
    )
    await add_rule(
        admin,
        name="华北默认",
        strategy="direct",
        user_id=two_teams["north_rep"].id,
        is_default=True,
    )
    await set_user(two_teams["r3"].id, senior=True)
    a_grade = await insert_customer("A级深圳", region="深圳", grade="A")
    b_grade = await insert_customer("B级广州", region="广州", grade="B")
    beijing = await insert_customer("北京客户", region="北京")
    owned = await insert_customer("有主客户", owner=two_teams["r1"].id, team=south)
    before = {
        r["id"]: r["server_seq"] for r in await Customer.select(Customer.id, Customer.server_seq)
    }
    report = (await admin.post("/api/assignment/run")).json()
    assert report["by_rule"] == {"A级给资深": 1, "华南公海": 1, "华北默认": 1}
    assert report["to_team_pool"] == 1
    rows = {r["id"]: r for r in await Customer.select()}
    assert (rows[a_grade]["owner"], rows[a_grade]["assigned_rule"]) == (
        two_teams["r3"].id,
        "A级给资深",
    )
    assert (rows[b_grade]["owner"], rows[b_grade]["team"]) == (None, south)
    assert (rows[beijing]["owner"], rows[beijing]["team"]) == (two_teams["north_rep"].id, north)
    assert rows[owned]["server_seq"] == before[owned]  # not a pool lead: untouched
    for moved in (a_grade, b_grade, beijing):
        assert rows[moved]["server_seq"] > max(before.values())
    seqs = [rows[m]["server_seq"] for m in (a_grade, b_grade, beijing)]
    assert len(set(seqs)) == 3  # one sequence number per record
    again = (await admin.post("/api/assignment/run")).json()
    assert again["assigned"] == 0 and again["to_team_pool"] == 0  # team-pool lead stays put


async def test_a_managers_run_uses_only_their_rules_and_their_share_of_the_pool(two_teams):
    admin, north = two_teams["admin"], two_teams["north"]
    await add_rule(
        admin,
        name="南方全部",
        strategy="direct",
        user_id=two_teams["r1"].id,
        conditions={"grades": ["C"]},
    )
    await add_rule(
        admin,
        name="北方全部",
        strategy="direct",
        user_id=two_teams["north_rep"].id,
        conditions={"grades": ["C"]},
    )
    shared = await insert_customer("共享公海")
    north_share = await insert_customer("北方公海", team=north)
    report = (await two_teams["north_manager"].post("/api/assignment/run", json={})).json()
    assert report["considered"] == 2 and report["by_rule"] == {"北方全部": 2}
    owners = {r["id"]: r["owner"] for r in await Customer.select(Customer.id, Customer.owner)}
    assert owners[shared] == owners[north_share] == two_teams["north_rep"].id


async def test_a_managers_csv_import_is_assigned_in_one_batch(two_teams):
    manager = two_teams["south_manager"]
    await add_rule(
        manager,
        name="导入轮转",
        strategy="round_robin",
        team_id=two_teams["south"],
        conditions={"regions": ["广东"]},
    )
    csv_text = (
        "客户名称,电话,地区,负责人\n"
        "甲公司,13800000001,深圳,\n"
        "乙公司,13800000002,广州,\n"
        f"丙公司,13800000003,深圳,{two_teams['north_rep'].id}\n"  # unknown username: rejected
        "丁公司,13800000004,北京,\n"
    )
    response = await manager.post(
        "/api/customers/import",
        params={"dry_run": "false"},
        files={"data": ("leads.csv", csv_text.encode(), "text/csv")},
    )
    assert response.status_code == 201, response.text
    rows = {r["name"]: r for r in await Customer.select()}
    assert rows["甲公司"]["owner"] == two_teams["r1"].id
    assert rows["乙公司"]["owner"] == two_teams["r2"].id
    assert rows["丁公司"]["owner"] == manager.id  # no rule for 北京: stays with its creator
    assert await Notification.count().where(Notification.kind == "assignment") == 2
