"""Choose and bind the database engine: SQLite file by default, PostgreSQL by DATABASE_URL."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from server.config import Settings
from server.db.registry import all_tables


def postgres_config(url: str) -> dict[str, object]:
    parsed = urlparse(url)
    return {
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 5432,
        "user": unquote(parsed.username or "postgres"),
        "password": unquote(parsed.password or "") or None,
        "database": (parsed.path or "/fieldcrm").lstrip("/") or "fieldcrm",
    }


def make_engine(settings: Settings) -> Engine:
    if settings.uses_postgres:
        return PostgresEngine(config=postgres_config(settings.database_url))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # timeout: writers wait for the file lock instead of failing with "database is locked".
    return SQLiteEngine(path=str(settings.sqlite_path), timeout=30)


def bind_engine(engine: Engine) -> None:
    """Point every table at `engine` (tables otherwise bind lazily to piccolo_conf.DB)."""
    for table in all_tables():
        table._meta.db = engine


async def start_engine(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=2, max_size=10)
    else:
        # WAL lets readers proceed while one writer commits; the setting persists in the file.
        await engine.run_ddl("PRAGMA journal_mode=WAL;")
        # Fresh statistics, or the planner may pick a poor index (PostgreSQL's autovacuum
        # does this by itself); cheap: well under a second at 100k customers.
        await engine.run_ddl("ANALYZE;")


async def stop_engine(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


def write_transaction(engine: Engine):
    """A transaction for read-then-write work. On SQLite it takes the write lock at BEGIN
    (IMMEDIATE), so two writers queue instead of one failing with "database is locked" when
    both try to upgrade a read lock; PostgreSQL code locks the rows it reads instead."""
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()
