"""Sales pipeline stages: the defaults every deployment starts with.

Per stage: expected duration (days) — past it a deal is "stage overdue"; default win
probability (%) for weighted forecasts; exit criteria — deal fields that must be filled
before the deal may move on to a later stage.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    key: str
    name_zh: str
    name_en: str
    expected_days: int
    probability: int
    exit_criteria: tuple[str, ...] = ()
    closed: bool = False


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage("lead", "线索获取", "Lead", 7, 10),
    Stage("first_contact", "初步接触", "First contact", 14, 20, ("amount",)),
    Stage("needs_confirmed", "需求确认", "Needs confirmed", 21, 40, ("expected_close",)),
    Stage("proposal", "方案展示", "Proposal", 14, 60),
    Stage("negotiation", "商务谈判", "Negotiation", 14, 80),
    Stage("won", "合同签署", "Won", 0, 100, closed=True),
    Stage("lost", "输单", "Lost", 0, 0, closed=True),  # entering it needs a lost_reason
)
OPEN_STAGE_KEYS = tuple(s.key for s in DEFAULT_STAGES if not s.closed)
STAGE_KEYS = tuple(s.key for s in DEFAULT_STAGES)
