"""Tables of the assignment area: the ordered assignment rules."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.db.tables import Team, User


class AssignmentRule(Table):
    """One rule of server/domain/assignment.py. Rules are tried by `position` (defaults last)."""

    id = Serial(primary_key=True)
    name = Varchar(length=100, unique=True)  # copied onto Customer.assigned_rule
    position = Integer(default=0, index=True)
    conditions = JSON(default="{}")  # {"regions": ["CN-GD"], "grades": ["A"], …}
    strategy = Varchar(length=16)
    team = ForeignKey(Team, null=True, index=True)  # the team it places into
    user = ForeignKey(User, null=True)  # direct target
    is_default = Boolean(default=False)
    active = Boolean(default=True)
    # Round-robin position, stored so the rotation continues after a restart.
    rr_turn = Integer(default=0)
    created_by = ForeignKey(User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


ASSIGNMENT_TABLES: list[type[Table]] = [AssignmentRule]
