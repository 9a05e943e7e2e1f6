"""The manager's pipeline board: drag a deal to a later stage; missing exit-criteria fields
are asked for (checked on the device, and the server's 422 field errors shown the same way
when the device did not know a rule); keyboard moves with ←/→."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import LiveServer, sign_in

pytestmark = pytest.mark.browser


def _new_lead_deal(live_server: LiveServer, title: str) -> dict:
    customer = live_server.api("li.wei", "GET", "/api/customers/?per_page=1").json()["items"][0]
    response = live_server.api(
        "manager1", "POST", "/api/deals/", json={"customer_id": customer["id"], "title": title}
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def _board(new_context):
    page = new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    sign_in(page, "manager1")
    page.goto("/#/pipeline")
    page.wait_for_selector(".column[data-stage=lead]")
    return page


def _drag(page, card: str, stage: str) -> None:
    # Drop near the column's top: aiming at the centre of a tall column would scroll the
    # page between mouse-down and the drag start.
    page.drag_and_drop(card, f".column[data-stage={stage}]", target_position={"x": 30, "y": 30})


def _deal(live_server: LiveServer, deal_id: str) -> dict:
    return live_server.api("manager1", "GET", f"/api/deals/{deal_id}").json()


def test_drag_asks_for_exit_criteria_then_moves(new_context, live_server) -> None:
    deal = _new_lead_deal(live_server, "拖拽测试 drag test")
    page = _board(new_context)
    card = f".deal[data-deal='{deal['id']}']"
    _drag(page, card, "proposal")

    dialog = page.wait_for_selector("#move-dialog[open]")
    asked = page.eval_on_selector_all("#move-dialog li", "items => items.map(i => i.dataset.field)")
    assert asked == ["amount", "expected_close"]  # exits of first contact and needs confirmed
    assert "Proposal" in dialog.inner_text()
    page.fill("#mv-amount", "250000")
    page.fill("#mv-expected_close", "2027-03-31")
    page.click("#move-dialog button[value=ok]")
    page.wait_for_selector(f".column[data-stage=proposal] {card}")

    moved = _deal(live_server, deal["id"])
    assert moved["stage"] == "proposal"
    assert moved["amount"] == 250000
    assert moved["expected_close"] == "2027-03-31"

    # Keyboard: focus the card, ← moves it back one stage (moving back needs nothing).
    page.focus(card)
    page.keyboard.press("ArrowLeft")
    page.wait_for_selector(f".column[data-stage=needs_confirmed] {card}")
    assert _deal(live_server, deal["id"])["stage"] == "needs_confirmed"


def test_server_422_field_errors_are_shown(new_context, live_server) -> None:
    """The device's copy of the stage rules is out of date (no exit criteria): the server
    refuses the move and its field errors appear in the dialog, in the UI language."""
    deal = _new_lead_deal(live_server, "服务器校验 server check")
    page = new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    stages = live_server.api("manager1", "GET", "/api/pipeline/stages/").json()
    relaxed = [{**s, "exit_criteria": []} for s in stages]
    page.route(
        "**/api/pipeline/stages",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(relaxed)
        ),
    )
    sign_in(page, "manager1")
    page.goto("/#/pipeline")
    card = f".deal[data-deal='{deal['id']}']"
    page.wait_for_selector(card)
    _drag(page, card, "first_contact")
    page.wait_for_selector(f".column[data-stage=first_contact] {card}")
    assert _deal(live_server, deal["id"])["stage"] == "first_contact"  # lead has no exits

    _drag(page, card, "needs_confirmed")
    error = page.wait_for_selector("#move-dialog[open] li[data-field=amount]")
    assert "金额" in error.inner_text()  # the server's message, in Chinese
    page.click("#move-dialog button[value=cancel]")
    page.wait_for_selector("#move-dialog", state="detached")
    assert _deal(live_server, deal["id"])["stage"] == "first_contact"
