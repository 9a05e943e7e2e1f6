"""What a save does when likely duplicates exist (撞单 prevention).

* A likely duplicate owned by someone else than the new record's owner, or lying in the
  public pool: the save is refused with who owns it ("customer.duplicate_owned" /
  "customer.duplicate_in_pool"). Confirming does not help; only a manager or admin may save
  anyway, with a reason (audited).
* Likely duplicates all owned by the same owner: refused with the list
  ("customer.duplicate_likely") unless the client confirms it is a different customer.

* An offline save arriving by sync (`DuplicateCheck(offline=True)`): nobody can be asked
  before it is saved, so own likely duplicates are saved and left to the nightly job's
  merge / review; another owner's record still refuses it.

A duplicate the acting user may not see is described by name and owner only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from server.domain.access import Actor
from server.domain.errors import Conflict, Forbidden
from server.domain.normalize import clean_text

Outcome = Literal["no_duplicates", "confirmed", "overridden", "left_for_review"]


@dataclass(frozen=True)
class DuplicateCheck:
    """What the client said about duplicates when saving."""

    confirm_duplicate: bool = False  # "I saw the likely duplicates; this is another customer"
    override_reason: str | None = None  # manager/admin: save despite another owner's record
    skip: bool = False  # the caller already reported duplicates (CSV import's dry-run report)
    offline: bool = False  # saved on a device without the server: own duplicates wait for review

    @property
    def reason(self) -> str:
        return clean_text(self.override_reason or "")


@dataclass(frozen=True)
class Finding:
    """A likely duplicate of the record being saved."""

    id: str
    name: str
    owner_id: int | None
    owner_name: str | None
    visible: bool  # the acting user may see this record
    score: float
    reasons: tuple[str, ...]

    def public(self) -> dict[str, Any]:
        """What the acting user may be told about it."""
        if not self.visible:
            return {"visible": False, "name": self.name, "owner_name": self.owner_name}
        return {
            "visible": True,
            "id": self.id,
            "name": self.name,
            "owner_id": self.owner_id,
            "owner_name": self.owner_name,
            "score": self.score,
            "reasons": list(self.reasons),
        }


def judge_save(
    findings: Sequence[Finding], owner_id: int | None, actor: Actor, check: DuplicateCheck
) -> Outcome:
    """Allow the save (saying why) or raise Conflict / Forbidden."""
    if check.skip or not findings:
        return "no_duplicates"
    if check.reason and not actor.is_manager_or_admin:
        raise Forbidden("dedup.override_forbidden")
    others = [f for f in findings if f.owner_id != owner_id]
    if check.reason:
        return "overridden"
    shown = [f.public() for f in findings]
    if others:
        owners = sorted({f.owner_name or "" for f in others if f.owner_id is not None})
        if not owners:
            raise Conflict("customer.duplicate_in_pool", duplicates=shown)
        raise Conflict("customer.duplicate_owned", owner=", ".join(owners), duplicates=shown)
    if check.confirm_duplicate:
        return "confirmed"
    if check.offline:
        return "left_for_review"
    raise Conflict("customer.duplicate_likely", count=len(findings), duplicates=shown)
