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
    # Tests and local development only: lets push go to an http:// push service on this host.
    push_allow_http: bool = field(
        default_factory=lambda: os.environ.get("FIELDCRM_PUSH_ALLOW_HTTP", "") in ("1", "true")
    )
    # Embedded default only (no REDIS_URL): run the scheduled jobs inside the web process.
    # Off for extra web processes sharing one database with a worker — and in tests, where a
    # live server must not deliver pushes that a test's own worker is meant to send.
    run_jobs_in_process: bool = field(
        default_factory=lambda: (
            os.environ.get("FIELDCRM_IN_PROCESS_JOBS", "1") not in ("0", "false")
        )
    )
    # Queue (and job-id prefix) of the arq worker; separate names keep deployments apart.
    job_queue: str = field(
        default_factory=lambda: os.environ.get("FIELDCRM_JOB_QUEUE", "fieldcrm:jobs")
    )
    # How long a push job holds a reminder before another job may take it over (crash recovery).
    push_lease_seconds: int = field(
        default_factory=lambda: _env_int("FIELDCRM_PUSH_LEASE_SECONDS", 300)
    )
    # Reminder knobs; a "reminders" row in the Setting table overrides them (README).
    reminder_cadence: str = field(
        default_factory=lambda: os.environ.get("FIELDCRM_REMINDER_CADENCE", "A=3,B=7,C=30")
    )
    escalate_after_hours: float = field(
        default_factory=lambda: float(os.environ.get("FIELDCRM_ESCALATE_AFTER_HOURS") or 24)
    )

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "fieldcrm.sqlite3"

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))


def get_settings() -> Settings:
    return Settings()
