"""Assignment rules, the public pool's settings and the fairness measure. Pure: no I/O.

Rules are tried in order, default rules last; the first rule whose conditions match *and*
that can place the lead wins. A rule that matches but cannot place the lead (every rep of
the team at capacity, an empty team, a direct target who is full or inactive) hands the lead
on to the next rule; a lead that no rule places stays in the public pool.

Conditions: each kind is a set of allowed values (any of them matches); all kinds given must
match. A region condition holds canonical codes (server/domain/regions.py): a province
matches the province and every city in it, a city only that city.

Strategies:
- direct:       to one user (rep or manager);
- team_pool:    into one team's share of the pool (unowned, visible to that team for claiming);
- round_robin:  the team's reps in turn (the turn is stored, so it survives restarts);
- least_loaded: the team's rep who owns the fewest customers;
- senior:       A-grade leads only, to the least-loaded senior rep of the team.
Capacity caps (User.capacity, 0 = none) apply to every strategy that picks a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from server.domain.customers import GRADES, LIFECYCLES, SIZES
from server.domain.errors import FieldError, InvalidValue, ValidationFailed
from server.domain.normalize import clean_text, normalize_industry
from server.domain.pipeline import OPEN_STAGE_KEYS
from server.domain.regions import normalize_region, region_province

STRATEGIES = ("direct", "team_pool", "round_robin", "least_loaded", "senior")
TEAM_STRATEGIES = ("team_pool", "round_robin", "least_loaded", "senior")
CONDITION_KINDS = ("regions", "industries", "sizes", "grades", "sources")
MAX_RULE_NAME = 100
MAX_CONDITION_VALUES = 200

# Deals this far along keep their customer out of stale-lead cleanup unless configured.
LATE_DEAL_STAGES = ("proposal", "negotiation")
if not set(LATE_DEAL_STAGES) <= set(OPEN_STAGE_KEYS):
    raise RuntimeError("LATE_DEAL_STAGES must name open stages of server/domain/pipeline.py")


# ---- leads and conditions ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lead:
    """What rules look at. `province` is derived once so 50 rules don't each recompute it."""

    id: Any
    region_code: str | None = None
    industry: str | None = None
    size: str | None = None
    grade: str | None = None
    source: str | None = None
    province: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Lead:
        """From a customer row (column names: region_code, industry, size, grade, source)."""
        region = row.get("region_code")
        source = row.get("source")
        return cls(
            id=row["id"],
            region_code=region,
            industry=row.get("industry"),
            size=row.get("size"),
            grade=row.get("grade"),
            source=source_key(source) if source else None,
            province=_province_or_none(region),
        )


