"""The one mapper from the domain's error tree to HTTP.

`status_of` gives each error its status, for the API and the web UI alike; the API's answer is
RFC 9457 problem+json, built here and only here (the web UI renders its error page with the
same status: web/refusals.py).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from karakoram.domain.errors import (
    AuthenticationFailed,
    Conflict,
    KarakoramError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from karakoram.domain.exchange.envelope import Refused

PROBLEM_JSON = "application/problem+json"

_REFUSAL_STATUS = {"too_large": 413, "malformed": 400, "schema": 422, "outside_clock_window": 422}

_STATUS: list[tuple[type[KarakoramError], int]] = [
    (ValidationFailed, 422),
    (NotFound, 404),
    (Conflict, 409),
    (PermissionDenied, 403),
    (AuthenticationFailed, 401),
]


def _slug(cls: type) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__).lower()


def _problem(
    status: int, title: str, detail: str, instance: str, type_: str, **extra: Any
) -> JSONResponse:
    body = {
        "type": f"urn:karakoram:problem:{type_}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_of(exc: KarakoramError) -> int:
    if isinstance(exc, Refused):  # authentication of a partner message failed: 403
        return _REFUSAL_STATUS.get(exc.code, 403)
    return next((code for cls, code in _STATUS if isinstance(exc, cls)), 400)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, KarakoramError)
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationFailed):
        extra["errors"] = [e.as_dict() for e in exc.errors]
    for attribute in ("mrn", "current", "action", "code", "blockers"):
        if hasattr(exc, attribute):
            extra[attribute] = getattr(exc, attribute)
    return _problem(
        status_of(exc), exc.title, exc.detail, request.url.path, _slug(type(exc)), **extra
    )


async def _request_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        code = "required" if error.get("type") == "missing" else "invalid_format"
        errors.append(
            {
                "code": code,
                "pointer": "/" + "/".join(location),
                "message": str(error.get("msg", "invalid value")),
            }
        )
    return _problem(
        422,
        ValidationFailed.title,
        f"{len(errors)} problem(s) with the request.",
        request.url.path,
        "validation-failed",
        errors=errors,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(KarakoramError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_error)
