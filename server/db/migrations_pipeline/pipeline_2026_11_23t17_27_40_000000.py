"""Indexes on core tables that the pipeline board and the analytics queries rely on.

Plain CREATE INDEX statements that read the same on PostgreSQL and SQLite:
- deal_stage_change (changed_at): stage moves in a period (dwell per stage);
- deal_stage_change (deal, to_stage, id, changed_at): "latest move into this stage before
  that move" for each exit — an index-only lookup;
- deal (created_at): the funnel's cohort; deal (stage, stage_entered_at): board columns,
  newest first, without sorting a stage's deals;
- activity (occurred_at, kind, author, customer): visits/calls per rep and activity windows
  per customer, read from the index alone;
- follow_up (due_at, owner, done_at): follow-ups falling due in a period, per rep.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T17:27:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the pipeline board and analytics"

INDEXES = {
    "pipeline_dsc_changed_at": "deal_stage_change (changed_at)",
    "pipeline_dsc_entry": "deal_stage_change (deal, to_stage, id, changed_at)",
    "pipeline_deal_created_at": "deal (created_at)",
    "pipeline_deal_stage_entered": "deal (stage, stage_entered_at)",
    "pipeline_activity_period": "activity (occurred_at, kind, author, customer)",
    "pipeline_follow_up_due": "follow_up (due_at, owner, done_at)",
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
    manager = MigrationManager(migration_id=ID, app_name="pipeline", description=DESCRIPTION)
    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
