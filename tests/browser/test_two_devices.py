"""Two devices (a rep's phone and the manager's browser) edit one customer offline; after
both sync, both edits are on both devices and on the server (field-level merge), and when
both wrote the same field, the overwritten value is shown on the record as a conflict."""

from __future__ import annotations

import pytest

from tests.browser.conftest import LiveServer, eventually, sign_in, wait_synced

pytestmark = pytest.mark.browser

LOCAL_VALUES = """async (id) => {
  const { getRecord } = await import('/app/js/store.js');
  return (await getRecord('customer', id))?.values || null;
}"""
SYNC_NOW = "async () => { const m = await import('/app/js/sync.js'); await m.syncNow(); }"


def _shared_customer(live_server: LiveServer, skip: int) -> dict:
    """A customer of li.wei's that manager1 (same team) sees too."""
    mine = live_server.api("li.wei", "GET", "/api/customers/?per_page=30").json()["items"]
    return [c for c in mine if c["phone"]][skip]


def _edit(page, customer_id: str, field: str, value: str) -> None:
    page.goto(f"/#/customers/{customer_id}/edit")
    page.fill(f"#f-{field}", value)
    page.click("#customer-form button[type=submit]")
    page.wait_for_selector(f"article.customer[data-id='{customer_id}']")


def _devices(new_context) -> tuple:
    rep_context = new_context()
    manager_context = new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    rep, manager = rep_context.new_page(), manager_context.new_page()
    sign_in(rep, "li.wei")
    sign_in(manager, "manager1")
    return rep_context, rep, manager_context, manager


def test_edits_of_different_fields_offline_both_survive(new_context, live_server) -> None:
    customer = _shared_customer(live_server, skip=1)
    rep_context, rep, manager_context, manager = _devices(new_context)
    rep_context.set_offline(True)
    manager_context.set_offline(True)

    _edit(rep, customer["id"], "phone", "138 0013 8000")
    _edit(manager, customer["id"], "address", "上海市浦东新区世纪大道 100 号")

    rep_context.set_offline(False)
    wait_synced(rep)
    manager_context.set_offline(False)
    wait_synced(manager)
    rep.evaluate(SYNC_NOW)  # the rep pulls the manager's edit (the next periodic sync would)

    for page in (rep, manager):
        values = page.evaluate(LOCAL_VALUES, customer["id"])
        assert values["phone"] == "+8613800138000"
        assert values["address"] == "上海市浦东新区世纪大道 100 号"
    rep.goto(f"/#/customers/{customer['id']}")
    rep.wait_for_selector("#profile dd[data-field=address] >> text=世纪大道")
    rep.wait_for_selector("#profile dd[data-field=phone] >> text=138 0013 8000")

    on_server = live_server.api("manager1", "GET", f"/api/customers/{customer['id']}").json()
    assert on_server["phone"] == "+8613800138000"
    assert on_server["address"] == "上海市浦东新区世纪大道 100 号"


def test_same_field_offline_later_write_wins_and_conflict_is_shown(
    new_context, live_server
) -> None:
    customer = _shared_customer(live_server, skip=2)
    rep_context, rep, manager_context, manager = _devices(new_context)
    rep_context.set_offline(True)
    manager_context.set_offline(True)

    _edit(rep, customer["id"], "notes", "rep: 客户要求周五前报价")
    _edit(manager, customer["id"], "notes", "manager: wait for the budget")  # later HLC

    rep_context.set_offline(False)
    wait_synced(rep)
    manager_context.set_offline(False)
    wait_synced(manager)
    rep.evaluate(SYNC_NOW)

    for page in (rep, manager):
        assert (
            page.evaluate(LOCAL_VALUES, customer["id"])["notes"] == "manager: wait for the budget"
        )
    rep.goto(f"/#/customers/{customer['id']}")
    conflict = rep.wait_for_selector("#conflicts li[data-field=notes]")
    assert "rep: 客户要求周五前报价" in conflict.inner_text()
    # The rep may put their value back with one click.
    rep.click("#conflicts [data-action=keep-mine]")

    def notes_on_server() -> str:
        return live_server.api("li.wei", "GET", f"/api/customers/{customer['id']}").json()["notes"]

    assert eventually(lambda: notes_on_server() == "rep: 客户要求周五前报价")
