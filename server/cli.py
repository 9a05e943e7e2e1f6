"""The `fieldcrm` command: serve, worker, migrate, demo, dedup, backup, restore."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from server.config import Settings, get_settings
from server.db.engine import bind_engine, make_engine, start_engine, stop_engine
from server.db.migrate import migrate


async def _with_database(settings: Settings, work: Callable[[], Awaitable[Any]]) -> Any:
    engine = make_engine(settings)
    bind_engine(engine)
    await start_engine(engine)
    try:
        await migrate(engine)
        return await work()
    finally:
        await stop_engine(engine)


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> None:
    asyncio.run(_with_database(settings, _noop))
    print("database is up to date")


async def _noop() -> None:
    return None


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    from server.demo import DEMO_PASSWORD, seed_demo

    counts = asyncio.run(_with_database(settings, lambda: seed_demo(customers=args.customers)))
    if counts.get("skipped"):
        print("demo data already present; nothing added")
    else:
        print("demo data:", ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"log in as admin, manager1, li.wei, emma.wilson … with password {DEMO_PASSWORD!r}")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    if args.demo:
        cmd_demo(settings, argparse.Namespace(customers=2000))
    print(f"FieldCRM on http://{args.host}:{args.port}  (API docs: /schema)")
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_level="info",
        proxy_headers=True,
    )


def cmd_worker(settings: Settings, _: argparse.Namespace) -> None:
    if not settings.redis_url:
        sys.exit("fieldcrm worker needs REDIS_URL; without it `fieldcrm serve` runs the jobs")
    from server.worker import run_worker

    run_worker(settings)


def cmd_dedup(settings: Settings, args: argparse.Namespace) -> None:
    import datetime as dt

    from server.db.tables import Customer
    from server.services.dedup import run_nightly_dedup

    def run() -> Awaitable[dict]:
        engine = Customer._meta.db  # the engine _with_database bound the tables to
        return run_nightly_dedup(engine, dt.datetime.now(dt.UTC), dry_run=args.dry_run)

    summary = asyncio.run(_with_database(settings, run))
    print("dedup:", ", ".join(f"{k} {v}" for k, v in summary.items()))


def cmd_backup(settings: Settings, args: argparse.Namespace) -> None:
    from server.backup import backup

    print(f"backup written to {backup(settings, Path(args.path))}")


def cmd_restore(settings: Settings, args: argparse.Namespace) -> None:
    from server.backup import restore

    restore(settings, Path(args.path))
    print(f"restored from {args.path}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fieldcrm", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web app (and, without Redis, the jobs)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="load demo data first if empty")
    serve.set_defaults(run=cmd_serve)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=cmd_migrate)
    commands.add_parser(
        "worker", help="run the background jobs from Redis (reminders, push, nightly)"
    ).set_defaults(run=cmd_worker)
    demo = commands.add_parser("demo", help="load demo data into an empty database")
    demo.add_argument("--customers", type=int, default=2000)
    demo.set_defaults(run=cmd_demo)
    dedup = commands.add_parser("dedup", help="find duplicate customers now (the nightly job)")
    dedup.add_argument("--dry-run", action="store_true", help="report only: no merges, no queue")
    dedup.set_defaults(run=cmd_dedup)
    for name, handler, text in (
        ("backup", cmd_backup, "write a backup file"),
        ("restore", cmd_restore, "replace the database with a backup (stop the app first)"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("path")
        sub.set_defaults(run=handler)
    return parser


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    args.run(get_settings(), args)


if __name__ == "__main__":
    main(sys.argv[1:])
