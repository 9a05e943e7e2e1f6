"""A real Web Push service on 127.0.0.1 for tests, standing in for FCM / Mozilla / Apple.

It plays both ends a real push goes through: the push service, which checks the VAPID
`Authorization: vapid t=<JWT>, k=<key>` header (ES256 signature, `aud` = this origin, `exp` in
the future and at most 24 h away, `sub` a mailto:/https: URL) and the request headers, and the
browser, which decrypts the aes128gcm body with its subscription's private key and auth secret.
Verification uses PyJWT and http_ece, not the code under test.

    with LocalPushService() as service:
        subscription = service.subscribe()          # like pushManager.subscribe()
        ... POST to subscription.endpoint ...
        service.received(subscription)              # decrypted payloads
        service.fail_next(subscription, 500, times=2)
        service.unsubscribe(subscription)           # later pushes get 410
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAX_MESSAGE_BYTES = 4096  # RFC 8030 §7.2: services must accept at least this much
MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserSubscription:
    """What a browser holds after pushManager.subscribe(): endpoint plus its private keys."""

    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    application_server_key: str | None = None  # the VAPID key it was bound to, if any

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        return _b64url(point)

    @property
    def auth(self) -> str:
        return _b64url(self.auth_secret)

    def to_json(self) -> dict[str, Any]:
        """The shape of PushSubscription.toJSON(), as the PWA would upload it."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": self.auth},
        }


def make_browser_subscription(
    endpoint: str, application_server_key: str | None = None
) -> BrowserSubscription:
    """A fresh P-256 key pair and 16-byte auth secret, as a user agent creates them."""
    return BrowserSubscription(
        id=endpoint.rstrip("/").rsplit("/", 1)[-1],
        endpoint=endpoint,
        private_key=ec.generate_private_key(ec.SECP256R1()),
        auth_secret=os.urandom(16),
        application_server_key=application_server_key,
    )


@dataclass(frozen=True)
class ReceivedPush:
    subscription_id: str
    payload: bytes  # decrypted
    headers: dict[str, str]  # lower-case names
    claims: dict[str, Any]  # the verified VAPID JWT claims

    def text(self) -> str:
        return self.payload.decode()

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass(frozen=True)
class RefusedPush:
    subscription_id: str
    status: int
    reason: str


@dataclass(frozen=True)
class _Scripted:
    status: int
    retry_after: str | None


class PushRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class _State:
    subscriptions: dict[str, BrowserSubscription] = field(default_factory=dict)
    unsubscribed: set[str] = field(default_factory=set)
    scripted: dict[str, deque[_Scripted]] = field(default_factory=lambda: defaultdict(deque))
    attempts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    received: list[ReceivedPush] = field(default_factory=list)
    refused: list[RefusedPush] = field(default_factory=list)


def verify_vapid(authorization: str, audience: str, now: float) -> tuple[dict[str, Any], str]:
    """(claims, k) of a valid `vapid t=…, k=…` header; raises PushRefused(401) otherwise."""
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise PushRefused(401, f"authorization scheme {scheme!r} is not vapid")
    params = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    token, key = params.get("t", ""), params.get("k", "")
    try:
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64url(key))
        claims = jwt.decode(
            token,
            public_key,
            algorithms=["ES256"],
            audience=audience,
            options={"require": ["aud", "exp", "sub"]},
        )
    except (ValueError, jwt.PyJWTError) as exc:
        raise PushRefused(401, f"invalid VAPID token: {exc}") from exc
    if claims["exp"] > now + MAX_TOKEN_LIFETIME_SECONDS:
        raise PushRefused(401, "VAPID exp is more than 24 hours ahead")
    if not str(claims["sub"]).startswith(("mailto:", "https:")):
        raise PushRefused(401, f"VAPID sub {claims['sub']!r} is not a mailto: or https: URL")
    return claims, key


def _check_push_headers(headers: dict[str, str], body: bytes) -> None:
    ttl = headers.get("ttl", "")
    if not ttl.isdigit():
        raise PushRefused(400, f"TTL header missing or invalid: {ttl!r}")
    if headers.get("content-encoding") != "aes128gcm":
        raise PushRefused(415, f"content-encoding {headers.get('content-encoding')!r}")
    if len(body) > MAX_MESSAGE_BYTES:
        raise PushRefused(413, f"message of {len(body)} bytes")


