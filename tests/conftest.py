"""Shared fixtures: the app running on each database (SQLite and PostgreSQL), users, tokens.

Every API test runs once per database. `FIELDCRM_TEST_DBS=sqlite` narrows a local run.
PostgreSQL tests use a throwaway database created for this run and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from piccolo.engine.base import Engine

from server.app import create_app
from server.config import Settings
from server.db.engine import bind_engine, make_engine, start_engine, stop_engine
from server.db.migrate import migrate
from server.db.registry import all_tables
from server.db.tables import Counter
from server.services import accounts
from tests.support.live_server import live_server

PG_ADMIN_URL = os.environ.get("FIELDCRM_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASES = os.environ.get("FIELDCRM_TEST_DBS", "sqlite,postgres").split(",")
PASSWORD = "correct-horse-42"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return accounts.hash_password(PASSWORD)


async def _create_pg_database() -> str:
    name = f"fieldcrm_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def _drop_pg_database(url: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session", params=DATABASES)
async def settings(request: pytest.FixtureRequest, tmp_path_factory) -> AsyncIterator[Settings]:
    data_dir: Path = tmp_path_factory.mktemp(f"data-{request.param}")
    if request.param == "postgres":
        url = await _create_pg_database()
        yield Settings(data_dir=data_dir, database_url=url)
        await _drop_pg_database(url)
    else:
        yield Settings(data_dir=data_dir, database_url="")


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[Engine]:
    """Bound, started and migrated in the test event loop (PostgreSQL pools are per loop)."""
    db = make_engine(settings)
    bind_engine(db)
    await start_engine(db)
    await migrate(db)
    yield db
    await stop_engine(db)


@pytest.fixture(scope="session")
async def app(settings: Settings, engine: Engine) -> AsyncIterator[Litestar]:
    application = create_app(settings, engine=engine)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        application.state.test_client = client
        yield application


async def _wipe_tables() -> None:
    for table in reversed(all_tables()):
        if table is not Counter:
            await table.delete(force=True)


@pytest.fixture
async def client(app: Litestar) -> httpx.AsyncClient:
    """The app with empty tables (the server sequence keeps counting, as in production)."""
    await _wipe_tables()
    app.state.context.login_limiter._failures.clear()
    return app.state.test_client


@dataclass
class ApiUser:
    """A signed-in user: sends requests with their bearer token."""

    client: httpx.AsyncClient
    id: int
    role: str
    team_id: int | None
    token: str
    lang: str = "en"

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Accept-Language": self.lang,
            **(extra or {}),
        }

    async def request(self, method: str, url: str, **kw: Any):
        headers = self._headers(kw.pop("headers", None))
        return await self.client.request(method, url, headers=headers, **kw)

    async def get(self, url: str, **kw: Any):
        return await self.request("GET", url, **kw)

    async def post(self, url: str, **kw: Any):
        return await self.request("POST", url, **kw)

    async def patch(self, url: str, **kw: Any):
        return await self.request("PATCH", url, **kw)

    async def delete(self, url: str, **kw: Any):
        return await self.request("DELETE", url, **kw)


@pytest.fixture(scope="session")
def live_url(settings: Settings, engine: Engine):
    """The app served by a real `fieldcrm serve` process over a socket (same database)."""
    with live_server(settings) as url:
        yield url


@pytest.fixture
async def live_client(live_url: str, client: httpx.AsyncClient):
    """An HTTP client for the live server (tables emptied, as with `client`)."""
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as http:
        yield http


@pytest.fixture
def make_user(client: httpx.AsyncClient, password_hash: str):
    async def factory(
        role: str = "rep",
        team_id: int | None = None,
        name: str | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> ApiUser:
        username = name or f"{role}-{uuid.uuid4().hex[:8]}"
        user_id = await accounts.create_user(
            username,
            None,
            role,
            display_name=username,
            team_id=team_id,
            password_hash=password_hash,
        )
        token = await accounts.issue_token(user_id, ttl_hours=1)
        return ApiUser(http or client, user_id, role, team_id, token)

    return factory


@pytest.fixture
async def team(client: httpx.AsyncClient) -> int:
    return await accounts.create_team(f"Team {uuid.uuid4().hex[:6]}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in this thread
    while it is started, and async tests after it would find that loop in their way."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
