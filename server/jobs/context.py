"""What every job receives in its `ctx` dict, built the same way for arq and in-process.

Keys: settings, engine, clock (→ aware UTC now; tests inject a frozen one), delivery
(DeliveryDeps: the web-push sender, lease, retry policy), push_queue (None in-process).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from piccolo.engine.base import Engine

from server.config import Settings
from server.domain.clock import utcnow
from server.notify.vapid import load_or_create_vapid_keys
from server.notify.webpush_sender import WebPushSender
from server.services.reminder_delivery import DeliveryDeps, PushQueue

PUSH_HTTP_TIMEOUT = 10.0  # seconds per push request; a slow push service must not stall a job

JobContext = dict[str, Any]


def make_sender(settings: Settings, http: httpx.AsyncClient) -> WebPushSender:
    keys = load_or_create_vapid_keys(settings.data_dir, settings.vapid_private_key)
    return WebPushSender(
        keys, settings.vapid_subject, http, allow_http_endpoints=settings.push_allow_http
    )


@asynccontextmanager
async def job_context(
    settings: Settings,
    engine: Engine,
    push_queue: PushQueue | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
) -> AsyncIterator[JobContext]:
    async with httpx.AsyncClient(timeout=PUSH_HTTP_TIMEOUT) as http:
        delivery = DeliveryDeps(
            sender=make_sender(settings, http),
            clock=clock,
            lease=dt.timedelta(seconds=settings.push_lease_seconds),
        )
        yield {
            "settings": settings,
            "engine": engine,
            "clock": clock,
            "delivery": delivery,
            "push_queue": push_queue,
        }
