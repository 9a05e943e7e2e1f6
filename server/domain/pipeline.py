"""Sales pipeline stages and the rules of moving a deal through them.

Per stage: expected duration (days) — past it a deal is "stage overdue"; default win
probability (%) for weighted forecasts; exit criteria — deal fields that must be filled
before the deal may move on to a later stage.

Stages are ordered: the open stages in the order an admin set, then the two closed ones,
`won` and `lost`, which always exist and cannot be renamed away (their keys are what the
analytics and the sync engine rely on). Moving forward from stage S to stage T requires
the exit criteria of S and of every stage skipped between them; moving to `lost` needs a
lost reason instead; moving back needs nothing.

Pure rules: no database. Errors carry message codes (server/messages/pipeline.json).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from server.domain.errors import FieldError, InvalidValue, ValidationFailed
from server.domain.records import text

WON = "won"
LOST = "lost"
CLOSED_STAGE_KEYS = (WON, LOST)

# Deal fields an admin may name as a stage's exit criteria (each has its own message).
EXIT_CRITERIA_FIELDS = ("title", "amount", "currency", "expected_close", "probability")

MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
STAGE_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


@dataclass(frozen=True)
class Stage:
    key: str
    name_zh: str
    name_en: str
    expected_days: int
    probability: int
    exit_criteria: tuple[str, ...] = ()
    closed: bool = False
    active: bool = True

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh-CN" else self.name_en


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage("lead", "线索获取", "Lead", 7, 10),
    Stage("first_contact", "初步接触", "First contact", 14, 20, ("amount",)),
    Stage("needs_confirmed", "需求确认", "Needs confirmed", 21, 40, ("expected_close",)),
    Stage("proposal", "方案展示", "Proposal", 14, 60),
    Stage("negotiation", "商务谈判", "Negotiation", 14, 80),
    Stage(WON, "合同签署", "Won", 0, 100, closed=True),
    Stage(LOST, "输单", "Lost", 0, 0, closed=True),  # entering it needs a lost_reason
)
OPEN_STAGE_KEYS = tuple(s.key for s in DEFAULT_STAGES if not s.closed)
STAGE_KEYS = tuple(s.key for s in DEFAULT_STAGES)


@dataclass(frozen=True)
class Pipeline:
    """The stages in board order: open stages first, then won, then lost."""

    stages: tuple[Stage, ...]

    def get(self, key: str) -> Stage | None:
        return next((s for s in self.stages if s.key == key), None)

    def index(self, key: str) -> int:
        return next(i for i, s in enumerate(self.stages) if s.key == key)

    @property
    def first_open(self) -> Stage:
        """Where new deals start: the first active open stage (else the first open one,
        which a move then reports as inactive)."""
        open_stages = [s for s in self.stages if not s.closed]
        return next((s for s in open_stages if s.active), open_stages[0])


DEFAULT_PIPELINE = Pipeline(DEFAULT_STAGES)


def board_order(stages: Iterable[Stage]) -> tuple[Stage, ...]:
    """Open stages keep their given order; won then lost go last."""
    listed = list(stages)
    open_stages = [s for s in listed if s.key not in CLOSED_STAGE_KEYS]
    closed = sorted((s for s in listed if s.key in CLOSED_STAGE_KEYS), key=lambda s: s.key != WON)
    return (*open_stages, *closed)


# ---- deal fields ---------------------------------------------------------------------------

# Fields of a deal a client or a device may write (API names; the service maps them to columns).
DEAL_FIELDS = (
    "customer_id",
    "owner_id",
    "title",
    "amount",
    "currency",
    "stage",
    "probability",
    "expected_close",
    "lost_reason",
    "deleted",
)


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidValue("type.number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidValue("type.number") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise InvalidValue("deal.amount.invalid")
    return amount.quantize(Decimal("0.01"))


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        raise InvalidValue("deal.currency.invalid")
    return value.strip().upper()


def _probability(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidValue("probability.invalid")
    return value


def _date(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidValue("date.invalid")


def _uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidValue("type.invalid", detail="uuid") from None


def _user_id(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue("type.number")
    return value


def _stage_key(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("stage.unknown")
    return value.strip()


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue("type.invalid", detail="boolean")
    return value


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "customer_id": _uuid,
    "owner_id": _user_id,
    "title": text(200, required=True),
    "amount": _amount,
    "currency": _currency,
    "stage": _stage_key,
    "probability": _probability,
    "expected_close": _date,
    "lost_reason": text(500),
    "deleted": _flag,
}


def clean_deal_fields(
    incoming: Mapping[str, Any], creating: bool, pipeline: Pipeline
) -> dict[str, Any]:
    """Check and normalize each given field on its own. A new deal needs a customer and a
    title. Raises ValidationFailed listing every bad, unknown or missing field."""
    errors = [FieldError(name, "field.unknown") for name in incoming if name not in _CONVERTERS]
    values: dict[str, Any] = {}
    for name, raw in incoming.items():
        if name not in _CONVERTERS:
            continue
        try:
            values[name] = _CONVERTERS[name](raw)
        except InvalidValue as exc:
            errors.append(FieldError(name, exc.code, exc.params))
    if "stage" in values and pipeline.get(values["stage"]) is None:
        errors.append(FieldError("stage", "stage.unknown"))
    if creating:
        errors += [
            FieldError(name, "required")
            for name in ("customer_id", "title")
            if name not in incoming
        ]
    if errors:
        raise ValidationFailed(errors)
    return values


# ---- stage moves ---------------------------------------------------------------------------


def is_filled(field: str, value: Any) -> bool:
    """Filled for exit criteria: present and not blank; an amount must be above zero
    (0 is the column default, i.e. nobody has entered it)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return False
    if field == "amount":
        return Decimal(str(value)) > 0
    return True


