"""Run Piccolo migrations against a chosen engine (app start, CLI `migrate`, test fixtures)."""

from __future__ import annotations

import contextlib
import io
import os

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine

os.environ.setdefault("PICCOLO_CONF", "server.db.piccolo_conf")


async def migrate(engine: Engine, quiet: bool = True) -> None:
    """Apply every pending migration to `engine`. Piccolo finds its engine through
    piccolo_conf.DB, so point that (and the migration bookkeeping table) at ours first."""
    from server.db import piccolo_conf

    piccolo_conf.DB = engine
    Migration._meta.db = engine
    sink = io.StringIO() if quiet else None
    with contextlib.redirect_stdout(sink) if sink else contextlib.nullcontext():
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")
    from server.services.sequence import ensure_counters

    await ensure_counters()
