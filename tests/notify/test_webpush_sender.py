"""Round trips through a real local push service: encryption, VAPID, outcomes, retries."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from server.domain import reminders as r
from server.notify.vapid import VapidKeys
from server.notify.webpush_sender import (
    MAX_PAYLOAD_BYTES,
    Delivered,
    Gone,
    PushSubscriptionInfo,
    Rejected,
    RetryLater,
    RetryPolicy,
    Urgency,
    WebPushSender,
    push_topic,
    send_with_retry,
    validate_subscription,
)
from tests.notify.conftest import SUBJECT
from tests.support.push_service import LocalPushService, PushRefused, verify_vapid


class RecordingSleep:
    """Stands in for asyncio.sleep: remembers the waits instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


# ---- delivery and decryption ------------------------------------------------------------------


async def test_json_payload_with_chinese_text_arrives_decrypted(
    sender: WebPushSender, push_service: LocalPushService, subscription, target
):
    payload = {"title": "该联系华东机电了", "body": "上次：拜访采购部\n建议：电话回访", "n": 3}
    outcome = await sender.send(target, payload)
    assert outcome == Delivered(201)
    [push] = push_service.received(subscription)
    assert push.json() == payload
    assert "华东机电".encode() in push.payload  # UTF-8, not \\u escapes


async def test_bytes_and_text_payloads_arrive_byte_for_byte(
    sender: WebPushSender, push_service: LocalPushService, subscription, target
):
    assert await sender.send(target, b"\x00\x01binary\xff") == Delivered(201)
    assert await sender.send(target, "纯文本 plain text") == Delivered(201)
    first, second = push_service.received(subscription)
    assert first.payload == b"\x00\x01binary\xff"
    assert second.text() == "纯文本 plain text"


async def test_rendered_reminder_payload_round_trip(
    sender: WebPushSender, push_service: LocalPushService, subscription, target
):
    customer = r.CustomerSnapshot(
        id="c-1",
        name="华东机电",
        owner_id=7,
        grade="A",
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        last_contact_at=datetime(2024, 1, 29, tzinfo=UTC),
        last_activity_summary="拜访采购部，对方关注交期" * 10,
        key_facts=("年采购额约 200 万",),
    )
    reminder = r.cadence_reminder(customer, datetime(2024, 2, 2, 3, tzinfo=UTC))
    payload = r.reminder_push_payload(reminder, "zh-CN")
    outcome = await sender.send(
        target, payload, urgency=Urgency.HIGH, topic=push_topic(reminder.occurrence_key)
    )
    assert outcome == Delivered(201)
    [push] = push_service.received(subscription)
    assert push.json() == payload
    assert push.headers["topic"] == push_topic(reminder.occurrence_key)
    assert push.headers["urgency"] == "high"


async def test_largest_allowed_payload_fits_one_push_message(
    sender: WebPushSender, push_service: LocalPushService, subscription, target
):
    largest = b"x" * MAX_PAYLOAD_BYTES
    assert await sender.send(target, largest) == Delivered(201)
    assert push_service.received(subscription)[-1].payload == largest
    too_big = await sender.send(target, largest + b"x")
    assert isinstance(too_big, Rejected) and too_big.status is None
    assert push_service.attempts(subscription) == 1  # refused before sending


# ---- VAPID and headers as the push service sees them ---------------------------------------


async def test_push_service_verified_vapid_claims_and_headers(
    sender: WebPushSender, push_service: LocalPushService, subscription, target
):
    await sender.send(target, {"x": 1}, ttl_seconds=600)
    [push] = push_service.received(subscription)
    assert push.claims["aud"] == push_service.origin  # includes the random port
    assert push.claims["sub"] == SUBJECT
    lifetime = push.claims["exp"] - datetime.now(UTC).timestamp()
    assert 11 * 3600 < lifetime <= 12 * 3600
    assert push.headers["ttl"] == "600"
    assert push.headers["content-encoding"] == "aes128gcm"
    assert push.headers["urgency"] == "normal"


async def test_expired_token_is_refused_by_the_service(
    vapid_keys: VapidKeys,
    http_client: httpx.AsyncClient,
    push_service: LocalPushService,
    subscription,
    target,
):
    def a_day_ago() -> datetime:
        return datetime.now(UTC) - timedelta(days=1)

    stale = WebPushSender(
        vapid_keys, SUBJECT, http_client, allow_http_endpoints=True, clock=a_day_ago
    )
    outcome = await stale.send(target, "hello")
    assert isinstance(outcome, Rejected) and outcome.status == 401
    [refusal] = push_service.refused(subscription)
    assert "expired" in refusal.reason.lower()
    assert push_service.received(subscription) == []


async def test_key_other_than_the_subscriptions_is_refused(
    http_client: httpx.AsyncClient, push_service: LocalPushService, subscription, target
):
    stranger = WebPushSender(VapidKeys.generate(), SUBJECT, http_client, allow_http_endpoints=True)
    outcome = await stranger.send(target, "hello")
    assert isinstance(outcome, Rejected) and outcome.status == 403


def test_service_verifier_rejects_forged_and_misaddressed_tokens(
    vapid_keys: VapidKeys, push_service: LocalPushService, subscription, target, sender
):
    genuine = sender.headers(target)["Authorization"]
    now = datetime.now(UTC).timestamp()
    claims, key = verify_vapid(genuine, push_service.origin, now)
    assert key == vapid_keys.application_server_key
    assert claims["aud"] == push_service.origin
    forged = genuine.replace(key, VapidKeys.generate().application_server_key)
    for header, audience in (
        (forged, push_service.origin),  # signature does not match k
        (genuine, "http://127.0.0.1:1"),  # wrong audience
        (genuine.replace("vapid", "WebPush", 1), push_service.origin),
    ):
        with pytest.raises(PushRefused) as refused:
            verify_vapid(header, audience, now)
        assert refused.value.status == 401


