"""Assignment: the rules managers keep, automatic assignment of new and pool leads, handover
of a rep's book, and the fairness report. Rule semantics: server/domain/assignment.py.

Scope: an admin manages and runs every rule; a manager only the rules that place leads into
their own team, and a manager's leads only go through those. Every write transaction takes
the write lock first (`lock_writes`), then reads rules, turns and loads — so concurrent
assignments see each other's results and round-robin turns never repeat.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from piccolo.columns.combination import Where
from piccolo.engine.base import Engine
from piccolo.query.functions.aggregate import Count

from server.db.assignment_tables import AssignmentRule
from server.db.engine import write_transaction
from server.db.tables import Customer, Deal, FollowUp, OwnerChange, Team, User
from server.domain.access import Actor
from server.domain.assignment import (
    CONDITION_KINDS,
    Assigner,
    Conditions,
    Lead,
    Placement,
    Rep,
    Rule,
    RuleDefinition,
    gini,
    parse_rule,
    spread_evenly,
)
from server.domain.clock import utcnow
from server.domain.errors import FieldError, Forbidden, NotFound, ValidationFailed
from server.domain.pipeline import DEFAULT_STAGES
from server.domain.schedule import DEFAULT_TIME_ZONE, start_of_local_day
from server.services import audit
from server.services.notifications import notify
from server.services.ownership import Move, apply_moves, chunked, stamp
from server.services.sequence import lock_writes

RECEIVER_ROLES = ("rep", "manager")  # who may own customers handed out by rules
CLOSED_STAGES = tuple(stage.key for stage in DEFAULT_STAGES if stage.closed)
SPREADS = ("even", "rules")
LEAD_COLUMNS = (
    Customer.id,
    Customer.name,
    Customer.team,
    Customer.region_code,
    Customer.industry,
    Customer.size,
    Customer.grade,
    Customer.source,
)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# ---- rules: reading ------------------------------------------------------------------------


def _rules_of(actor: Actor) -> Where | Any:
    if actor.is_admin:
        return AssignmentRule.id.is_not_null()
    return AssignmentRule.team == actor.team_id


def _rule_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "position": row["position"],
        "strategy": row["strategy"],
        "conditions": _json(row["conditions"]) or {},
        "team_id": row["team"],
        "team_name": row.get("team_name"),
        "user_id": row["user"],
        "user_name": row.get("user_name"),
        "is_default": row["is_default"],
        "active": row["active"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _ordered(query: Any) -> Any:
    """Evaluation order: by position, default rules last."""
    return (
        query.order_by(AssignmentRule.is_default)
        .order_by(AssignmentRule.position)
        .order_by(AssignmentRule.id)
    )


async def list_rules(actor: Actor) -> list[dict[str, Any]]:
    rows = await _ordered(
        AssignmentRule.select(
            *AssignmentRule.all_columns(),
            AssignmentRule.team.name.as_alias("team_name"),
            AssignmentRule.user.display_name.as_alias("user_name"),
        ).where(_rules_of(actor))
    )
    return [_rule_out(row) for row in rows]


async def get_rule(actor: Actor, rule_id: int) -> dict[str, Any]:
    for rule in await list_rules(actor):
        if rule["id"] == rule_id:
            return rule
    raise NotFound("assignment_rule")


async def _require_rule(actor: Actor, rule_id: int) -> dict[str, Any]:
    row = (
        await AssignmentRule.select()
        .where(_rules_of(actor) & (AssignmentRule.id == rule_id))
        .first()
    )
    if row is None:
        raise NotFound("assignment_rule")
    return row


# ---- rules: writing ------------------------------------------------------------------------


def _definition_fields(row: dict[str, Any]) -> dict[str, Any]:
    """A stored rule in the shape parse_rule takes, so a PATCH re-validates the whole rule."""
    return {
        "name": row["name"],
        "strategy": row["strategy"],
        "conditions": _json(row["conditions"]) or {},
        "team_id": row["team"],
        "user_id": row["user"],
        "is_default": row["is_default"],
        "active": row["active"],
    }


async def _placing_team(actor: Actor, rule: RuleDefinition) -> int | None:
    """The team the rule places into; checks the targets exist and are the manager's own."""
    if rule.strategy == "direct":
        return await _direct_target_team(actor, rule)
    if not await Team.exists().where(Team.id == rule.team_id):
        raise ValidationFailed([FieldError("team_id", "assignment.team_unknown")])
    if actor.role == "manager" and rule.team_id != actor.team_id:
        raise ValidationFailed([FieldError("team_id", "assignment.team_not_yours")])
    return rule.team_id


async def _direct_target_team(actor: Actor, rule: RuleDefinition) -> int | None:
    user = (
        await User.select(User.team, User.role, User.active).where(User.id == rule.user_id).first()
    )
    if user is None or not user["active"] or user["role"] not in RECEIVER_ROLES:
        raise ValidationFailed([FieldError("user_id", "user.unknown")])
    outside_rule_team = rule.team_id is not None and user["team"] != rule.team_id
    outside_own_team = actor.role == "manager" and user["team"] != actor.team_id
    if outside_rule_team or outside_own_team:
        raise ValidationFailed([FieldError("user_id", "assignment.user_other_team")])
    return user["team"]


async def _check_unique(rule: RuleDefinition, team_id: int | None, rule_id: int | None) -> None:
    others = (
        AssignmentRule.id != rule_id if rule_id is not None else AssignmentRule.id.is_not_null()
    )
    errors = []
    if await AssignmentRule.exists().where(others & (AssignmentRule.name == rule.name)):
        errors.append(FieldError("name", "assignment.rule_name_taken"))
    same_team = AssignmentRule.team.is_null() if team_id is None else AssignmentRule.team == team_id
    if rule.is_default and await AssignmentRule.exists().where(
        others & AssignmentRule.is_default.eq(True) & same_team
    ):
        errors.append(FieldError("is_default", "assignment.default_exists"))
    if errors:
        raise ValidationFailed(errors)


def _columns(rule: RuleDefinition, team_id: int | None) -> dict[Any, Any]:
    return {
        AssignmentRule.name: rule.name,
        AssignmentRule.strategy: rule.strategy,
        AssignmentRule.conditions: json.dumps(rule.conditions.to_json(), ensure_ascii=False),
        AssignmentRule.team: team_id,
        AssignmentRule.user: rule.user_id,
        AssignmentRule.is_default: rule.is_default,
        AssignmentRule.active: rule.active,
    }


def _audit_form(rule: RuleDefinition, team_id: int | None) -> dict[str, Any]:
    return {
        "name": rule.name,
        "strategy": rule.strategy,
        "conditions": rule.conditions.to_json(),
        "team_id": team_id,
        "user_id": rule.user_id,
        "is_default": rule.is_default,
        "active": rule.active,
    }


async def create_rule(engine: Engine, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    definition = parse_rule(data)
    async with write_transaction(engine):
        team_id = await _placing_team(actor, definition)
        await _check_unique(definition, team_id, None)
        last = (
            await AssignmentRule.select(AssignmentRule.position)
            .order_by(AssignmentRule.position, ascending=False)
            .first()
        )
        rule = AssignmentRule(
            {
                **_columns(definition, team_id),
                AssignmentRule.position: (last["position"] + 1) if last else 0,
                AssignmentRule.created_by: actor.id,
            }
        )
        await rule.save()
        after = _audit_form(definition, team_id)
        await audit.record(actor, "create", "assignment_rule", rule.id, after=after)
    return await get_rule(actor, rule.id)


async def update_rule(
    engine: Engine, actor: Actor, rule_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    async with write_transaction(engine):
        row = await _require_rule(actor, rule_id)
        current = _definition_fields(row)
        definition = parse_rule({**current, **changes})
        team_id = await _placing_team(actor, definition)
        await _check_unique(definition, team_id, rule_id)
        await AssignmentRule.update(
            {**_columns(definition, team_id), AssignmentRule.updated_at: utcnow()}
        ).where(AssignmentRule.id == rule_id)
        before, after = audit.changed_fields(current, _audit_form(definition, team_id))
        await audit.record(actor, "update", "assignment_rule", rule_id, before=before, after=after)
    return await get_rule(actor, rule_id)


async def delete_rule(engine: Engine, actor: Actor, rule_id: int) -> None:
    """Customers it assigned keep its name in assigned_rule: history stays readable."""
    async with write_transaction(engine):
        row = await _require_rule(actor, rule_id)
        await AssignmentRule.delete().where(AssignmentRule.id == rule_id)
        await audit.record(
            actor, "delete", "assignment_rule", rule_id, before=_definition_fields(row)
        )


async def reorder_rules(engine: Engine, actor: Actor, rule_ids: list[int]) -> list[dict[str, Any]]:
    """Put the listed rules in the given order, in the positions they already occupy between
    them — so a manager reorders their team's rules without moving anyone else's."""
    if len(set(rule_ids)) != len(rule_ids):
        raise ValidationFailed([FieldError("rule_ids", "assignment.rule_ids_repeated")])
    async with write_transaction(engine):
        rows = await AssignmentRule.select(AssignmentRule.id, AssignmentRule.position).where(
            _rules_of(actor) & AssignmentRule.id.is_in(rule_ids or [-1])
        )
        unknown = sorted(set(rule_ids) - {row["id"] for row in rows})
        if unknown:
            ids = ", ".join(map(str, unknown))
            raise ValidationFailed(
                [FieldError("rule_ids", "assignment.rule_unknown", {"ids": ids})]
            )
        slots = sorted(row["position"] for row in rows)
        for rule_id, position in zip(rule_ids, slots, strict=True):
            await AssignmentRule.update({AssignmentRule.position: position}).where(
                AssignmentRule.id == rule_id
            )
        await audit.record(actor, "reorder", "assignment_rule", after={"rule_ids": rule_ids})
    return await list_rules(actor)


# ---- the assignment state: rules, reps, loads ----------------------------------------------


def _rule_from_row(row: dict[str, Any]) -> Rule:
    stored = _json(row["conditions"]) or {}
    conditions = Conditions(**{kind: frozenset(stored.get(kind, ())) for kind in CONDITION_KINDS})
    return Rule(
        id=row["id"],
        name=row["name"],
        strategy=row["strategy"],
        conditions=conditions,
        team_id=row["team"],
        user_id=row["user"],
        is_default=row["is_default"],
    )


async def _active_rules(actor: Actor) -> tuple[list[Rule], dict[int, int]]:
    """The rules the actor's leads go through, in order, and their round-robin turns."""
    rows = await _ordered(
        AssignmentRule.select().where(_rules_of(actor) & AssignmentRule.active.eq(True))
    )
    return [_rule_from_row(row) for row in rows], {row["id"]: row["rr_turn"] for row in rows}


async def _save_turns(turns: dict[int, int], before: dict[int, int]) -> None:
    for rule_id, turn in turns.items():
        if turn != before.get(rule_id):
            await AssignmentRule.update({AssignmentRule.rr_turn: turn}).where(
                AssignmentRule.id == rule_id
            )


async def _loads(user_ids: Sequence[int]) -> dict[int, int]:
    """Customers each user owns now (archived ones no longer take anyone's time)."""
    if not user_ids:
        return {}
    rows = await (
        Customer.select(Customer.owner, Count(alias="owned"))
        .where(
            Customer.owner.is_in(list(user_ids))
            & Customer.deleted.eq(False)
            & Customer.archived_at.is_null()
        )
        .group_by(Customer.owner)
    )
    return {row["owner"]: row["owned"] for row in rows}


async def _reps(where: Where | Any) -> list[Rep]:
    rows = await User.select(User.id, User.team, User.role, User.senior, User.capacity).where(
        where & User.active.eq(True) & User.role.is_in(list(RECEIVER_ROLES))
    )
    loads = await _loads([row["id"] for row in rows])
    return [
        Rep(
            id=row["id"],
            team_id=row["team"],
            role=row["role"],
            senior=row["senior"],
            capacity=row["capacity"] or 0,
            load=loads.get(row["id"], 0),
        )
        for row in rows
    ]


def _receivers_of(actor: Actor) -> Where | Any:
    return User.id.is_not_null() if actor.is_admin else User.team == actor.team_id


def _targets_of(rules: Sequence[Rule]) -> Where | Any:
    """Only the people the rules can reach: their loads are all that need counting."""
    teams = [rule.team_id for rule in rules if rule.strategy != "direct" and rule.team_id]
    users = [rule.user_id for rule in rules if rule.strategy == "direct" and rule.user_id]
    return User.team.is_in(teams or [-1]) | User.id.is_in(users or [-1])


# ---- assigning -----------------------------------------------------------------------------


@dataclass
class AssignmentReport:
    considered: int = 0
    assigned: int = 0  # given an owner
    to_team_pool: int = 0  # placed into a team's share of the pool
    unplaced: int = 0  # no rule could place it: stays where it was
    by_rule: dict[str, int] = field(default_factory=dict)
    by_owner: dict[int, int] = field(default_factory=dict)


def goes_through_rules(actor: Actor, owner_id: int | None) -> bool:
    """A manager's or admin's new customer without a named owner is assigned by the rules."""
    return owner_id is None and actor.is_manager_or_admin


async def assign_new_leads(
    engine: Engine, actor: Actor, customer_ids: Sequence[uuid.UUID]
) -> AssignmentReport:
    """Customers the actor just created (so still owned by them) through the rules; one the
    rules can't place stays with its creator."""
    if not customer_ids:
        return AssignmentReport()
    mine = Customer.owner == actor.id
    return await _assign(engine, actor, mine & Customer.id.is_in(list(customer_ids)), actor.id)


def pool_leads_of(actor: Actor) -> Where | Any:
    """Unowned, live leads in the actor's reach: admins all, others the shared pool and
    their team's share of it."""
    # Not filtered on merged_into: the losing record of a merge is a tombstone anyway, and
    # rows written through Piccolo objects get a random UUID there (the column's default).
    where = Customer.owner.is_null() & Customer.deleted.eq(False) & Customer.archived_at.is_null()
    if actor.is_admin:
        return where
    if actor.team_id is None:
        return where & Customer.team.is_null()
    return where & (Customer.team.is_null() | (Customer.team == actor.team_id))


async def run_assignment(
    engine: Engine, actor: Actor, customer_ids: Sequence[uuid.UUID] | None = None
) -> AssignmentReport:
    """Pool leads (all in reach, or the listed ones) through the rules, in creation order."""
    where = pool_leads_of(actor)
    if customer_ids is not None:
        where &= Customer.id.is_in(list(customer_ids) or [uuid.UUID(int=0)])
    return await _assign(engine, actor, where, None)


async def _assign(
    engine: Engine, actor: Actor, leads_where: Where | Any, from_owner: int | None
) -> AssignmentReport:
    now = utcnow()
    async with write_transaction(engine):
        await lock_writes()
        rows = (
            await Customer.select(*LEAD_COLUMNS)
            .where(leads_where)
            .order_by(Customer.created_at)
            .order_by(Customer.id)
        )
        rules, turns = await _active_rules(actor)
        assigner = Assigner(rules, await _reps(_receivers_of(actor) & _targets_of(rules)), turns)
        placed = [(row, assigner.place(Lead.from_row(row))) for row in rows]
        moves = [
            _move_for(row, placement, from_owner)
            for row, placement in placed
            if placement is not None and not _already_there(row, placement, from_owner)
        ]
        applied = await apply_moves(moves, actor.id, now)
        await _save_turns(assigner.turns, turns)
        report = _report(len(rows), applied)
        await _announce(applied, {row["id"]: row["name"] for row in rows})
        if applied:
            detail = json.dumps({"assigned": report.assigned, "by_rule": report.by_rule})
            await audit.record(actor, "assign", "customer", detail=detail)
    return report


def _already_there(row: dict[str, Any], placement: Placement, from_owner: int | None) -> bool:
    """A team-pool lead placed into the same team's pool again: nothing to move."""
    return placement.owner_id == from_owner and placement.team_id == row["team"]


def _move_for(row: dict[str, Any], placement: Placement, from_owner: int | None) -> Move:
    return Move(
        customer_id=row["id"],
        from_owner=from_owner,
        to_owner=placement.owner_id,
        to_team=placement.team_id,
        from_team=row["team"],
        rule=placement.rule.name,
        reason=f"rule:{placement.rule.name}",
    )


def _report(considered: int, applied: Sequence[Move]) -> AssignmentReport:
    owned = [move for move in applied if move.to_owner is not None]
    return AssignmentReport(
        considered=considered,
        assigned=len(owned),
        to_team_pool=len(applied) - len(owned),
        unplaced=considered - len(applied),
        by_rule=dict(Tally(move.rule or "" for move in applied)),
        by_owner=dict(Tally(move.to_owner for move in owned if move.to_owner is not None)),
    )


async def _announce(applied: Sequence[Move], names: dict[Any, str]) -> None:
    """One notification per new owner: the lead itself, or how many leads arrived."""
    by_owner: dict[int, list[Move]] = defaultdict(list)
    for move in applied:
        if move.to_owner is not None:
            by_owner[move.to_owner].append(move)
    for owner, moves in by_owner.items():
        if len(moves) == 1:
            move = moves[0]
            params = {"name": names.get(move.customer_id, ""), "rule": move.rule or ""}
            link = f"/customers/{move.customer_id}"
            await notify([owner], "assignment", "assignment.assigned", params, link)
        else:
            params = {"count": len(moves)}
            await notify([owner], "assignment", "assignment.assigned_many", params, "/customers")


# ---- handover ------------------------------------------------------------------------------


@dataclass
class HandoverReport:
    customers: int = 0
    deals: int = 0
    follow_ups: int = 0
    by_owner: dict[int, int] = field(default_factory=dict)


async def _check_handover(
    actor: Actor, from_user_id: int, to_user_ids: Sequence[int], spread: str
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    errors: list[FieldError] = []
    source = (
        await User.select(User.id, User.team, User.display_name)
        .where(User.id == from_user_id)
        .first()
    )
    if source is None:
        raise NotFound("user")
    if actor.role == "manager" and source["team"] != actor.team_id:
        raise Forbidden("assignment.not_your_team")
    if spread not in SPREADS:
        errors.append(
            FieldError("spread", "assignment.value_not_allowed", {"allowed": ", ".join(SPREADS)})
        )
    targets = await _handover_targets(actor, from_user_id, to_user_ids, errors)
    if errors:
        raise ValidationFailed(errors)
    return source, targets


async def _handover_targets(
    actor: Actor, from_user_id: int, to_user_ids: Sequence[int], errors: list[FieldError]
) -> dict[int, dict[str, Any]]:
    if not to_user_ids:
        errors.append(FieldError("to_user_ids", "required"))
        return {}
    if len(set(to_user_ids)) != len(to_user_ids) or from_user_id in to_user_ids:
        errors.append(FieldError("to_user_ids", "assignment.targets_invalid"))
    rows = await User.select(User.id, User.team, User.role, User.senior, User.capacity).where(
        User.id.is_in(list(to_user_ids))
        & User.active.eq(True)
        & User.role.is_in(list(RECEIVER_ROLES))
    )
    found = {row["id"]: row for row in rows}
    missing = [uid for uid in to_user_ids if uid not in found]
    if missing:
        errors.append(FieldError("to_user_ids", "user.unknown"))
    if actor.role == "manager" and any(row["team"] != actor.team_id for row in rows):
        errors.append(FieldError("to_user_ids", "assignment.user_other_team"))
    return found


async def handover(
    engine: Engine, actor: Actor, from_user_id: int, to_user_ids: Sequence[int], spread: str
) -> HandoverReport:
    """Move all of a rep's customers, open deals and pending follow-ups to the targets.
    Shares made by others stay; the old owner keeps nothing of their own."""
    now = utcnow()
    async with write_transaction(engine):
        await lock_writes()
        source, targets = await _check_handover(actor, from_user_id, to_user_ids, spread)
        customers = (
            await Customer.select(*LEAD_COLUMNS)
            .where((Customer.owner == from_user_id) & Customer.deleted.eq(False))
            .order_by(Customer.created_at)
            .order_by(Customer.id)
        )
        owner_of, rule_of = await _handover_owners(actor, customers, list(to_user_ids), spread)
        moves = [
            Move(
                customer_id=row["id"],
                from_owner=from_user_id,
                to_owner=owner_of[row["id"]],
                to_team=targets[owner_of[row["id"]]]["team"],
                from_team=row["team"],
                rule=rule_of.get(row["id"]),
                reason="handover",
            )
            for row in customers
        ]
        applied = await apply_moves(moves, actor.id, now)
        report = HandoverReport(customers=len(applied))
        report.deals = await _hand_over_children(Deal, from_user_id, owner_of, to_user_ids)
        report.follow_ups = await _hand_over_children(FollowUp, from_user_id, owner_of, to_user_ids)
        report.by_owner = dict(Tally(move.to_owner for move in applied if move.to_owner))
        await _announce_handover(report, source["display_name"])
        detail = {"from_user_id": from_user_id, "to_user_ids": list(to_user_ids), "spread": spread}
        await audit.record(
            actor, "handover", "user", from_user_id, after={**detail, **_counts(report)}
        )
    return report


def _counts(report: HandoverReport) -> dict[str, int]:
    return {"customers": report.customers, "deals": report.deals, "follow_ups": report.follow_ups}


async def _handover_owners(
    actor: Actor, customers: Sequence[dict[str, Any]], to_user_ids: list[int], spread: str
) -> tuple[dict[Any, int], dict[Any, str]]:
    """New owner (and, by rules, the rule) of each customer. By rules, the rules run with only
    the targets as receivers (capacity caps included); what they can't place is spread
    evenly like the rest — a handover must find every customer a new owner."""
    owner_of: dict[Any, int] = {}
    rule_of: dict[Any, str] = {}
    if spread == "rules":
        rules, turns = await _active_rules(actor)
        assigner = Assigner(rules, await _reps(User.id.is_in(to_user_ids)), turns, to_user_ids)
        for row in customers:
            placement = assigner.place(Lead.from_row(row))
            if placement is not None and placement.owner_id is not None:
                owner_of[row["id"]] = placement.owner_id
                rule_of[row["id"]] = placement.rule.name
    rest = [row["id"] for row in customers if row["id"] not in owner_of]
    owner_of.update(spread_evenly(rest, to_user_ids))
    return owner_of, rule_of


async def _hand_over_children(
    table: type[Deal] | type[FollowUp],
    from_user_id: int,
    owner_of: dict[Any, int],
    to_user_ids: Sequence[int],
) -> int:
    """Open deals / pending follow-ups follow their customer's new owner; ones on customers
    the rep didn't own are spread evenly by customer."""
    still_open = (
        table.stage.not_in(list(CLOSED_STAGES)) if table is Deal else table.done_at.is_null()
    )
    rows = (
        await table.select(table.id, table.customer)
        .where((table.owner == from_user_id) & table.deleted.eq(False) & still_open)
        .order_by(table.id)
    )
    others = sorted({row["customer"] for row in rows if row["customer"] not in owner_of}, key=str)
    new_owner = {**spread_evenly(others, list(to_user_ids)), **owner_of}
    by_owner: dict[int, list[uuid.UUID]] = defaultdict(list)
    for row in rows:
        by_owner[new_owner[row["customer"]]].append(row["id"])
    moved = 0
    only_if_still_theirs = (" AND owner = {}", (from_user_id,))
    for owner, ids in by_owner.items():
        moved += len(await stamp(table, ids, {table.owner: owner}, only_if_still_theirs))
    return moved


async def _announce_handover(report: HandoverReport, from_name: str) -> None:
    for owner, count in report.by_owner.items():
        params = {"count": count, "from": from_name}
        await notify([owner], "assignment", "assignment.handover_received", params, "/customers")


# ---- fairness ------------------------------------------------------------------------------

FAIRNESS_MEASURES = ("customers", "a_grade", "new_leads")


async def fairness(
    actor: Actor, start: dt.date, end: dt.date, team_id: int | None
) -> dict[str, Any]:
    """Per rep, for [start, end] (days in the company's time zone): customers received (any
    owner change to them), how many of those are A-grade, how many were new leads (created in
    the period); each measure's Gini coefficient over the reps; and what each owns now."""
    if end < start:
        raise ValidationFailed([FieldError("to", "assignment.period_invalid")])
    team_id = _fairness_team(actor, team_id)
    since = start_of_local_day(start, DEFAULT_TIME_ZONE)
    until = start_of_local_day(end + dt.timedelta(days=1), DEFAULT_TIME_ZONE)
    reps_where = User.active.eq(True) & (User.role == "rep")
    if team_id is not None:
        reps_where &= User.team == team_id
    reps = (
        await User.select(User.id, User.display_name, User.team).where(reps_where).order_by(User.id)
    )
    received = await _received(since, until, [rep["id"] for rep in reps])
    owned = await _loads([rep["id"] for rep in reps])
    rows = [
        {
            "user_id": rep["id"],
            "name": rep["display_name"],
            "team_id": rep["team"],
            **_measures(received.get(rep["id"], {}), since, until),
            "owned_now": owned.get(rep["id"], 0),
        }
        for rep in reps
    ]
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "team_id": team_id,
        "reps": rows,
        "gini": {m: gini([row[m] for row in rows]) for m in FAIRNESS_MEASURES},
    }


def _fairness_team(actor: Actor, team_id: int | None) -> int | None:
    if actor.is_admin:
        return team_id
    if team_id is not None and team_id != actor.team_id:
        raise Forbidden("assignment.not_your_team")
    return actor.team_id


async def _received(
    since: dt.datetime, until: dt.datetime, rep_ids: list[int]
) -> dict[int, dict[Any, dict[str, Any]]]:
    """rep → {customer id → its grade and creation time}, for customers they received."""
    received: dict[int, dict[Any, dict[str, Any]]] = defaultdict(dict)
    for chunk in chunked(rep_ids):
        rows = await OwnerChange.select(
            OwnerChange.to_owner,
            OwnerChange.customer,
            OwnerChange.customer.grade.as_alias("grade"),
            OwnerChange.customer.created_at.as_alias("created_at"),
        ).where(
            OwnerChange.to_owner.is_in(list(chunk))
            & (OwnerChange.changed_at >= since)
            & (OwnerChange.changed_at < until)
        )
        for row in rows:
            received[row["to_owner"]][row["customer"]] = row
    return received


def _measures(
    customers: dict[Any, dict[str, Any]], since: dt.datetime, until: dt.datetime
) -> dict[str, int]:
    return {
        "customers": len(customers),
        "a_grade": sum(1 for c in customers.values() if c["grade"] == "A"),
        "new_leads": sum(1 for c in customers.values() if since <= c["created_at"] < until),
    }