def _province_or_none(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return region_province(code)
    except InvalidValue:  # a stored code the region table no longer knows: matches no region
        return None


def source_key(source: str) -> str:
    """Sources are free text on customers, so compare them cleaned and case-folded."""
    return clean_text(source).casefold()


@dataclass(frozen=True, slots=True)
class Conditions:
    regions: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()
    sizes: frozenset[str] = frozenset()
    grades: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()

    def is_empty(self) -> bool:
        return not any(getattr(self, kind) for kind in CONDITION_KINDS)

    def matches(self, lead: Lead) -> bool:
        return (
            self._region_matches(lead)
            and _allows(self.industries, lead.industry)
            and _allows(self.sizes, lead.size)
            and _allows(self.grades, lead.grade)
            and _allows(self.sources, lead.source)
        )

    def _region_matches(self, lead: Lead) -> bool:
        if not self.regions:
            return True
        return lead.region_code in self.regions or lead.province in self.regions

    def to_json(self) -> dict[str, list[str]]:
        return {
            kind: sorted(getattr(self, kind)) for kind in CONDITION_KINDS if getattr(self, kind)
        }


def _allows(allowed: frozenset[str], value: str | None) -> bool:
    return not allowed or value in allowed


# ---- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleDefinition:
    """A validated rule as a manager defines it (targets not yet checked against the DB)."""

    name: str
    strategy: str
    conditions: Conditions
    team_id: int | None = None
    user_id: int | None = None
    is_default: bool = False
    active: bool = True


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    name: str
    strategy: str
    conditions: Conditions = field(default_factory=Conditions)
    team_id: int | None = None  # the team it places into (for direct: the user's team)
    user_id: int | None = None  # direct target
    is_default: bool = False

    def applies_to(self, lead: Lead) -> bool:
        if self.strategy == "senior" and lead.grade != "A":
            return False
        return self.conditions.matches(lead)


def _condition_values(kind: str, raw: Any, errors: list[FieldError]) -> frozenset[str]:
    values = raw or []
    path = f"conditions.{kind}"
    if len(values) > MAX_CONDITION_VALUES:
        errors.append(FieldError(path, "assignment.too_many_values", {"max": MAX_CONDITION_VALUES}))
        return frozenset()
    parsed = set()
    for value in values:
        if not isinstance(value, str):
            errors.append(FieldError(path, "type.string_list"))
            continue
        try:
            parsed.add(_CONDITION_PARSERS[kind](value))
        except InvalidValue as exc:
            errors.append(FieldError(path, exc.code, {"value": value, **exc.params}))
    return frozenset(parsed)


def _region(value: str) -> str:
    try:
        return normalize_region(value)
    except InvalidValue:
        raise InvalidValue("assignment.region_unknown") from None


def _industry(value: str) -> str:
    try:
        return normalize_industry(value)
    except InvalidValue:
        raise InvalidValue("assignment.industry_unknown") from None


def _one_of(options: tuple[str, ...], fold: Any = str) -> Any:
    def parse(value: str) -> str:
        folded = fold(clean_text(value))
        if folded not in options:
            raise InvalidValue("assignment.value_not_allowed", allowed=", ".join(options))
        return folded

    return parse


def _source(value: str) -> str:
    key = source_key(value)
    if not key:
        raise InvalidValue("assignment.value_empty")
    return key


_CONDITION_PARSERS = {
    "regions": _region,
    "industries": _industry,
    "sizes": _one_of(SIZES),
    "grades": _one_of(GRADES, str.upper),
    "sources": _source,
}


def parse_conditions(raw: Mapping[str, Any] | None, errors: list[FieldError]) -> Conditions:
    raw = raw or {}
    errors.extend(
        FieldError(f"conditions.{k}", "field.unknown") for k in raw if k not in CONDITION_KINDS
    )
    return Conditions(**{k: _condition_values(k, raw.get(k), errors) for k in CONDITION_KINDS})


def parse_rule(raw: Mapping[str, Any]) -> RuleDefinition:
    """Validate a rule's shape and values; every problem is reported, each on its field."""
    errors: list[FieldError] = []
    name = clean_text(raw.get("name") or "")
    if not name:
        errors.append(FieldError("name", "required"))
    elif len(name) > MAX_RULE_NAME:
        errors.append(FieldError("name", "text.too_long", {"max": MAX_RULE_NAME}))
    strategy = raw.get("strategy") or ""
    if strategy not in STRATEGIES:
        allowed = ", ".join(STRATEGIES)
        errors.append(FieldError("strategy", "assignment.strategy_unknown", {"allowed": allowed}))
    condition_errors: list[FieldError] = []
    conditions = parse_conditions(raw.get("conditions"), condition_errors)
    is_default = bool(raw.get("is_default"))
    errors += condition_errors
    if not condition_errors:  # a rule whose only region is misspelt is not "without conditions"
        errors += _presence_errors(conditions, is_default)
    if strategy == "senior" and conditions.grades - {"A"}:
        errors.append(FieldError("conditions.grades", "assignment.senior_grades"))
    errors += _target_errors(strategy, raw.get("team_id"), raw.get("user_id"))
    if errors:
        raise ValidationFailed(errors)
    return RuleDefinition(
        name=name,
        strategy=strategy,
        conditions=conditions,
        team_id=raw.get("team_id"),
        user_id=raw.get("user_id"),
        is_default=is_default,
        active=raw.get("active", True) is not False,
    )


def _presence_errors(conditions: Conditions, is_default: bool) -> list[FieldError]:
    if is_default and not conditions.is_empty():
        return [FieldError("conditions", "assignment.default_has_conditions")]
    if not is_default and conditions.is_empty():
        return [FieldError("conditions", "assignment.conditions_required")]
    return []


def _target_errors(strategy: str, team_id: int | None, user_id: int | None) -> list[FieldError]:
    if strategy == "direct" and user_id is None:
        return [FieldError("user_id", "required")]
    if strategy in TEAM_STRATEGIES:
        errors = [] if team_id is not None else [FieldError("team_id", "required")]
        if user_id is not None:
            errors.append(FieldError("user_id", "assignment.user_not_for_strategy"))
        return errors
    return []


# ---- choosing an owner ---------------------------------------------------------------------


@dataclass(slots=True)
class Rep:
    """A person who may receive leads, with the number of customers they own right now."""

    id: int
    team_id: int | None
    role: str = "rep"
    senior: bool = False
    capacity: int = 0  # 0 = no cap
    load: int = 0

    def has_room(self) -> bool:
        return self.capacity == 0 or self.load < self.capacity


@dataclass(frozen=True, slots=True)
class Placement:
    rule: Rule
    owner_id: int | None  # None: into the team's share of the pool
    team_id: int | None


def order_rules(rules: Iterable[Rule]) -> list[Rule]:
    """Given rules in their stored order; default rules go last (sorted() is stable)."""
    return sorted(rules, key=lambda rule: rule.is_default)


class Assigner:
    """Places leads one at a time, keeping loads and round-robin turns up to date in memory;
    the caller persists `turns` and the placements. `allowed_owners` restricts who may
    receive leads (a handover spreads only among its targets)."""

    def __init__(
        self,
        rules: Iterable[Rule],
        reps: Iterable[Rep],
        turns: Mapping[int, int] | None = None,
        allowed_owners: Collection[int] | None = None,
    ) -> None:
        self.rules = order_rules(rules)
        self.turns: dict[int, int] = dict(turns or {})
        self._reps = {rep.id: rep for rep in reps}
        self._allowed = frozenset(allowed_owners) if allowed_owners is not None else None
        self._team_reps: dict[int, list[Rep]] = {}
        for rep in sorted(self._reps.values(), key=lambda r: r.id):
            if rep.role == "rep" and rep.team_id is not None:
                self._team_reps.setdefault(rep.team_id, []).append(rep)

    def place(self, lead: Lead) -> Placement | None:
        for rule in self.rules:
            if rule.applies_to(lead) and (placement := self._place_by(rule)):
                return placement
        return None

    def _place_by(self, rule: Rule) -> Placement | None:
        if rule.strategy == "team_pool":
            # Only a real owner counts when the receivers are restricted (handover).
            return Placement(rule, None, rule.team_id) if self._allowed is None else None
        rep = self._choose(rule)
        if rep is None:
            return None
        rep.load += 1
        return Placement(rule, rep.id, rep.team_id)

    def _choose(self, rule: Rule) -> Rep | None:
        if rule.strategy == "direct":
            rep = self._reps.get(rule.user_id) if rule.user_id is not None else None
            return rep if rep is not None and self._eligible(rep) else None
        members = self._team_reps.get(rule.team_id, []) if rule.team_id is not None else []
        if rule.strategy == "round_robin":
            return self._next_in_turn(rule, members)
        if rule.strategy == "senior":
            members = [rep for rep in members if rep.senior]
        return self._least_loaded(members)

    def _eligible(self, rep: Rep) -> bool:
        return rep.has_room() and (self._allowed is None or rep.id in self._allowed)

    def _least_loaded(self, members: Sequence[Rep]) -> Rep | None:
        eligible = [rep for rep in members if self._eligible(rep)]
        return min(eligible, key=lambda rep: (rep.load, rep.id), default=None)

    def _next_in_turn(self, rule: Rule, members: Sequence[Rep]) -> Rep | None:
        """Rotate over the whole team in id order, skipping who can't take it, so a rep back
        under their cap rejoins the rotation where they were."""
        turn = self.turns.get(rule.id, 0)
        for step in range(len(members)):
            rep = members[(turn + step) % len(members)]
            if self._eligible(rep):
                self.turns[rule.id] = turn + step + 1
                return rep
        return None


def spread_evenly(units: Sequence[Any], receivers: Sequence[int]) -> dict[Any, int]:
    """Deal `units` out to `receivers` in turn (counts differ by at most one)."""
    return {unit: receivers[index % len(receivers)] for index, unit in enumerate(units)}


# ---- pool settings -------------------------------------------------------------------------

STALE_ACTIONS = ("release", "low_priority", "archive")
MAX_LIMIT = 100_000
MAX_DAYS = 3650
DEFAULT_STALE_DAYS = {"A": 60, "B": 30, "C": 14}


@dataclass(frozen=True)
class PoolSettings:
    claim_daily_limit: int = 10  # claims per rep per local day; 0 = no limit
    claim_total_limit: int = 0  # a rep owning this many customers can't claim more; 0 = no cap
    protection_days: int = 7  # after a claim: no stale release, no reassignment by rules
    stale_days: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_STALE_DAYS))
    stale_action: str = "release"  # release | low_priority | archive
    stale_lifecycles: tuple[str, ...] = ("lead", "prospect")
    stale_include_late_deals: bool = False  # also act on customers with proposal/negotiation deals

    def to_json(self) -> dict[str, Any]:
        return {
            "claim_daily_limit": self.claim_daily_limit,
            "claim_total_limit": self.claim_total_limit,
            "protection_days": self.protection_days,
            "stale_days": dict(self.stale_days),
            "stale_action": self.stale_action,
            "stale_lifecycles": list(self.stale_lifecycles),
            "stale_include_late_deals": self.stale_include_late_deals,
        }


def _count(value: Any, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue("type.number")
    if not 0 <= value <= maximum:
        raise InvalidValue("assignment.out_of_range", min=0, max=maximum)
    return value


def _stale_days(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise InvalidValue("type.object")
    unknown = sorted(set(value) - set(GRADES))
    if unknown:
        raise InvalidValue("assignment.value_not_allowed", allowed=", ".join(GRADES))
    return {**DEFAULT_STALE_DAYS, **{g: _count(days, MAX_DAYS) for g, days in value.items()}}


def _choice(options: tuple[str, ...]) -> Any:
    def parse(value: Any) -> str:
        if value not in options:
            raise InvalidValue("assignment.value_not_allowed", allowed=", ".join(options))
        return value

    return parse


def _lifecycles(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise InvalidValue("type.string_list")
    return tuple(sorted({_choice(LIFECYCLES)(item) for item in value}))


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue("assignment.not_boolean")
    return value


_SETTING_PARSERS = {
    "claim_daily_limit": lambda v: _count(v, MAX_LIMIT),
    "claim_total_limit": lambda v: _count(v, MAX_LIMIT),
    "protection_days": lambda v: _count(v, MAX_DAYS),
    "stale_days": _stale_days,
    "stale_action": _choice(STALE_ACTIONS),
    "stale_lifecycles": _lifecycles,
    "stale_include_late_deals": _flag,
}


def parse_settings(changes: Mapping[str, Any], base: PoolSettings | None = None) -> PoolSettings:
    """`base` with `changes` applied; every bad key is reported on its own field."""
    errors: list[FieldError] = []
    parsed: dict[str, Any] = {}
    for key, value in changes.items():
        parser = _SETTING_PARSERS.get(key)
        if parser is None:
            errors.append(FieldError(key, "field.unknown"))
            continue
        try:
            parsed[key] = parser(value)
        except InvalidValue as exc:
            errors.append(FieldError(key, exc.code, exc.params))
    if errors:
        raise ValidationFailed(errors)
    return replace(base or PoolSettings(), **parsed)


def stale_cutoffs(settings: PoolSettings, now: dt.datetime) -> dict[str, dt.datetime]:
    """Grade → the instant before which no contact means stale; grades set to 0 never go stale."""
    return {
        grade: now - dt.timedelta(days=days)
        for grade, days in sorted(settings.stale_days.items())
        if days > 0
    }


# ---- pool display --------------------------------------------------------------------------


def mask_phone(e164: str | None) -> str | None:
    """Last four digits only: enough to recognise a lead, not enough to call it unclaimed."""
    if not e164:
        return None
    digits = [ch for ch in e164 if ch.isdigit()]
    return "*" * max(len(digits) - 4, 3) + "".join(digits[-4:])


# ---- fairness ------------------------------------------------------------------------------


def gini(values: Sequence[float]) -> float:
    """0 = everyone got the same, towards 1 = one person got everything; 0 for no data."""
    total = sum(values)
    count = len(values)
    if count == 0 or total == 0:
        return 0.0
    ranked = sorted(values)
    weighted = sum(rank * value for rank, value in enumerate(ranked, start=1))
    return round(2 * weighted / (count * total) - (count + 1) / count, 4)
