"""Device subscriptions through the HTTP API, and the public VAPID key."""

from __future__ import annotations

from server.db.reminder_tables import PushSubscription
from server.notify.vapid import load_or_create_vapid_keys
from tests.support.push_service import make_browser_subscription


def _browser(name: str = "abc") -> dict:
    return make_browser_subscription(f"https://push.example.test/send/{name}").to_json()


async def test_public_key_needs_no_login_and_is_the_stored_key(client, settings):
    response = await client.get("/api/push/public-key")
    assert response.status_code == 200
    keys = load_or_create_vapid_keys(settings.data_dir, settings.vapid_private_key)
    assert response.json() == {"public_key": keys.application_server_key}


async def test_subscribe_list_and_resubscribe_the_same_device(make_user):
    rep = await make_user("rep")
    body = {**_browser(), "device_label": "Mate 60"}
    created = await rep.post("/api/push/subscriptions", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["device_label"] == "Mate 60"
    again = await rep.post("/api/push/subscriptions", json={**_browser(), "device_label": "new"})
    assert again.json()["id"] == created.json()["id"]  # same endpoint: updated, not added
    listed = (await rep.get("/api/push/subscriptions")).json()
    assert [(s["id"], s["device_label"]) for s in listed] == [(created.json()["id"], "new")]
    assert "p256dh" not in listed[0]


async def test_bad_subscriptions_get_field_errors(make_user):
    rep = await make_user("rep")
    body = _browser()
    body["endpoint"] = "http://169.254.169.254/latest"  # not https: refused
    body["keys"] = {"p256dh": "bm90IGEga2V5", "auth": "c2hvcnQ"}
    response = await rep.post("/api/push/subscriptions", json=body)
    assert response.status_code == 422
    fields = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert fields == {
        "endpoint": "push.endpoint.invalid",
        "keys.p256dh": "push.key.invalid",
        "keys.auth": "push.key.invalid",
    }
    assert all(e["message"] for e in response.json()["errors"])
    missing = await rep.post("/api/push/subscriptions", json={"endpoint": "https://x.test/1"})
    assert missing.status_code == 400
    unknown = await rep.post("/api/push/subscriptions", json={**_browser(), "admin": True})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["code"] == "field.unknown"
    assert await PushSubscription.count() == 0


async def test_unsubscribe_only_your_own(make_user):
    rep, other = await make_user("rep"), await make_user("rep")
    mine = (await rep.post("/api/push/subscriptions", json=_browser("mine"))).json()
    theirs = (await other.post("/api/push/subscriptions", json=_browser("theirs"))).json()
    by_endpoint = await rep.request(
        "DELETE", "/api/push/subscriptions", json={"endpoint": theirs["endpoint"]}
    )
    by_id = await rep.delete(f"/api/push/subscriptions/{theirs['id']}")
    assert (by_endpoint.status_code, by_id.status_code) == (404, 404)
    assert await PushSubscription.count() == 2
    gone = await rep.request(
        "DELETE", "/api/push/subscriptions", json={"endpoint": mine["endpoint"]}
    )
    assert gone.status_code == 204
    assert (await other.delete(f"/api/push/subscriptions/{theirs['id']}")).status_code == 204
    assert await PushSubscription.count() == 0


async def test_subscriptions_need_a_login(client):
    response = await client.post("/api/push/subscriptions", json=_browser())
    assert response.status_code == 401