def _decrypt(subscription: BrowserSubscription, body: bytes) -> bytes:
    try:
        return http_ece.decrypt(
            body,
            private_key=subscription.private_key,
            auth_secret=subscription.auth_secret,
            version="aes128gcm",
        )
    except Exception as exc:  # http_ece raises several types for malformed input
        raise PushRefused(400, f"payload does not decrypt: {exc!r}") from exc


class LocalPushService:
    """The service; start() binds a random port and serves from a background thread."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._lock = threading.Lock()
        self._state = _State()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----

    def start(self) -> LocalPushService:
        server = ThreadingHTTPServer((self._host, 0), _handler_for(self))
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LocalPushService:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        if self._server is None:
            raise RuntimeError("push service is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ---- what tests do ----

    def subscribe(self, application_server_key: str | None = None) -> BrowserSubscription:
        subscription = make_browser_subscription(
            f"{self.origin}/push/{uuid.uuid4().hex}", application_server_key
        )
        with self._lock:
            self._state.subscriptions[subscription.id] = subscription
        return subscription

    def unsubscribe(self, subscription: BrowserSubscription) -> None:
        """The user revoked permission or the subscription expired: pushes now get 410."""
        with self._lock:
            self._state.unsubscribed.add(subscription.id)

    def fail_next(
        self,
        subscription: BrowserSubscription,
        status: int,
        times: int = 1,
        retry_after: str | None = None,
    ) -> None:
        """Answer the next `times` valid pushes to this subscription with `status`."""
        with self._lock:
            queue = self._state.scripted[subscription.id]
            queue.extend(_Scripted(status, retry_after) for _ in range(times))

    def received(self, subscription: BrowserSubscription | None = None) -> list[ReceivedPush]:
        with self._lock:
            return [
                push
                for push in self._state.received
                if subscription is None or push.subscription_id == subscription.id
            ]

    def refused(self, subscription: BrowserSubscription | None = None) -> list[RefusedPush]:
        with self._lock:
            return [
                r
                for r in self._state.refused
                if subscription is None or r.subscription_id == subscription.id
            ]

    def attempts(self, subscription: BrowserSubscription) -> int:
        """Every POST to the subscription, whatever the answer."""
        with self._lock:
            return self._state.attempts[subscription.id]

    # ---- the protocol ----

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        """Status and response headers for one POST; records what it accepted or refused."""
        subscription_id = path.removeprefix("/push/")
        with self._lock:
            self._state.attempts[subscription_id] += 1
            subscription = self._state.subscriptions.get(subscription_id)
            gone = subscription_id in self._state.unsubscribed
        if not path.startswith("/push/") or subscription is None:
            return 404, {}
        if gone:
            return 410, {}
        try:
            push = self._accept(subscription, headers, body)
        except PushRefused as refusal:
            with self._lock:
                self._state.refused.append(
                    RefusedPush(subscription_id, refusal.status, refusal.reason)
                )
            return refusal.status, {}
        with self._lock:
            scripted = self._state.scripted[subscription_id]
            if scripted:
                answer = scripted.popleft()
                extra = {"Retry-After": answer.retry_after} if answer.retry_after else {}
                return answer.status, extra
            self._state.received.append(push)
            number = len(self._state.received)
        return 201, {"Location": f"{self.origin}/message/{number}"}

    def _accept(
        self, subscription: BrowserSubscription, headers: dict[str, str], body: bytes
    ) -> ReceivedPush:
        _check_push_headers(headers, body)
        claims, key = verify_vapid(headers.get("authorization", ""), self.origin, time.time())
        expected_key = subscription.application_server_key
        if expected_key is not None and key != expected_key:
            raise PushRefused(403, "VAPID key differs from the subscription's")
        payload = _decrypt(subscription, body)
        return ReceivedPush(subscription.id, payload, dict(headers), claims)


def _handler_for(service: LocalPushService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, extra = service.handle(self.path, headers, body)
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler
