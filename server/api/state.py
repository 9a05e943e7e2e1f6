"""What route handlers share: the engine, settings and per-request language."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from piccolo.engine.base import Engine

from server.config import Settings
from server.domain.access import Actor
from server.i18n import pick_language
from server.services.login_limiter import LoginLimiter


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    login_limiter: LoginLimiter


# Route handlers declare `ctx: Ctx` to receive the AppContext.
Ctx = NamedDependency[AppContext]


def app_context(state: State) -> AppContext:
    return state.context


def request_language(request: Request) -> str:
    """zh-CN or en: `?lang=`, else Accept-Language, else the user's saved locale/default."""
    user = request.scope.get("user")
    default = (
        user.locale
        if isinstance(user, Actor)
        else request.app.state.context.settings.default_language
    )
    return pick_language(
        request.query_params.get("lang"), request.headers.get("accept-language"), default
    )