# ---- outcomes -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
async def test_expired_subscriptions_are_gone(
    sender: WebPushSender, push_service: LocalPushService, subscription, target, status
):
    push_service.fail_next(subscription, status)
    assert await sender.send(target, "x") == Gone(status)


async def test_unsubscribed_endpoint_answers_410_for_good(
    sender: WebPushSender, push_service: LocalPushService, subscription, target
):
    push_service.unsubscribe(subscription)
    assert await sender.send(target, "x") == Gone(410)
    assert await sender.send(target, "x") == Gone(410)


async def test_unknown_subscription_is_gone(sender: WebPushSender, target):
    lost = PushSubscriptionInfo(target.endpoint + "-unknown", target.p256dh, target.auth)
    assert await sender.send(lost, "x") == Gone(404)


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [(500, None, None), (503, "7", 7.0), (429, "120", 120.0)],
)
async def test_server_errors_and_throttling_mean_retry_later(
    sender: WebPushSender,
    push_service: LocalPushService,
    subscription,
    target,
    status,
    retry_after,
    expected,
):
    push_service.fail_next(subscription, status, retry_after=retry_after)
    assert await sender.send(target, "x") == RetryLater(status, expected, f"http {status}")


async def test_other_client_errors_are_rejected(
    sender: WebPushSender, push_service: LocalPushService, subscription, target
):
    push_service.fail_next(subscription, 400)
    outcome = await sender.send(target, "x")
    assert isinstance(outcome, Rejected) and outcome.status == 400


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A bound port nobody listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


async def test_network_errors_mean_retry_later(sender: WebPushSender, target, closed_port):
    unreachable = PushSubscriptionInfo(
        f"http://127.0.0.1:{closed_port}/push/x", target.p256dh, target.auth
    )
    outcome = await sender.send(unreachable, "x")
    assert isinstance(outcome, RetryLater) and outcome.status is None
    assert "ConnectError" in outcome.reason


async def test_insecure_or_broken_subscriptions_are_rejected_before_sending(
    vapid_keys: VapidKeys, http_client: httpx.AsyncClient, push_service, subscription, target
):
    production = WebPushSender(vapid_keys, SUBJECT, http_client)
    outcome = await production.send(target, "x")  # the local service is plain http
    assert isinstance(outcome, Rejected) and "https" in outcome.reason
    with pytest.raises(ValueError):
        validate_subscription(PushSubscriptionInfo("https://p.example/1", "AAAA", target.auth))
    with pytest.raises(ValueError):
        validate_subscription(PushSubscriptionInfo("https://p.example/1", target.p256dh, "AAAA"))
    assert validate_subscription(
        PushSubscriptionInfo("https://p.example/1", target.p256dh, target.auth)
    )
    assert push_service.attempts(subscription) == 0


# ---- retrying against the service -------------------------------------------------------------


async def test_server_errors_are_retried_with_backoff_then_delivered(
    sender: WebPushSender, push_service: LocalPushService, subscription, target
):
    push_service.fail_next(subscription, 500, times=2)
    sleep = RecordingSleep()
    policy = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=60.0)
    outcome = await send_with_retry(
        lambda: sender.send(target, {"msg": "重试后送达"}),
        policy,
        sleep=sleep,
        random_fraction=lambda: 1.0,
    )
    assert outcome == Delivered(201)
    assert sleep.delays == [1.0, 2.0]
    assert push_service.attempts(subscription) == 3
    [push] = push_service.received(subscription)
    assert push.json() == {"msg": "重试后送达"}


async def test_retry_after_is_obeyed(
    sender: WebPushSender, push_service: LocalPushService, subscription, target
):
    push_service.fail_next(subscription, 429, retry_after="5")
    sleep = RecordingSleep()
    outcome = await send_with_retry(lambda: sender.send(target, "x"), sleep=sleep)
    assert outcome == Delivered(201)
    assert sleep.delays == [5.0]


async def test_long_retry_after_is_handed_back_to_the_caller(
    sender: WebPushSender, push_service: LocalPushService, subscription, target
):
    push_service.fail_next(subscription, 429, retry_after="3600")
    sleep = RecordingSleep()
    outcome = await send_with_retry(lambda: sender.send(target, "x"), sleep=sleep)
    assert outcome == RetryLater(429, 3600.0, "http 429")
    assert sleep.delays == []
    assert push_service.attempts(subscription) == 1


async def test_gives_up_after_max_attempts(
    sender: WebPushSender, push_service: LocalPushService, subscription, target
):
    push_service.fail_next(subscription, 503, times=10)
    sleep = RecordingSleep()
    policy = RetryPolicy(max_attempts=3, base_delay=2.0)
    outcome = await send_with_retry(
        lambda: sender.send(target, "x"), policy, sleep=sleep, random_fraction=lambda: 0.0
    )
    assert outcome == RetryLater(503, None, "http 503")
    assert sleep.delays == [1.0, 2.0]  # half of 2 and of 4: the fixed part of equal jitter
    assert push_service.attempts(subscription) == 3
    assert push_service.received(subscription) == []


async def test_gone_is_not_retried(
    sender: WebPushSender, push_service: LocalPushService, subscription, target
):
    push_service.fail_next(subscription, 410)
    sleep = RecordingSleep()
    assert await send_with_retry(lambda: sender.send(target, "x"), sleep=sleep) == Gone(410)
    assert sleep.delays == []
