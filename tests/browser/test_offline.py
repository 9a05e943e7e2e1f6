"""Offline-first: the shell starts from the service worker without a network, edits made
offline wait in the outbox, and reach the server once the browser is back online."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import LiveServer, sign_in, wait_service_worker, wait_synced

pytestmark = pytest.mark.browser


def _status(page) -> dict[str, str]:
    return page.eval_on_selector("#sync-status", "el => ({...el.dataset, text: el.textContent})")


def _own_customer(live_server: LiveServer, username: str, skip: int = 0) -> dict:
    items = live_server.api(username, "GET", "/api/customers/?per_page=20").json()["items"]
    return [c for c in items if c["phone"]][skip]


def test_offline_reload_visit_and_phone_edit_then_sync(new_context, live_server) -> None:
    context = new_context()
    page = context.new_page()
    sign_in(page, "li.wei")
    wait_service_worker(page)
    customer = _own_customer(live_server, "li.wei")
    page.goto(f"/#/customers/{customer['id']}")
    page.wait_for_selector(f"article.customer[data-id='{customer['id']}']")

    context.set_offline(True)
    page.reload()  # the app shell comes from the service worker's cache
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector(f"article.customer[data-id='{customer['id']}']")
    assert _status(page)["online"] == "false"

    # Log a visit, offline.
    summary = f"离线拜访 {dt.datetime.now().isoformat()}"
    page.click(f"a[href='#/customers/{customer['id']}/visit']")
    page.fill("#v-summary", summary)
    page.fill("#v-next", "发送报价")
    page.fill("#v-followup", (dt.date.today() + dt.timedelta(days=3)).isoformat())
    page.click("#visit-form button[type=submit]")
    page.wait_for_selector("#activities li >> text=" + summary)

    # Edit the phone, offline.
    page.click(f"a[href='#/customers/{customer['id']}/edit']")
    page.fill("#f-phone", "139 1234 5678")
    page.click("#customer-form button[type=submit]")
    page.wait_for_selector("#profile dd[data-field=phone] >> text=139 1234 5678")
    page.wait_for_selector("#unsynced")
    status = _status(page)
    assert status["online"] == "false"
    assert status["pending"] == "3"  # activity, follow-up, customer

    context.set_offline(False)  # the `online` event starts a sync
    wait_synced(page)
    assert page.query_selector("#unsynced") is None

    on_server = live_server.api("li.wei", "GET", f"/api/customers/{customer['id']}/360").json()
    assert on_server["profile"]["phone"] == "+8613912345678"
    assert summary in [a["summary"] for a in on_server["activities"]]
    assert "发送报价" in [f["title"] for f in on_server["follow_ups"]]


def test_full_storage_is_reported_not_swallowed(new_context, live_server) -> None:
    """IndexedDB refusing a write (QuotaExceededError) tells the user; nothing is pretended."""
    page = new_context(locale="en-US").new_page()
    sign_in(page, "li.wei")
    customer = _own_customer(live_server, "li.wei")
    page.goto(f"/#/customers/{customer['id']}/edit")
    page.wait_for_selector("#customer-form")
    page.evaluate(
        """() => { IDBObjectStore.prototype.put = function () {
            throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); }; }"""
    )
    page.fill("#f-notes", "will not fit")
    page.click("#customer-form button[type=submit]")
    page.wait_for_selector(".toast.error >> text=Device storage is full")
    page.wait_for_selector("#banner:not([hidden]) >> text=Device storage is full")
    assert page.url.endswith("/edit")  # the form stays, with what was typed
    assert page.input_value("#f-notes") == "will not fit"


def test_clock_far_ahead_is_restamped_and_accepted(new_context, live_server) -> None:
    """A device clock an hour fast: the server refuses the stamps (hlc.future), the device
    adopts the server's time, re-stamps its unsent changes and they go through."""
    context = new_context()
    page = context.new_page()
    sign_in(page, "li.wei")
    customer = _own_customer(live_server, "li.wei", skip=1)
    context.set_offline(True)
    page.evaluate("() => { const real = Date.now; Date.now = () => real() + 3_600_000; }")
    page.goto(f"/#/customers/{customer['id']}/edit")
    page.fill("#f-notes", "clock skew test")
    page.click("#customer-form button[type=submit]")
    page.wait_for_selector("#unsynced")
    stamped = page.evaluate(
        "async () => (await (await import('/app/js/db.js')).getAll('outbox'))[0].hlc"
    )
    context.set_offline(False)
    wait_synced(page)
    on_server = live_server.api("li.wei", "GET", f"/api/customers/{customer['id']}").json()
    assert on_server["notes"] == "clock skew test"
    versions = page.evaluate(
        """async (id) => (await (await import('/app/js/store.js')).getRecord('customer', id))
            .server.versions.f.notes[0]""",
        customer["id"],
    )
    assert versions < stamped  # re-stamped with the server's time, not the fast clock's
