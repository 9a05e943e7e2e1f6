"""Helpers shared by the benchmarks: throwaway databases, a live server, latency stats."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from server.config import Settings
from server.db.engine import bind_engine, make_engine, start_engine, stop_engine
from server.db.migrate import migrate
from tests.support.live_server import live_server  # noqa: F401 - re-exported for benchmarks

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("FIELDCRM_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")


@contextlib.asynccontextmanager
async def throwaway_database(kind: str) -> AsyncIterator[Settings]:
    """A fresh, migrated database of `kind` (sqlite | postgres), dropped afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"fieldcrm-bench-{kind}-") as data_dir:
        url = ""
        if kind == "postgres":
            name = f"fieldcrm_bench_{uuid.uuid4().hex[:8]}"
            conn = await asyncpg.connect(PG_ADMIN_URL)
            await conn.execute(f'CREATE DATABASE "{name}"')
            await conn.close()
            url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        settings = Settings(data_dir=Path(data_dir), database_url=url)
        engine = make_engine(settings)
        bind_engine(engine)
        await start_engine(engine)
        await migrate(engine)
        try:
            yield settings
        finally:
            await stop_engine(engine)
            if kind == "postgres":
                conn = await asyncpg.connect(PG_ADMIN_URL)
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await conn.close()


@dataclass
class Latency:
    name: str
    samples_ms: list[float]
    wall_s: float

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p99(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]

    @property
    def throughput(self) -> float:
        return len(self.samples_ms) / self.wall_s

    def line(self) -> str:
        return (
            f"  {self.name:<28} p50 {self.p50:7.1f} ms   p99 {self.p99:7.1f} ms"
            f"   {self.throughput:7.0f} req/s"
        )


async def measure(
    name: str, call: Callable[[int], Awaitable[None]], requests: int, concurrency: int
) -> Latency:
    """Run `call(i)` `requests` times with `concurrency` in flight; time each call."""
    samples: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for i in queue:
            started = time.perf_counter()
            await call(i)
            samples.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Latency(name, samples, time.perf_counter() - started)
