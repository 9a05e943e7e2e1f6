"""Web Push delivery: encrypt (RFC 8291 aes128gcm), sign (VAPID), POST (RFC 8030), classify.

`WebPushSender.send` never raises for delivery problems; it returns what the caller must do:

- Delivered  — done.
- Gone       — 404/410: the subscription expired or was revoked; delete it.
- RetryLater — 429, 5xx, 408 or a network error; `retry_after` (seconds) when the service said.
- Rejected   — any other 4xx (bad VAPID, payload too large …) or an unusable subscription;
               retrying the same request cannot help, so log it and move on.

`send_with_retry` retries RetryLater a few times with exponential backoff and jitter; a wait
longer than its patience is handed back so the job queue can reschedule instead of sleeping.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from webpush import WebPush
from webpush.types import WebPushSubscription

from server.notify.vapid import (
    VapidKeys,
    b64url_decode,
    b64url_encode,
    normalize_vapid_subject,
    vapid_authorization,
)

# RFC 8291 §4: a push message is at most 4096 bytes; aes128gcm's 86-byte header, the padding
# delimiter and the 16-byte tag leave this much for the plaintext.
MAX_PAYLOAD_BYTES = 3993
DEFAULT_TTL_SECONDS = 24 * 3600  # a reminder is still worth showing when the phone wakes up
AUTH_SECRET_BYTES = 16


class Urgency(StrEnum):
    """RFC 8030 §5.3: lets a phone on battery saver defer low-urgency messages."""

    VERY_LOW = "very-low"
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


@dataclass(frozen=True)
class PushSubscriptionInfo:
    """What a browser's PushSubscription.toJSON() gives: endpoint and the two keys."""

    endpoint: str
    p256dh: str
    auth: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PushSubscriptionInfo:
        keys = data.get("keys") or {}
        return cls(
            str(data.get("endpoint", "")), str(keys.get("p256dh", "")), str(keys.get("auth", ""))
        )

    def to_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def validate_subscription(
    subscription: PushSubscriptionInfo, allow_http: bool = False
) -> PushSubscriptionInfo:
    """Raises ValueError unless the subscription can be encrypted to and posted to.

    Use it when a device subscribes, too: push endpoints are always https, and accepting any
    URL would let a client make the server POST to internal addresses.
    """
    scheme = subscription.endpoint.split(":", 1)[0].lower()
    if scheme != "https" and not (allow_http and scheme == "http"):
        raise ValueError("push endpoint must be an https URL")
    try:
        point = b64url_decode(subscription.p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        auth = b64url_decode(subscription.auth)
    except ValueError as exc:
        raise ValueError(f"bad subscription key: {exc}") from exc
    if len(point) != 65 or len(auth) != AUTH_SECRET_BYTES:
        raise ValueError("p256dh must be an uncompressed P-256 point and auth 16 bytes")
    return subscription


# ---- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivered:
    status: int


@dataclass(frozen=True)
class Gone:
    status: int


@dataclass(frozen=True)
class RetryLater:
    status: int | None  # None: no response (network error)
    retry_after: float | None
    reason: str


@dataclass(frozen=True)
class Rejected:
    status: int | None  # None: refused before sending
    reason: str


DeliveryOutcome = Delivered | Gone | RetryLater | Rejected


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def classify_response(
    status: int, retry_after: str | None, now: datetime, body: str = ""
) -> DeliveryOutcome:
    if 200 <= status < 300:
        return Delivered(status)
    if status in (404, 410):
        return Gone(status)
    if status in (408, 429) or status >= 500:
        return RetryLater(status, parse_retry_after(retry_after, now), f"http {status}")
    return Rejected(status, f"http {status}: {body[:200]}".strip())


def push_topic(key: str) -> str:
    """A Topic header value (≤ 32 base64url chars) for a key such as an occurrence key.

    A newer message with the same topic replaces an undelivered one at the push service.
    """
    return b64url_encode(hashlib.sha256(key.encode()).digest())[:32]


def encode_payload(payload: bytes | str | Mapping[str, Any]) -> bytes:
    """JSON keeps non-ASCII as UTF-8: Chinese text is half the size of \\u escapes."""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode()
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _utc_now() -> datetime:
    return datetime.now(UTC)


# ---- sending ----------------------------------------------------------------------------------


class WebPushSender:
    """Sends one push message per call through a shared httpx.AsyncClient."""

    def __init__(
        self,
        keys: VapidKeys,
        subject: str,
        client: httpx.AsyncClient,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        allow_http_endpoints: bool = False,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._keys = keys
        self._subject = normalize_vapid_subject(subject)
        self._client = client
        self._ttl_seconds = ttl_seconds
        self._allow_http = allow_http_endpoints
        self._clock = clock
        # Used for the RFC 8291 encryption only; its own VAPID header is replaced (see vapid.py).
        self._webpush = WebPush(
            private_key=keys.private_pem,
            public_key=keys.public_pem,
            subscriber=self._subject.removeprefix("mailto:"),
        )

    def encrypt(self, subscription: PushSubscriptionInfo, plaintext: bytes) -> bytes:
        target = WebPushSubscription.model_validate(subscription.to_json())
        return self._webpush.get(plaintext, target).encrypted

    def headers(
        self,
        subscription: PushSubscriptionInfo,
        *,
        ttl_seconds: int | None = None,
        urgency: Urgency = Urgency.NORMAL,
        topic: str | None = None,
    ) -> dict[str, str]:
        headers = {
            "Authorization": vapid_authorization(
                self._keys, subscription.endpoint, self._subject, self._clock()
            ),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(self._ttl_seconds if ttl_seconds is None else ttl_seconds),
            "Urgency": urgency.value,
        }
        if topic:
            headers["Topic"] = topic
        return headers

    async def send(
        self,
        subscription: PushSubscriptionInfo,
        payload: bytes | str | Mapping[str, Any],
        *,
        ttl_seconds: int | None = None,
        urgency: Urgency = Urgency.NORMAL,
        topic: str | None = None,
    ) -> DeliveryOutcome:
        plaintext = encode_payload(payload)
        if len(plaintext) > MAX_PAYLOAD_BYTES:
            return Rejected(None, f"payload of {len(plaintext)} bytes exceeds {MAX_PAYLOAD_BYTES}")
        try:
            validate_subscription(subscription, self._allow_http)
            body = self.encrypt(subscription, plaintext)
        except ValueError as exc:
            return Rejected(None, f"unusable subscription: {exc}")
        headers = self.headers(subscription, ttl_seconds=ttl_seconds, urgency=urgency, topic=topic)
        try:
            response = await self._client.post(subscription.endpoint, content=body, headers=headers)
        except httpx.UnsupportedProtocol as exc:
            return Rejected(None, f"unsupported endpoint: {exc}")
        except httpx.TransportError as exc:
            return RetryLater(None, None, f"network error: {type(exc).__name__}: {exc}")
        return classify_response(
            response.status_code, response.headers.get("retry-after"), self._clock(), response.text
        )


# ---- retrying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4  # including the first
    base_delay: float = 1.0  # seconds before the first retry (before jitter)
    max_delay: float = 60.0  # cap of one wait; a longer Retry-After is handed back


DEFAULT_RETRY_POLICY = RetryPolicy()


def backoff_delay(retry_number: int, policy: RetryPolicy, random_fraction: float) -> float:
    """Seconds before retry `retry_number` (1-based): base·2ⁿ⁻¹, capped, with equal jitter.

    Half the wait is fixed so retries are never immediate, half random so many workers that
    failed together do not retry together.
    """
    ceiling = min(policy.max_delay, policy.base_delay * 2 ** (retry_number - 1))
    return ceiling / 2 + ceiling / 2 * random_fraction


async def send_with_retry(
    attempt: Callable[[], Awaitable[DeliveryOutcome]],
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    *,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    random_fraction: Callable[[], float] = random.random,
) -> DeliveryOutcome:
    """Calls `attempt` until it is not RetryLater or attempts run out; returns the last outcome.

    Retry-After is obeyed as given; if it exceeds `policy.max_delay` the RetryLater is returned
    at once so the caller can re-enqueue the job for that time.
    """
    outcome = await attempt()
    for retry_number in range(1, policy.max_attempts):
        if not isinstance(outcome, RetryLater):
            return outcome
        if outcome.retry_after is not None:
            if outcome.retry_after > policy.max_delay:
                return outcome
            delay = outcome.retry_after
        else:
            delay = backoff_delay(retry_number, policy, random_fraction())
        await sleep(delay)
        outcome = await attempt()
    return outcome
