"""Where the reminder knobs come from: the Setting table, else environment, else defaults.

Admins change them at run time with a Setting row `reminders`, e.g.
{"cadence_days": {"A": 2, "B": 7, "C": 30}, "contract_notice_days": 45,
 "occasion_notice_days": 3, "escalate_after_hours": 12}; keys left out keep the
environment's value (FIELDCRM_REMINDER_CADENCE="A=3,B=7,C=30",
FIELDCRM_ESCALATE_AFTER_HOURS=24) or the product default.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from server.config import Settings
from server.db.tables import Setting
from server.domain.pipeline import DEFAULT_STAGES
from server.domain.reminders import DEFAULT_SETTINGS, ReminderSettings

log = logging.getLogger(__name__)

SETTING_KEY = "reminders"


def parse_cadence(text: str) -> dict[str, int]:
    """ "A=3,B=7,C=30" → {"A": 3, "B": 7, "C": 30}; a grade set to 0 gets no cadence."""
    cadence: dict[str, int] = {}
    for part in text.split(","):
        grade, sep, days = part.partition("=")
        if not part.strip():
            continue
        if not sep or not days.strip().isdigit():
            raise ValueError(f"cadence entry must look like A=3, got {part!r}")
        cadence[grade.strip().upper()] = int(days)
    return cadence


def settings_from_env(settings: Settings) -> ReminderSettings:
    return replace(
        DEFAULT_SETTINGS,
        cadence_days=parse_cadence(settings.reminder_cadence),
        escalate_after_hours=settings.escalate_after_hours,
    )


def apply_overrides(base: ReminderSettings, overrides: Mapping[str, Any]) -> ReminderSettings:
    """The Setting row's values over `base`; unknown keys and bad values are ignored (logged)."""
    changes: dict[str, Any] = {}
    if isinstance(overrides.get("cadence_days"), Mapping):
        changes["cadence_days"] = {
            str(grade).upper(): int(days) for grade, days in overrides["cadence_days"].items()
        }
    for key in ("contract_notice_days", "occasion_notice_days"):
        if isinstance(overrides.get(key), int):
            changes[key] = overrides[key]
    if isinstance(overrides.get("escalate_after_hours"), int | float):
        changes["escalate_after_hours"] = float(overrides["escalate_after_hours"])
    ignored = set(overrides) - set(changes)
    if ignored:
        log.warning("reminder setting keys ignored: %s", sorted(ignored))
    return replace(base, **changes)


async def load_reminder_settings(settings: Settings) -> ReminderSettings:
    base = settings_from_env(settings)
    row = await Setting.select(Setting.value).where(Setting.key == SETTING_KEY).first()
    value = row["value"] if row else None
    if isinstance(value, str):
        value = json.loads(value)
    return apply_overrides(base, value) if isinstance(value, Mapping) else base


def default_stage_days() -> dict[str, int | None]:
    return {s.key: (None if s.closed else s.expected_days or None) for s in DEFAULT_STAGES}


async def load_stage_days() -> dict[str, int | None]:
    """Expected days per stage: from the configurable-stages service if it is installed."""
    try:
        stages_service = importlib.import_module("server.services.stages")
        stages = await stages_service.list_stages()
    except Exception:  # not installed or not migrated yet: the scan must still run
        log.warning("configured stages unavailable; using the default stages", exc_info=True)
        return default_stage_days()
    return {
        s.key: (None if getattr(s, "closed", False) else s.expected_days or None) for s in stages
    }
