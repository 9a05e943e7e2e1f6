"""Settings read from environment variables (documented in README.md, "Configuration")."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("FIELDCRM_DATA_DIR", "data"))
    )
    # Empty → SQLite file under data_dir; "postgres://user@host:port/db" → PostgreSQL.
    database_url: str = field(default_factory=lambda: os.environ.get("DATABASE_URL", ""))
    # Empty → jobs run in-process (embedded default); "redis://…" → the arq worker does them.
    redis_url: str = field(default_factory=lambda: os.environ.get("REDIS_URL", ""))
    default_phone_region: str = field(
        default_factory=lambda: os.environ.get("FIELDCRM_PHONE_REGION", "CN")
    )
    default_language: str = field(default_factory=lambda: os.environ.get("FIELDCRM_LANG", "zh-CN"))
    token_ttl_hours: int = field(default_factory=lambda: _env_int("FIELDCRM_TOKEN_TTL_HOURS", 12))
    login_max_failures: int = field(
        default_factory=lambda: _env_int("FIELDCRM_LOGIN_MAX_FAILURES", 5)
    )
    login_window_seconds: int = field(
        default_factory=lambda: _env_int("FIELDCRM_LOGIN_WINDOW_SECONDS", 300)
    )
    vapid_private_key: str = field(
        default_factory=lambda: os.environ.get("FIELDCRM_VAPID_PRIVATE_KEY", "")
    )
    vapid_subject: str = field(
        default_factory=lambda: os.environ.get(
            "FIELDCRM_VAPID_SUBJECT", "mailto:admin@fieldcrm.local"
        )
    )

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "fieldcrm.sqlite3"

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))


def get_settings() -> Settings:
    return Settings()
