"""Bearer-token authentication and the role guards used on every route."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from server.domain.access import Actor
from server.services.accounts import actor_for_token

# Paths that work without a token: the PWA shell, login, health and the API schema.
PUBLIC_PATHS = [
    r"^/$",
    r"^/app",
    r"^/static",
    r"^/sw\.js$",
    r"^/manifest\.webmanifest$",
    r"^/health$",
    r"^/schema",
    r"^/api/auth/login$",
    r"^/api/push/public-key$",
]


def bearer_token(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return None


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        token = bearer_token(connection)
        actor = await actor_for_token(token) if token else None
        if actor is None:
            raise NotAuthorizedException(detail="auth.required")
        return AuthenticationResult(user=actor, auth=token)


def current_actor(connection: ASGIConnection) -> Actor:
    return connection.user


def managers_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if not current_actor(connection).is_manager_or_admin:
        raise PermissionDeniedException(detail="auth.forbidden")


def admins_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if not current_actor(connection).is_admin:
        raise PermissionDeniedException(detail="auth.forbidden")


def signed_in(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Applied app-wide, so a new route can't forget auth; public routes opt out explicitly."""
    if handler.opt.get("exclude_from_auth"):
        return
    if not isinstance(connection.scope.get("user"), Actor):
        raise NotAuthorizedException(detail="auth.required")
