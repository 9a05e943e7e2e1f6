"""Turn every failure into a 4xx with field-level messages in the request's language.

Body shape: {"status": 422, "code": "validation", "message": "...",
             "errors": [{"field": "phone", "code": "phone.invalid", "message": "电话号码无效。"}]}
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
)

from server.api.state import request_language
from server.domain.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from server.i18n import is_known, translate

log = logging.getLogger("fieldcrm.errors")


def _body(
    status: int,
    code: str,
    lang: str,
    errors: list[FieldError] | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "status": status,
        "code": code,
        "message": translate(code, lang, params),
        "errors": [
            {"field": e.field, "code": e.code, "message": translate(e.code, lang, e.params)}
            for e in errors or []
        ],
        **({"details": params} if params else {}),
    }


def error_response(
    request: Request,
    status: int,
    code: str,
    errors: list[FieldError] | None = None,
    params: dict[str, Any] | None = None,
) -> Response:
    return Response(
        _body(status, code, request_language(request), errors, params),
        status_code=status,
        media_type=MediaType.JSON,
    )


def on_validation_failed(request: Request, exc: ValidationFailed) -> Response:
    return error_response(request, HTTP_422_UNPROCESSABLE_ENTITY, "validation", exc.errors)


def on_not_found(request: Request, exc: NotFound) -> Response:
    return error_response(request, HTTP_404_NOT_FOUND, "not_found")


def on_forbidden(request: Request, exc: Forbidden) -> Response:
    return error_response(request, HTTP_403_FORBIDDEN, exc.code, params=exc.params)


def on_conflict(request: Request, exc: Conflict) -> Response:
    return error_response(request, HTTP_409_CONFLICT, exc.code, params=exc.params)


_KEY_IN_MESSAGE = re.compile(r"at `\$\.?([^`]*)`")
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")


def _field_errors_from_litestar(exc: ValidationException) -> list[FieldError]:
    """Litestar/msgspec report type errors as text; pull out which field each one is about."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        message = str(item.get("message", ""))
        unknown = _UNKNOWN_FIELD.search(message)
        if unknown:
            errors.append(FieldError(unknown.group(1), "field.unknown"))
            continue
        located = _KEY_IN_MESSAGE.search(message)
        field = item.get("key") or (located.group(1) if located else "") or "body"
        detail = _KEY_IN_MESSAGE.sub("", message).strip(" -")
        errors.append(FieldError(str(field), "type.invalid", {"detail": detail}))
    return errors


def on_litestar_validation(request: Request, exc: ValidationException) -> Response:
    errors = _field_errors_from_litestar(exc)
    if not errors:
        return error_response(
            request, HTTP_400_BAD_REQUEST, "request.invalid", params={"detail": exc.detail}
        )
    return error_response(request, HTTP_400_BAD_REQUEST, "request.invalid", errors, {"detail": ""})


def on_http_exception(request: Request, exc: HTTPException) -> Response:
    code = exc.detail if is_known(exc.detail) else "request.invalid"
    params = {"detail": exc.detail} if code == "request.invalid" else exc.extra or None
    headers = dict(exc.headers or {})
    response = error_response(
        request, exc.status_code, code, params=params if isinstance(params, dict) else None
    )
    response.headers.update(headers)
    return response


def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "server.error",
    )


EXCEPTION_HANDLERS = {
    ValidationFailed: on_validation_failed,
    NotFound: on_not_found,
    Forbidden: on_forbidden,
    Conflict: on_conflict,
    ValidationException: on_litestar_validation,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}
