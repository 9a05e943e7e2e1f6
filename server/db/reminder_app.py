"""Piccolo app of the reminders area (push subscriptions, reminder occurrences)."""

import os

from piccolo.conf.apps import AppConfig

from server.db.reminder_tables import REMINDER_TABLES

APP_CONFIG = AppConfig(
    app_name="reminders",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations_reminders"),
    table_classes=REMINDER_TABLES,
    migration_dependencies=["server.db.piccolo_app"],
    commands=[],
)
