"""The service worker turns a web-push message (the reminder payload the server sends) into
a notification. Delivered through Chromium's DevTools protocol: headless Chromium has no
push service to subscribe with, so the subscribe half is not exercised here."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import eventually, sign_in, wait_service_worker

pytestmark = pytest.mark.browser


def test_push_message_is_shown_as_a_notification(new_context, live_server) -> None:
    context = new_context()
    context.grant_permissions(["notifications"])
    page = context.new_page()
    sign_in(page, "li.wei")
    wait_service_worker(page)
    cdp = context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(300)
    scope = next(r for r in registrations if r["scopeURL"] == f"{live_server.url}/")
    payload = {  # the shape of server.domain.reminders.reminder_push_payload
        "title": "跟进提醒：华信软件",
        "body": "上次联系 8 天前 · 建议：发送报价",
        "tag": "cadence:abc:2026-11-23",
        "data": {"kind": "cadence", "customer_id": "abc"},
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.url,
            "registrationId": scope["registrationId"],
            "data": json.dumps(payload),
        },
    )
    shown = eventually(
        lambda: page.evaluate(
            """async () => {
                const all = await (await navigator.serviceWorker.ready).getNotifications();
                return all.map((n) => [n.title, n.body, n.tag, n.data]);
            }"""
        )
    )
    assert shown == [[payload["title"], payload["body"], payload["tag"], payload["data"]]]


def test_public_key_endpoint_gives_an_application_server_key(live_server) -> None:
    key = live_server.api("li.wei", "GET", "/api/push/public-key").json()["public_key"]
    assert len(key) == 87 and "=" not in key  # base64url of a 65-byte P-256 point
