"""The customer form mirrors the server's rules: a bad phone shows its field error in the
current language before saving, and the client-side phone/HLC code agrees with the server's
(phonenumbers, sync/hlc.py) on the same inputs."""

from __future__ import annotations

import phonenumbers
import pytest

from sync.hlc import HLC, HybridClock
from tests.browser.conftest import sign_in, wait_synced

pytestmark = pytest.mark.browser

PHONE_ERROR = {"zh-CN": "电话号码无效。", "en": "Not a valid phone number."}
REQUIRED = {"zh-CN": "此项为必填项。", "en": "This field is required."}
CONTACT = {
    "zh-CN": "请至少填写一种联系方式（电话或邮箱）。",
    "en": "Enter at least one contact method (phone or email).",
}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_invalid_phone_shows_the_field_error_in_the_current_language(
    new_context, live_server, lang
) -> None:
    page = new_context(locale="zh-CN").new_page()
    sign_in(page, "li.wei")
    page.select_option("#lang-switch", lang)  # switching re-renders in the new language
    page.wait_for_function(f"document.documentElement.lang === '{lang}'")
    page.goto("/#/customers/new")
    page.wait_for_selector("#customer-form")

    page.fill("#f-phone", "12345")
    page.press("#f-phone", "Tab")  # checked when the field is left
    assert page.inner_text("#err-phone") == PHONE_ERROR[lang]
    assert page.get_attribute("#f-phone", "aria-invalid") == "true"

    page.fill("#f-phone", "")
    page.click("#customer-form button[type=submit]")  # nothing saved: name and contact missing
    assert page.inner_text("#err-name") == REQUIRED[lang]
    assert page.inner_text("#err-phone") == CONTACT[lang]
    assert page.evaluate("document.activeElement.id") == "f-name"

    page.fill("#f-name", "Acme 测试有限公司")
    page.fill("#f-email", "not-an-email")
    page.fill("#f-phone", "+1 650 253 0000")
    page.click("#customer-form button[type=submit]")
    assert page.inner_text("#err-email") != ""
    page.fill("#f-email", "buyer@acme.example.cn")
    page.click("#customer-form button[type=submit]")
    page.wait_for_selector("article.customer h1 >> text=Acme 测试有限公司")
    wait_synced(page)
    created = page.get_attribute("article.customer", "data-id")
    on_server = live_server.api("li.wei", "GET", f"/api/customers/{created}").json()
    assert on_server["phone"] == "+16502530000"
    assert on_server["email"] == "buyer@acme.example.cn"


def test_a_change_the_server_refuses_is_shown_on_the_record(new_context, live_server) -> None:
    """A value the device's mirror lets through but the server refuses: the refusal (field and
    message) stays visible on the record until fixed or discarded."""
    page = new_context(locale="en-US").new_page()
    sign_in(page, "li.wei")
    customer = live_server.api("li.wei", "GET", "/api/customers/?per_page=1").json()["items"][0]
    page.goto(f"/#/customers/{customer['id']}")
    page.wait_for_selector("article.customer")
    # Inject a change around the form's checks, as an old app version might have queued it.
    page.evaluate(
        """async (id) => {
            const { saveChange } = await import('/app/js/outbox.js');
            const { changed } = await import('/app/js/sync.js');
            await saveChange('customer', id, { email: 'x@@bad' });
            await changed();
        }""",
        customer["id"],
    )
    box = page.wait_for_selector("#rejected li[data-field=email]")
    assert "Not a valid email address." in box.inner_text()
    page.click("#rejected [data-action=discard]")
    page.wait_for_selector("#rejected", state="detached")
    assert page.get_attribute("#sync-status", "data-pending") == "0"


def test_likely_duplicates_are_shown_while_typing(new_context, live_server) -> None:
    existing = live_server.api("li.wei", "GET", "/api/customers/?per_page=5").json()["items"]
    other = next(c for c in existing if c["phone"])
    page = new_context().new_page()
    sign_in(page, "li.wei")
    page.goto("/#/customers/new")
    page.fill("#f-name", "新客户")
    page.fill("#f-phone", other["phone_display"])  # same number, typed the usual way
    box = page.wait_for_selector("#duplicates:not([hidden])")
    assert other["name"] in box.inner_text()
    assert page.is_visible(f"#duplicates a[href='#/customers/{other['id']}']")


PHONES = [
    "13800138000",
    "138 0013 8000",
    "+86 138 0013 8000",
    "008613800138000",
    "86 13800138000",
    "１３８００１３８０００",
    "13800138000 ext. 12",
    "12345678901",
    "1380013800",
    "11012345678",
    "010-65529988",
    "(010) 6552 9988",
    "+86 10 6552 9988",
    "0755-86013388",
    "021 5888 8888",
    "0571 8888 8888",
    "010 1234 567",
    "65529988",
    "400 810 8888",
    "95588",
    "123",
    "+1 650-253-0000",
    "+1 (650) 253-0000 x123",
    "+44 20 7946 0958",
    "+81 3-1234-5678",
    "+852 2123 4567",
    "+49 30 123456",
    "+61 2 9374 4000",
    "+33 1 42 68 53 00",
    "+91 98765 43210",
    "+999 1234567",
    "abc",
]


def _server_phone(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_client_phone_rules_agree_with_the_server(new_context, live_server) -> None:
    page = new_context().new_page()
    page.goto("/app/index.html")
    client = page.evaluate(
        """async (phones) => {
            const { normalizePhone } = await import('/app/js/validate.js');
            return phones.map((p) => { try { return normalizePhone(p); } catch { return null; } });
        }""",
        PHONES,
    )
    expected = [_server_phone(p) for p in PHONES]
    assert dict(zip(PHONES, client, strict=True)) == dict(zip(PHONES, expected, strict=True))


def test_client_hlc_matches_the_server_clock(new_context, live_server) -> None:
    """Same physical times and remote stamps in, same stamps out (sync/hlc.py)."""
    script = [
        ("now", 1_000),
        ("now", 1_000),
        ("now", 999),  # the wall clock went backwards: the counter goes on
        ("receive", 1_000, "0000000002000:00005:dev-b"),
        ("now", 1_500),
        ("receive", 3_000, "0000000002999:00007:dev-b"),
        ("now", 3_000),
        ("receive", 3_000, "0000000003000:00099:dev-b"),
    ]
    times = iter([step[1] for step in script])
    clock = HybridClock("web-abc", physical_ms=lambda: next(times))
    expected = [
        str(clock.now() if step[0] == "now" else clock.receive(HLC.parse(step[2])))
        for step in script
    ]
    page = new_context().new_page()
    page.goto("/app/index.html")
    got = page.evaluate(
        """async (script) => {
            const { HybridClock } = await import('/app/js/hlc.js');
            let i = 0;
            const clock = new HybridClock('web-abc', () => script[i][1]);
            const out = [];
            for (; i < script.length; i++) {
              out.push(script[i][0] === 'now' ? clock.now() : clock.receive(script[i][2]));
            }
            return out;
        }""",
        script,
    )
    assert got == expected
