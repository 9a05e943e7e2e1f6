"""Piccolo app of the assignment area (rules); its migrations live in migrations_assignment/."""

import os

from piccolo.conf.apps import AppConfig

from server.db.assignment_tables import ASSIGNMENT_TABLES

APP_CONFIG = AppConfig(
    app_name="assignment",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations_assignment"),
    table_classes=ASSIGNMENT_TABLES,
    migration_dependencies=["server.db.piccolo_app"],
    commands=[],
)
