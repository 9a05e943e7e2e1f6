"""Piccolo app of the dedup area (merge events, review queue, nightly runs)."""

import os

from piccolo.conf.apps import AppConfig

from server.db.dedup_tables import DEDUP_TABLES

APP_CONFIG = AppConfig(
    app_name="dedup",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations_dedup"),
    table_classes=DEDUP_TABLES,
    migration_dependencies=["server.db.piccolo_app"],
    commands=[],
)
