"""Who may see and change what. Pure rules; services turn them into SQL filters.

- admin: everything.
- manager: customers of their team (plus the public pool).
- rep: customers they own, plus ones explicitly shared with them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

ROLES = ("admin", "manager", "rep")


@dataclass(frozen=True)
class Actor:
    id: int
    role: str
    team_id: int | None
    display_name: str = ""
    locale: str = "zh-CN"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_manager_or_admin(self) -> bool:
        return self.role in ("admin", "manager")


def can_see_customer(
    actor: Actor, owner_id: int | None, team_id: int | None, shared_with: Collection[int]
) -> bool:
    if actor.is_admin:
        return True
    if actor.role == "manager":
        return team_id is not None and team_id == actor.team_id
    return owner_id == actor.id or actor.id in shared_with


def can_reassign(actor: Actor) -> bool:
    return actor.is_manager_or_admin


def can_export(actor: Actor) -> bool:
    return actor.is_manager_or_admin
