"""Backup and restore: an online SQLite copy, or pg_dump/pg_restore for PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from server.config import Settings
from server.db.engine import postgres_config


def backup(settings: Settings, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    if settings.uses_postgres:
        _pg_command("pg_dump", settings, ["--format=custom", f"--file={target}"])
    else:
        # sqlite3's backup API copies a consistent snapshot even while the app is writing.
        with sqlite3.connect(settings.sqlite_path) as source, sqlite3.connect(target) as dest:
            source.backup(dest)
    return target


def restore(settings: Settings, source: Path) -> None:
    """Replace the current database with the backup. Stop the app first."""
    if not source.exists():
        raise FileNotFoundError(source)
    if settings.uses_postgres:
        _pg_command("pg_restore", settings, ["--clean", "--if-exists", "--no-owner", str(source)])
    else:
        # The backup API in reverse: SQLite itself rewrites the live file under its own locks,
        # so the WAL and any open readers stay consistent (a raw file copy would not).
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(source) as backup_db, sqlite3.connect(settings.sqlite_path) as live:
            backup_db.backup(live)


def _pg_command(program: str, settings: Settings, args: list[str]) -> None:
    # Connection details travel in libpq's environment variables, so the password never
    # shows up in the process list.
    config = postgres_config(settings.database_url)
    env = {
        **os.environ,
        "PGHOST": str(config["host"]),
        "PGPORT": str(config["port"]),
        "PGUSER": str(config["user"]),
        "PGDATABASE": str(config["database"]),
    }
    if config["password"]:
        env["PGPASSWORD"] = str(config["password"])
    target = ["--dbname", str(config["database"])] if program == "pg_restore" else []
    subprocess.run([program, *target, *args], check=True, env=env)
