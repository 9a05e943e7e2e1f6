"""Piccolo app of the pipeline area (configurable sales stages)."""

import os

from piccolo.conf.apps import AppConfig

from server.db.pipeline_tables import PIPELINE_TABLES

APP_CONFIG = AppConfig(
    app_name="pipeline",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations_pipeline"),
    table_classes=PIPELINE_TABLES,
    migration_dependencies=["server.db.piccolo_app"],
    commands=[],
)
