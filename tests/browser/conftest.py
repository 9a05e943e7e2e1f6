"""Browser tests: the real app (`fieldcrm serve`) on a throwaway SQLite database with a small
demo data set, driven by Debian's headless Chromium through Playwright's sync API.

Artifacts (screenshots) go to test-artifacts/ (gitignored). Never downloads a browser.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.config import Settings
from tests.support.live_server import live_server as live_server_process

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("FIELDCRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "demo1234"
DEMO_CUSTOMERS = 200


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            response = httpx.post(
                f"{self.url}/api/auth/login",
                json={"username": username, "password": DEMO_PASSWORD},
                timeout=10,
            )
            response.raise_for_status()
            self.tokens[username] = response.json()["token"]
        return self.tokens[username]

    def api(self, username: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(username)}", **kwargs.pop("headers", {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kwargs)


@contextlib.contextmanager
def serve_demo(data_dir: Path, customers: int = DEMO_CUSTOMERS) -> Iterator[LiveServer]:
    """`fieldcrm demo --customers N` into `data_dir`, then `fieldcrm serve` on a free port."""
    env = {
        **os.environ,
        "FIELDCRM_DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "FIELDCRM_LOGIN_MAX_FAILURES": "1000",
    }
    subprocess.run(
        [sys.executable, "-m", "server.cli", "demo", "--customers", str(customers)],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    settings = Settings(data_dir=data_dir, database_url="")
    with live_server_process(settings, extra_env={"FIELDCRM_LOGIN_MAX_FAILURES": "1000"}) as url:
        yield LiveServer(url, data_dir)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve_demo(tmp_path_factory.mktemp("browser-data")) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_context(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """Factory of fresh browser contexts (separate storage = separate devices)."""
    contexts = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 390, "height": 844})
        options.setdefault("locale", "zh-CN")
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def sign_in(page: Any, username: str) -> None:
    """Open the app, sign in, wait for the first sync to finish."""
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#nav:not([hidden])")
    wait_synced(page)


def wait_synced(page: Any, timeout: float = 30_000) -> None:
    """Until the status bar says: online, not syncing, nothing pending."""
    page.wait_for_function(
        """() => { const s = document.querySelector('#sync-status');
                   return s && s.dataset.online === 'true' && s.dataset.syncing === 'false'
                     && s.dataset.pending === '0' && s.dataset.state === 'ok'; }""",
        timeout=timeout,
    )


def wait_service_worker(page: Any) -> None:
    """Until the service worker controls the page (the shell is cached)."""
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")


def eventually(check: Callable[[], Any], timeout: float = 15, interval: float = 0.1) -> Any:
    """Retry `check` until it returns a truthy value (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
