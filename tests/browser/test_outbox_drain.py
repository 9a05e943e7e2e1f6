"""100 edits queued offline all reach the server after reconnecting; prints how long the
outbox took to empty (the figure bench/pwa.py reports)."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import sign_in, wait_synced
from tests.browser.drain import drain, queue_edits

pytestmark = pytest.mark.browser

EDITS = 100


def test_hundred_queued_edits_drain_after_reconnect(new_context, live_server) -> None:
    context = new_context()
    page = context.new_page()
    sign_in(page, "emma.wilson")
    context.set_offline(True)
    tag = f"drain-{time.time_ns()}"
    queued = queue_edits(page, EDITS, tag)
    assert queued["pending"] == EDITS

    timing = drain(context, page)
    print(
        f"\nback online → outbox empty for {EDITS} edits: {timing['emptied']:.0f} ms"
        f" (sync incl. pull done: {timing['synced']:.0f} ms)"
    )
    wait_synced(page)
    # Each customer's last queued edit is what the server holds.
    customers = queued["customers"]
    last = {customers[i % len(customers)]: f"{tag} #{i}" for i in range(EDITS)}
    for customer_id, notes in last.items():
        on_server = live_server.api("emma.wilson", "GET", f"/api/customers/{customer_id}").json()
        assert on_server["notes"] == notes
