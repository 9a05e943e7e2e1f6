"""Errors raised by domain rules.

Domain code never builds user-facing text: it raises codes with parameters, and the HTTP
layer (server/i18n.py) turns them into zh-CN or en messages for the request's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class InvalidValue(ValueError):
    """One value failed a rule; `code` names the rule, e.g. "phone.invalid"."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class ValidationFailed(Exception):
    """A whole record was rejected; carries every field error found, not just the first."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(", ".join(f"{e.field}: {e.code}" for e in errors))
        self.errors = errors


class NotFound(Exception):
    """The record does not exist or the actor may not see it (same answer, so no existence leak)."""

    def __init__(self, entity: str) -> None:
        super().__init__(entity)
        self.entity = entity


class Forbidden(Exception):
    """The actor may see the record but not perform this action on it."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class Conflict(Exception):
    """The action clashes with existing data (e.g. a duplicate owned by another rep)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
