"""Login/logout, the current user, and admin management of users and teams."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS

from server.api.auth import admins_only, bearer_token, current_actor
from server.api.errors import error_response
from server.api.state import Ctx
from server.db.tables import Team, User
from server.services import accounts


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str


class NewUser(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str
    role: str
    display_name: str | None = None
    team_id: int | None = None
    senior: bool = False
    locale: str = "zh-CN"


class NewTeam(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    region_code: str | None = None


def _user_out(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "password_hash"}


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", exclude_from_auth=True)
    async def login(self, request: Request, ctx: Ctx, data: JSONBody[LoginRequest]) -> Response:
        limiter = ctx.login_limiter
        keys = (
            f"user:{data.username.casefold()}",
            f"ip:{request.client.host if request.client else '?'}",
        )
        wait = limiter.retry_after(*keys)
        if wait:
            response = error_response(
                request, HTTP_429_TOO_MANY_REQUESTS, "auth.rate_limited", params={"seconds": wait}
            )
            response.headers["Retry-After"] = str(wait)
            return response
        result = await accounts.login(data.username, data.password, ctx.settings.token_ttl_hours)
        if result is None:
            limiter.record_failure(*keys)
            raise NotAuthorizedException(detail="auth.invalid_credentials")
        limiter.reset(keys[0])
        token, actor = result
        return Response(
            {
                "token": token,
                "expires_in": ctx.settings.token_ttl_hours * 3600,
                "user": {
                    "id": actor.id,
                    "role": actor.role,
                    "team_id": actor.team_id,
                    "display_name": actor.display_name,
                    "locale": actor.locale,
                },
            }
        )

    @post("/logout", status_code=204)
    async def logout(self, request: Request) -> None:
        token = bearer_token(request)
        if token:
            await accounts.logout(token)

    @get("/me")
    async def me(self, request: Request) -> dict[str, Any]:
        row = await User.select().where(User.id == current_actor(request).id).first()
        return _user_out(row)


class AdminController(Controller):
    path = "/api/admin"
    tags = ["admin"]
    guards = [admins_only]

    @get("/users")
    async def list_users(self) -> list[dict[str, Any]]:
        return [_user_out(r) for r in await User.select().order_by(User.id)]

    @post("/users")
    async def create_user(self, data: JSONBody[NewUser]) -> dict[str, Any]:
        user_id = await accounts.create_user(
            data.username,
            data.password,
            data.role,
            data.display_name,
            data.team_id,
            data.senior,
            data.locale,
        )
        return _user_out(await User.select().where(User.id == user_id).first())

    @get("/teams")
    async def list_teams(self) -> list[dict[str, Any]]:
        return await Team.select().order_by(Team.id)

    @post("/teams")
    async def create_team(self, data: JSONBody[NewTeam]) -> dict[str, Any]:
        team_id = await accounts.create_team(data.name, data.region_code)
        return await Team.select().where(Team.id == team_id).first()
