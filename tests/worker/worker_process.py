"""`fieldcrm worker` as a child process, so a test can SIGKILL it mid-job like a crash."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from server.config import Settings

ROOT = Path(__file__).resolve().parents[2]
STOP_SECONDS = 20


class WorkerProcess:
    def __init__(self, settings: Settings, redis_url: str, log_path: Path, **env: str) -> None:
        self._env = {
            **os.environ,
            "FIELDCRM_DATA_DIR": str(settings.data_dir),
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": redis_url,
            "FIELDCRM_JOB_QUEUE": settings.job_queue,
            "FIELDCRM_PUSH_ALLOW_HTTP": "1" if settings.push_allow_http else "",
            **env,
        }
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "worker"],
                cwd=ROOT,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: signals reach only it
            )
        return self

    def kill(self) -> None:
        """SIGKILL: no cleanup, no graceful shutdown — a crash."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
        self._process = None

    def log(self) -> str:
        return self._log_path.read_text(errors="replace")


async def wait_until(
    condition: Callable[[], Awaitable[bool]], seconds: float, what: str, worker: WorkerProcess
) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; worker log:\n{worker.log()}")
        await asyncio.sleep(0.1)
