"""Application wiring: routes, auth, error handling, static PWA, database lifecycle."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, MediaType, Router, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.response import File
from litestar.static_files import create_static_files_router
from piccolo.engine.base import Engine

from server.api.accounts import AdminController, AuthController
from server.api.analytics import AnalyticsController
from server.api.assignment import AssignmentController
from server.api.auth import PUBLIC_PATHS, TokenAuthMiddleware, signed_in
from server.api.csv_routes import CsvController
from server.api.customers import CustomerController
from server.api.deals import DealController, PipelineStageController
from server.api.dedup import DedupController
from server.api.errors import EXCEPTION_HANDLERS
from server.api.notifications import NotificationController
from server.api.pool import PoolController
from server.api.push import PushController
from server.api.records import ActivityController, ContactController, FollowUpController
from server.api.state import AppContext, app_context
from server.api.sync import SyncController
from server.config import Settings, get_settings
from server.db.engine import bind_engine, make_engine, start_engine, stop_engine
from server.db.migrate import migrate
from server.services.login_limiter import LoginLimiter

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"
log = logging.getLogger("fieldcrm")


@get("/health", exclude_from_auth=True, media_type=MediaType.JSON)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/", exclude_from_auth=True, include_in_schema=False)
async def index() -> File:
    return File(
        PWA_DIR / "index.html",
        content_disposition_type="inline",
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-cache"},
    )


@get("/manifest.webmanifest", exclude_from_auth=True, include_in_schema=False)
async def web_manifest() -> File:
    # At the root so the installed app's scope is the whole site.
    return File(
        PWA_DIR / "manifest.webmanifest",
        content_disposition_type="inline",
        media_type="application/manifest+json",
    )


@get("/sw.js", exclude_from_auth=True, include_in_schema=False)
async def service_worker() -> File:
    # Served from the root so its scope covers the whole app.
    return File(
        PWA_DIR / "sw.js",
        content_disposition_type="inline",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    """The ASGI app. Given an `engine`, the caller owns it (already bound, started and
    migrated — tests and benchmarks do this); otherwise the app's lifespan does all that."""
    settings = settings or get_settings()
    owns_engine = engine is None
    engine = engine or make_engine(settings)
    context = AppContext(
        settings=settings,
        engine=engine,
        login_limiter=LoginLimiter(settings.login_max_failures, settings.login_window_seconds),
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if not owns_engine:
            yield
            return
        bind_engine(engine)
        await start_engine(engine)
        await migrate(engine)
        scheduler = None
        if not settings.redis_url and settings.run_jobs_in_process:  # embedded default
            from server.jobs.inprocess import InProcessScheduler

            scheduler = InProcessScheduler(settings, engine)
            await scheduler.start()
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            if scheduler is not None:
                await scheduler.stop()
            await stop_engine(engine)

    return Litestar(
        route_handlers=[
            health,
            index,
            web_manifest,
            service_worker,
            AuthController,
            AdminController,
            CustomerController,
            DealController,
            PipelineStageController,
            AnalyticsController,
            CsvController,
            NotificationController,
            SyncController,
            ContactController,
            FollowUpController,
            ActivityController,
            PushController,
            AssignmentController,
            PoolController,
            DedupController,
            create_static_files_router(
                path="/app", directories=[PWA_DIR], name="pwa", opt={"exclude_from_auth": True}
            ),
        ],
        state=State({"context": context}),
        dependencies={"ctx": Provide(app_context, sync_to_thread=False)},
        guards=[signed_in],
        middleware=[DefineMiddleware(TokenAuthMiddleware, exclude=PUBLIC_PATHS)],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="FieldCRM API",
            version="0.1.0",
            openapi_router=Router(
                path="/schema", route_handlers=[], opt={"exclude_from_auth": True}
            ),
        ),
    )
