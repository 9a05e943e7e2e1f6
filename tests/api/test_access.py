"""Role rules on every customer-scoped endpoint: reps see own + shared, managers their team."""

from __future__ import annotations

import pytest

from server.services import accounts

CUSTOMER = {"name": "杭州云帆贸易有限公司", "phone": "13700000009", "region": "杭州"}


async def _customer_of(user) -> str:
    # A different customer per user: the same one again would be refused as 撞单 (tests/dedup).
    trade_name = "".join("甲乙丙丁戊己庚辛壬癸"[int(d)] for d in f"{user.id:03d}")
    unique = {**CUSTOMER, "name": f"杭州{trade_name}贸易有限公司", "phone": f"137{user.id:08d}"}
    response = await user.post("/api/customers", json=unique)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _visible_ids(user) -> set[str]:
    return {c["id"] for c in (await user.get("/api/customers")).json()["items"]}


@pytest.fixture
async def two_teams(make_user):
    north = await accounts.create_team("华北 North")
    south = await accounts.create_team("华南 South")
    return {
        "alice": await make_user("rep", north),
        "bob": await make_user("rep", north),
        "carol": await make_user("rep", south),
        "north_manager": await make_user("manager", north),
        "south_manager": await make_user("manager", south),
        "admin": await make_user("admin"),
    }


async def test_rep_cannot_touch_another_reps_customer(two_teams):
    alice, bob = two_teams["alice"], two_teams["bob"]
    cid = await _customer_of(alice)
    url = f"/api/customers/{cid}"
    assert cid not in await _visible_ids(bob)
    assert (await bob.get("/api/customers", params={"q": "云帆"})).json()["items"] == []
    assert (await bob.get("/api/customers", params={"phone": "13700000009"})).json()["total"] == 0
    assert (await bob.get(url)).status_code == 404
    assert (await bob.get(f"{url}/360")).status_code == 404
    assert (await bob.patch(url, json={"grade": "A"})).status_code == 404
    assert (await bob.delete(url)).status_code == 404
    assert (await bob.request("PUT", f"{url}/share", json={"user_id": bob.id})).status_code == 404
    assert (await alice.get(url)).json()["grade"] == "C"  # untouched


async def test_sharing_grants_access_and_unsharing_revokes_it(two_teams):
    alice, bob = two_teams["alice"], two_teams["bob"]
    cid = await _customer_of(alice)
    share = await alice.request("PUT", f"/api/customers/{cid}/share", json={"user_id": bob.id})
    assert share.status_code == 200
    assert cid in await _visible_ids(bob)
    assert (await bob.patch(f"/api/customers/{cid}", json={"grade": "B"})).status_code == 200
    assert (await bob.delete(f"/api/customers/{cid}")).status_code == 403  # only the owner deletes
    unshare = {"user_id": bob.id, "shared": False}
    await alice.request("PUT", f"/api/customers/{cid}/share", json=unshare)
    assert (await bob.get(f"/api/customers/{cid}")).status_code == 404


async def test_manager_sees_own_team_only_and_admin_sees_all(two_teams):
    alice_customer = await _customer_of(two_teams["alice"])
    carol_customer = await _customer_of(two_teams["carol"])
    assert await _visible_ids(two_teams["north_manager"]) == {alice_customer}
    assert await _visible_ids(two_teams["south_manager"]) == {carol_customer}
    assert await _visible_ids(two_teams["admin"]) == {alice_customer, carol_customer}
    response = await two_teams["south_manager"].get(f"/api/customers/{alice_customer}")
    assert response.status_code == 404


async def test_rep_cannot_create_customers_for_someone_else(two_teams):
    alice, bob = two_teams["alice"], two_teams["bob"]
    response = await alice.post("/api/customers", json={**CUSTOMER, "owner_id": bob.id})
    assert response.status_code == 403
    manager = two_teams["north_manager"]
    response = await manager.post("/api/customers", json={**CUSTOMER, "owner_id": bob.id})
    assert response.status_code == 201
    assert response.json()["owner_id"] == bob.id


async def test_admin_endpoints_are_admin_only(two_teams):
    for who in ("alice", "north_manager"):
        assert (await two_teams[who].get("/api/admin/users")).status_code == 403
    assert (await two_teams["admin"].get("/api/admin/users")).status_code == 200


async def test_no_token_means_401_everywhere(client):
    for method, url in [
        ("GET", "/api/customers"),
        ("POST", "/api/customers"),
        ("GET", "/api/customers/00000000-0000-0000-0000-000000000000"),
        ("GET", "/api/auth/me"),
        ("GET", "/api/admin/users"),
    ]:
        response = await client.request(method, url, headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401, (method, url)
