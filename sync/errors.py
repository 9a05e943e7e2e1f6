"""Typed errors of the sync library.

Like the domain errors in `server/domain`, these never carry user-facing text: each has a
stable `code` (e.g. "field.unknown", "hlc.future") and keyword `params`, and the HTTP layer
turns them into a per-change 4xx message in the request's language.
"""

from __future__ import annotations

from typing import Any


class SyncError(ValueError):
    """Base of every error raised by `sync`; `code` names the broken rule."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        details = ", ".join(f"{key}={value!r}" for key, value in self.params.items())
        return f"{self.code} ({details})" if details else self.code


class InvalidHLC(SyncError):
    """A clock stamp is not in canonical text form ("hlc.invalid")."""


class ClockSkewError(SyncError):
    """A device's clock stamp is too far ahead of the server's clock ("hlc.future")."""


class InvalidChange(SyncError):
    """A change does not fit the entity's schema or is malformed; reject that change (4xx)."""


class InvalidState(SyncError):
    """Stored record state could not be read back ("state.corrupt", "state.schema_mismatch")."""
