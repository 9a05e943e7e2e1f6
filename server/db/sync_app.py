"""Piccolo app for the sync protocol's tables."""

import os

from piccolo.conf.apps import AppConfig

from server.db.sync_tables import SyncConflict, SyncDevice, SyncOp, SyncRemoval

APP_CONFIG = AppConfig(
    app_name="sync",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations_sync"),
    table_classes=[SyncDevice, SyncOp, SyncConflict, SyncRemoval],
    migration_dependencies=["server.db.piccolo_app"],
    commands=[],
)
