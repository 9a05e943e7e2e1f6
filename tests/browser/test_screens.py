"""Layouts: the rep's phone screens fit 360–420 px without sideways scrolling; the manager's
desktop pipeline board and analytics render at 1280 px. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

# Against the device width: with is_mobile the layout viewport would grow to fit the content.
NO_SIDEWAYS_SCROLL = "(width) => document.documentElement.scrollWidth <= width"


@pytest.mark.parametrize("width", [360, 420])
def test_rep_screens_fit_a_phone(new_context, live_server, artifacts, width) -> None:
    page = new_context(viewport={"width": width, "height": 800}, is_mobile=True).new_page()
    sign_in(page, "li.wei")
    customer = live_server.api("li.wei", "GET", "/api/customers/?per_page=1").json()["items"][0]
    screens = {
        "customers": "/#/customers",
        "customer": f"/#/customers/{customer['id']}",
        "visit": f"/#/customers/{customer['id']}/visit",
        "edit": f"/#/customers/{customer['id']}/edit",
        "new": "/#/customers/new",
        "followups": "/#/followups",
        "pipeline": "/#/pipeline",
        "settings": "/#/settings",
    }
    for name, url in screens.items():
        page.goto(url)
        page.wait_for_selector("#main h1")
        page.wait_for_timeout(300)  # late, online-only parts of a page
        assert page.evaluate(NO_SIDEWAYS_SCROLL, width), f"{name} scrolls sideways at {width}px"
        if name == "customer":
            page.screenshot(path=artifacts / f"customer-mobile-{width}.png", full_page=True)


def test_manager_desktop_pipeline_and_analytics(new_context, live_server, artifacts) -> None:
    page = new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    sign_in(page, "manager1")
    page.goto("/#/pipeline")
    page.wait_for_selector(".column[data-stage=lead] .deal")
    columns = page.eval_on_selector_all(".board .column", "cols => cols.map(c => c.dataset.stage)")
    assert columns[:2] == ["lead", "first_contact"] and columns[-2:] == ["won", "lost"]
    assert page.evaluate(NO_SIDEWAYS_SCROLL, 1280)
    page.screenshot(path=artifacts / "pipeline-desktop.png", full_page=True)

    page.goto("/#/analytics")
    page.wait_for_selector("#funnel svg")
    page.wait_for_selector("#rep-activity svg")
    page.wait_for_selector("#data-quality table")
    page.screenshot(path=artifacts / "analytics-desktop.png", full_page=True)

    page.goto("/#/customers")
    page.wait_for_selector("#customer-list li a.item")
    assert page.locator("#f-owner option").count() > 1  # the team's reps to filter by
    page.screenshot(path=artifacts / "team-customers-desktop.png")