def stages_left_behind(pipeline: Pipeline, from_key: str | None, to_key: str) -> list[Stage]:
    """The stages whose exit criteria a move passes: from the current stage (inclusive) up
    to the target (exclusive), when moving forward. A new deal starts "before" the first."""
    if to_key == LOST:
        return []
    start = 0 if from_key is None else pipeline.index(from_key)
    end = pipeline.index(to_key)
    return [s for s in pipeline.stages[start:end] if not s.closed]


def stage_move_errors(
    pipeline: Pipeline, from_key: str | None, deal_after: Mapping[str, Any]
) -> list[FieldError]:
    """Why the deal, as it would be after this write (`deal_after`), may not enter its
    `stage` coming from `from_key` — one error per missing field; [] when it may."""
    target = pipeline.get(deal_after["stage"])
    if target is None or not target.active:
        return [FieldError("stage", "stage.unknown")]
    if from_key is not None and pipeline.get(from_key) is None:
        from_key = None  # a stage since removed: judge the move as from the start
    errors: list[FieldError] = []
    for stage in stages_left_behind(pipeline, from_key, target.key):
        for field in stage.exit_criteria:
            if not is_filled(field, deal_after.get(field)) and field not in _named(errors):
                params = {"stage_zh": stage.name_zh, "stage_en": stage.name_en}
                errors.append(FieldError(field, f"deal.exit_criteria.{field}", params))
    if target.key == LOST and not is_filled("lost_reason", deal_after.get("lost_reason")):
        errors.append(FieldError("lost_reason", "deal.lost_reason.required"))
    return errors


def _named(errors: list[FieldError]) -> set[str]:
    return {e.field for e in errors}


def effective_probability(pipeline: Pipeline, stage_key: str, probability: int | None) -> int:
    """Closed stages are certain (100/0); an open deal's own estimate wins over the default."""
    stage = pipeline.get(stage_key)
    if stage is not None and stage.closed:
        return stage.probability
    if probability is not None:
        return probability
    return stage.probability if stage is not None else 0


# ---- stage settings (admin) ----------------------------------------------------------------

STAGE_SETTING_FIELDS = (
    "name_zh",
    "name_en",
    "expected_days",
    "probability",
    "exit_criteria",
    "position",
    "active",
)


def _days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
        raise InvalidValue("stage.expected_days.invalid")
    return value


def _criteria(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidValue("type.string_list")
    unknown = [v for v in value if v not in EXIT_CRITERIA_FIELDS]
    if unknown:
        raise InvalidValue("stage.exit_criteria.unknown", allowed=", ".join(EXIT_CRITERIA_FIELDS))
    return tuple(dict.fromkeys(value))


def _position(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidValue("type.number")
    return value


def _stage_probability(value: Any) -> int:
    result = _probability(value)
    if result is None:
        raise InvalidValue("probability.invalid")
    return result


_STAGE_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "name_zh": text(50, required=True),
    "name_en": text(50, required=True),
    "expected_days": _days,
    "probability": _stage_probability,
    "exit_criteria": _criteria,
    "position": _position,
    "active": _flag,
}


def clean_stage_settings(incoming: Mapping[str, Any], key: str, creating: bool) -> dict[str, Any]:
    """Validate an admin's stage edit. Won and lost keep their probability (100/0), have no
    exit criteria and stay active; a new stage needs a well-formed key and both names."""
    errors = [FieldError(n, "field.unknown") for n in incoming if n not in _STAGE_CONVERTERS]
    values: dict[str, Any] = {}
    for name, raw in incoming.items():
        if name in _STAGE_CONVERTERS:
            try:
                values[name] = _STAGE_CONVERTERS[name](raw)
            except InvalidValue as exc:
                errors.append(FieldError(name, exc.code, exc.params))
    if creating and not STAGE_KEY_PATTERN.match(key):
        errors.append(FieldError("key", "stage.key.invalid"))
    if creating:
        errors += [FieldError(n, "required") for n in ("name_zh", "name_en") if n not in incoming]
    if key in CLOSED_STAGE_KEYS:
        fixed = ("probability", "exit_criteria", "active", "position")
        errors += [FieldError(n, "stage.closed.fixed") for n in fixed if n in incoming]
    if errors:
        raise ValidationFailed(errors)
    return values
