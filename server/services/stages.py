"""Configurable pipeline stages: read (seeding the defaults on first use) and admin edits.

Positions are kept dense: open stages 1..n in board order, then won (n+1) and lost (n+2),
so SQL can compare `position` to ask "did the deal get at least this far?".
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from piccolo.engine.base import Engine

from server.db.pipeline_tables import PipelineStage
from server.domain.access import Actor
from server.domain.errors import Conflict, NotFound
from server.domain.pipeline import (
    CLOSED_STAGE_KEYS,
    DEFAULT_STAGES,
    Pipeline,
    Stage,
    board_order,
    clean_stage_settings,
)
from server.services import audit


def _stage_from_row(row: dict[str, Any]) -> Stage:
    criteria = row["exit_criteria"]
    if isinstance(criteria, str):
        criteria = json.loads(criteria)
    return Stage(
        key=row["key"],
        name_zh=row["name_zh"],
        name_en=row["name_en"],
        expected_days=row["expected_days"],
        probability=row["probability"],
        exit_criteria=tuple(criteria or ()),
        closed=bool(row["closed"]),
        active=bool(row["active"]),
    )


def _row_values(stage: Stage, position: int) -> dict[str, Any]:
    return {
        "key": stage.key,
        "name_zh": stage.name_zh,
        "name_en": stage.name_en,
        "position": position,
        "expected_days": stage.expected_days,
        "probability": stage.probability,
        "exit_criteria": json.dumps(list(stage.exit_criteria)),
        "closed": stage.closed,
        "active": stage.active,
    }


async def ensure_default_stages() -> None:
    """Insert the product's default stages unless stages exist (safe to race: a key that is
    already there is skipped)."""
    if await PipelineStage.exists():
        return
    rows = [PipelineStage(**_row_values(s, i)) for i, s in enumerate(DEFAULT_STAGES, start=1)]
    await PipelineStage.insert(*rows).on_conflict(action="DO NOTHING")


async def list_stages() -> list[Stage]:
    """Every stage in board order, inactive ones included (deals may still sit in them)."""
    await ensure_default_stages()
    rows = await PipelineStage.select().order_by(PipelineStage.position)
    return list(board_order(_stage_from_row(r) for r in rows))


async def load_pipeline() -> Pipeline:
    return Pipeline(tuple(await list_stages()))


async def _save_order(stages: list[Stage]) -> None:
    for position, stage in enumerate(board_order(stages), start=1):
        await PipelineStage.update({PipelineStage.position: position}).where(
            PipelineStage.key == stage.key
        )


def _reordered(stages: list[Stage], key: str, position: int | None) -> list[Stage]:
    """`key` moved to the 1-based `position` among the open stages (None: left in place)."""
    if position is None or key in CLOSED_STAGE_KEYS:
        return stages
    moving = next(s for s in stages if s.key == key)
    others = [s for s in stages if s.key != key and not s.closed]
    others.insert(max(0, min(position - 1, len(others))), moving)
    return others + [s for s in stages if s.closed]


async def create_stage(engine: Engine, actor: Actor, key: str, data: dict[str, Any]) -> Stage:
    values = clean_stage_settings(data, key, creating=True)
    position = values.pop("position", None)
    async with engine.transaction():
        stages = await list_stages()
        if any(s.key == key for s in stages):
            raise Conflict("stage.exists", key=key)
        stage = Stage(
            key=key,
            name_zh=values["name_zh"],
            name_en=values["name_en"],
            expected_days=values.get("expected_days", 7),
            probability=values.get("probability", 0),
            exit_criteria=values.get("exit_criteria", ()),
            active=values.get("active", True),
        )
        await PipelineStage.insert(PipelineStage(**_row_values(stage, 0)))
        open_count = sum(not s.closed for s in stages)
        await _save_order(_reordered([*stages, stage], key, position or open_count + 1))
        await audit.record(actor, "create", "pipeline_stage", key, after=_row_values(stage, 0))
    return stage


async def update_stage(engine: Engine, actor: Actor, key: str, data: dict[str, Any]) -> Stage:
    values = clean_stage_settings(data, key, creating=False)
    position = values.pop("position", None)
    async with engine.transaction():
        stages = await list_stages()
        current = next((s for s in stages if s.key == key), None)
        if current is None:
            raise NotFound("pipeline_stage")
        columns = {**values}
        if "exit_criteria" in columns:
            columns["exit_criteria"] = json.dumps(list(columns["exit_criteria"]))
        if columns:
            columns["updated_at"] = dt.datetime.now(dt.UTC)
            await PipelineStage.update(columns).where(PipelineStage.key == key)
        await _save_order(_reordered(stages, key, position))
        after = dict(values) if position is None else {**values, "position": position}
        before = {k: getattr(current, k) for k in values}
        await audit.record(actor, "update", "pipeline_stage", key, before=before, after=after)
    return next(s for s in await list_stages() if s.key == key)
