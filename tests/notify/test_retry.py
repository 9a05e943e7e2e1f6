"""Pure pieces of delivery: backoff, Retry-After, response classification, payload encoding."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.notify.webpush_sender import (
    Delivered,
    Gone,
    PushSubscriptionInfo,
    Rejected,
    RetryLater,
    RetryPolicy,
    backoff_delay,
    classify_response,
    encode_payload,
    parse_retry_after,
    push_topic,
)

NOW = datetime(2024, 2, 29, 12, 0, tzinfo=UTC)


def test_backoff_doubles_is_capped_and_jittered_within_bounds():
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0)
    lows = [backoff_delay(n, policy, 0.0) for n in range(1, 7)]
    highs = [backoff_delay(n, policy, 1.0) for n in range(1, 7)]
    assert highs == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert lows == [h / 2 for h in highs]
    assert backoff_delay(3, policy, 0.5) == 3.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Thu, 29 Feb 2024 12:01:30 GMT", 90.0),
        ("Thu, 29 Feb 2024 11:00:00 GMT", 0.0),  # in the past: retry now
        ("soon", None),
    ],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (201, Delivered(201)),
        (202, Delivered(202)),
        (404, Gone(404)),
        (410, Gone(410)),
        (408, RetryLater(408, None, "http 408")),
        (429, RetryLater(429, None, "http 429")),
        (502, RetryLater(502, None, "http 502")),
        (401, Rejected(401, "http 401: bad jwt")),
        (413, Rejected(413, "http 413: bad jwt")),
    ],
)
def test_classify_response(status, outcome):
    assert classify_response(status, None, NOW, "bad jwt") == outcome


def test_topic_is_short_url_safe_and_stable():
    topic = push_topic("cadence:0b1c:2024-02-29")
    assert topic == push_topic("cadence:0b1c:2024-02-29")
    assert len(topic) == 32
    assert set(topic) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_payload_encoding_keeps_chinese_compact():
    assert encode_payload({"t": "提醒"}) == '{"t":"提醒"}'.encode()
    assert encode_payload("文") == "文".encode()
    assert encode_payload(b"raw") == b"raw"


def test_subscription_info_reads_push_subscription_json():
    info = PushSubscriptionInfo.from_json(
        {
            "endpoint": "https://p.example/1",
            "expirationTime": None,
            "keys": {"p256dh": "P", "auth": "A"},
        }
    )
    assert info == PushSubscriptionInfo("https://p.example/1", "P", "A")
    assert PushSubscriptionInfo.from_json(info.to_json()) == info
