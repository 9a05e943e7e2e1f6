"""Composite indexes for the customer lists (Piccolo declares single-column ones only).

A manager's list is `team = ? ORDER BY updated_at DESC`, a rep's `owner = ? ORDER BY …`:
with these the database walks the index in order and stops after one page, instead of
sorting every row of the team.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T18:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite indexes for customer lists"

INDEXES = {  # quoted: "user" is a reserved word in PostgreSQL
    "customer_team_updated": 'customer ("team", "updated_at")',
    "customer_owner_updated": 'customer ("owner", "updated_at")',
    "customer_share_user_customer": 'customer_share ("user", "customer")',
}


async def create_indexes() -> None:
    engine = engine_finder()
    for name, target in INDEXES.items():
        await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


async def drop_indexes() -> None:
    engine = engine_finder()
    for name in INDEXES:
        await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldcrm", description=DESCRIPTION)
    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
