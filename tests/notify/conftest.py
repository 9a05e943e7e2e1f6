"""Fixtures for delivery tests: a real local push service and a sender pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from server.notify.vapid import VapidKeys
from server.notify.webpush_sender import PushSubscriptionInfo, WebPushSender
from tests.support.push_service import BrowserSubscription, LocalPushService

SUBJECT = "mailto:ops@fieldcrm.example"


@pytest.fixture(scope="module")
def push_service() -> Iterator[LocalPushService]:
    with LocalPushService() as service:
        yield service


@pytest.fixture(scope="module")
def vapid_keys() -> VapidKeys:
    return VapidKeys.generate()


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
        yield client


@pytest.fixture
def sender(vapid_keys: VapidKeys, http_client: httpx.AsyncClient) -> WebPushSender:
    # The local service speaks plain http; production senders refuse that.
    return WebPushSender(vapid_keys, SUBJECT, http_client, allow_http_endpoints=True)


@pytest.fixture
def subscription(push_service: LocalPushService, vapid_keys: VapidKeys) -> BrowserSubscription:
    return push_service.subscribe(application_server_key=vapid_keys.application_server_key)


@pytest.fixture
def target(subscription: BrowserSubscription) -> PushSubscriptionInfo:
    """What the server stores after the PWA uploads PushSubscription.toJSON()."""
    return PushSubscriptionInfo.from_json(subscription.to_json())
