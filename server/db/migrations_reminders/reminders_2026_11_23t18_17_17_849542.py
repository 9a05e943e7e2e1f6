"""Notification-backed reminder occurrences: customer_id and reminder may be NULL.

Generated with `piccolo migrations new reminders --auto`, plus what SQLite needs: it cannot
ALTER COLUMN, so there the table is rebuilt with the two columns nullable (the usual
create-copy-drop-rename, indexes recreated) and the generated column changes are recorded for
later --auto snapshots but not run. Backwards deletes the notification-backed rows first,
since they cannot satisfy NOT NULL.
"""

import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-23T18:17:17:849542"
VERSION = "1.38.0"
DESCRIPTION = "reminder occurrences that push a notify() notification"

TABLE = "reminder_occurrence"
# As Piccolo wrote them for SQLite: "<column>" <type> NOT NULL DEFAULT <old default>
COLUMNS = (("customer_id", "UUID", "None"), ("reminder", "JSON", "'{}'"))


def _is_sqlite() -> bool:
    engine = engine_finder()
    return engine is not None and engine.engine_type == "sqlite"


def _column_pattern(column: str, type_: str) -> re.Pattern[str]:
    # The DEFAULT value is a quoted literal or a bare word (Piccolo wrote `DEFAULT None`).
    return re.compile(rf"\"{column}\" {type_}( NOT NULL)? DEFAULT ('[^']*'|\w+)")


async def _rebuild_sqlite_table(nullable: bool) -> None:
    engine = engine_finder()
    rows = await engine.run_querystring(
        QueryString("SELECT type, sql FROM sqlite_master WHERE tbl_name = {}", TABLE)
    )
    [create] = [row["sql"] for row in rows if row["type"] == "table"]
    indexes = [row["sql"] for row in rows if row["type"] == "index" and row["sql"]]
    for column, type_, old_default in COLUMNS:
        if nullable:
            wanted = f'"{column}" {type_} DEFAULT null'
        else:
            wanted = f'"{column}" {type_} NOT NULL DEFAULT {old_default}'
        create, found = _column_pattern(column, type_).subn(wanted, create)
        if found != 1:
            raise RuntimeError(f"{TABLE}.{column}: column definition not found in {create!r}")
    temporary = f"{TABLE}__rebuild"
    create = create.replace(f'CREATE TABLE "{TABLE}"', f'CREATE TABLE "{temporary}"', 1)
    await engine.run_ddl(create)
    await engine.run_ddl(f'INSERT INTO "{temporary}" SELECT * FROM "{TABLE}"')
    await engine.run_ddl(f'DROP TABLE "{TABLE}"')
    await engine.run_ddl(f'ALTER TABLE "{temporary}" RENAME TO "{TABLE}"')
    for index in indexes:
        await engine.run_ddl(index)


async def _nullable_on_sqlite() -> None:
    if _is_sqlite():
        await _rebuild_sqlite_table(nullable=True)


async def _not_null_again() -> None:
    engine = engine_finder()
    await engine.run_ddl(f'DELETE FROM "{TABLE}" WHERE customer_id IS NULL OR reminder IS NULL')
    if _is_sqlite():
        await _rebuild_sqlite_table(nullable=False)


class _Manager(MigrationManager):
    """Runs the generated ALTER COLUMNs on PostgreSQL only; SQLite got its rebuild instead."""

    async def _run_alter_columns(self, backwards: bool = False) -> None:
        if not _is_sqlite():
            await super()._run_alter_columns(backwards=backwards)


async def forwards():
    manager = _Manager(migration_id=ID, app_name="reminders", description=DESCRIPTION)
    manager.add_raw(_nullable_on_sqlite)
    manager.add_raw_backwards(_not_null_again)

    manager.alter_column(
        table_class_name="ReminderOccurrence",
        tablename="reminder_occurrence",
        column_name="customer_id",
        db_column_name="customer_id",
        params={"default": None, "null": True},
        old_params={"default": UUID4(), "null": False},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ReminderOccurrence",
        tablename="reminder_occurrence",
        column_name="reminder",
        db_column_name="reminder",
        params={"default": None, "null": True},
        old_params={"default": "{}", "null": False},
        column_class=JSON,
        old_column_class=JSON,
        schema=None,
    )

    return manager
