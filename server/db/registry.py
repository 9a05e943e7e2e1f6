"""Every Piccolo app of FieldCRM. Each business area that owns tables has its own app
module (`server/db/<area>_app.py`) with its tables and its own migrations folder, so areas
can add tables without touching each other's migrations."""

from __future__ import annotations

import importlib

from piccolo.conf.apps import AppConfig
from piccolo.table import Table

APP_MODULES = [
    "server.db.piccolo_app",  # core: accounts, customers, sales records, audit
    "server.db.sync_app",  # sync protocol: devices, applied ops, conflicts, removals
    "server.db.reminder_app",  # push subscriptions, reminder occurrences
    "server.db.pipeline_app",  # configurable sales stages
    "server.db.assignment_app",  # assignment rules (public pool state lives on Customer)
    "server.db.dedup_app",  # duplicate merges (with un-merge data), review queue, nightly runs
]


def app_configs() -> list[AppConfig]:
    return [importlib.import_module(module).APP_CONFIG for module in APP_MODULES]


def all_tables() -> list[type[Table]]:
    """Tables of every app, core first (later apps reference core tables, not vice versa)."""
    return [table for config in app_configs() for table in config.table_classes]
