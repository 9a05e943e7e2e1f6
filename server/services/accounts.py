"""Users, teams, passwords and login tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from server.db.tables import AuthToken, Team, User
from server.domain.access import ROLES, Actor
from server.domain.clock import utcnow
from server.domain.errors import FieldError, ValidationFailed

MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both cases cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_from_row(row: dict) -> Actor:
    return Actor(
        id=row["id"],
        role=row["role"],
        team_id=row["team"],
        display_name=row["display_name"],
        locale=row["locale"],
    )


async def create_team(name: str, region_code: str | None = None) -> int:
    team = Team(name=name, region_code=region_code)
    await team.save()
    return team.id


async def create_user(
    username: str,
    password: str | None,
    role: str,
    display_name: str | None = None,
    team_id: int | None = None,
    senior: bool = False,
    locale: str = "zh-CN",
    password_hash: str | None = None,
) -> int:
    """Create a user from a password, or from an existing hash (demo data, tests)."""
    errors = []
    if role not in ROLES:
        errors.append(FieldError("role", "role.invalid"))
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError("password", "password.too_short", {"min": MIN_PASSWORD_LENGTH}))
    if not username.strip():
        errors.append(FieldError("username", "required"))
    elif await User.exists().where(User.username == username.strip()):
        errors.append(FieldError("username", "user.exists"))
    if errors:
        raise ValidationFailed(errors)
    user = User(
        username=username.strip(),
        display_name=display_name or username,
        password_hash=password_hash or hash_password(password or ""),
        role=role,
        team=team_id,
        senior=senior,
        locale=locale,
    )
    await user.save()
    return user.id


async def login(username: str, password: str, ttl_hours: int) -> tuple[str, Actor] | None:
    """Check the password; on success issue a new random token (returned once, stored hashed)."""
    row = await User.select().where((User.username == username) & (User.active.eq(True))).first()
    if row is None:
        _password_matches(_DUMMY_HASH, password)
        return None
    if not _password_matches(row["password_hash"], password):
        return None
    return await issue_token(row["id"], ttl_hours), actor_from_row(row)


async def issue_token(user_id: int, ttl_hours: int) -> str:
    """A new random bearer token; it is returned once and only its digest is stored."""
    token = secrets.token_urlsafe(32)
    await AuthToken(
        token_hash=_token_digest(token),
        user=user_id,
        expires_at=utcnow() + dt.timedelta(hours=ttl_hours),
    ).save()
    return token


async def actor_for_token(token: str) -> Actor | None:
    rows = (
        await AuthToken.select(AuthToken.expires_at, *AuthToken.user.all_columns())
        .where(AuthToken.token_hash == _token_digest(token))
        .first()
    )
    if rows is None or rows["expires_at"] <= utcnow() or not rows["user.active"]:
        return None
    return actor_from_row({k.removeprefix("user."): v for k, v in rows.items()})


async def logout(token: str) -> None:
    await AuthToken.delete().where(AuthToken.token_hash == _token_digest(token))


async def purge_expired_tokens() -> int:
    expired = (
        await AuthToken.delete().where(AuthToken.expires_at <= utcnow()).returning(AuthToken.id)
    )
    return len(expired)
