"""The one mapper from the domain's error tree to HTTP.

`status_of` gives each error its status, for the API and the web UI alike; the API's answer is
RFC 9457 problem+json, built here and only here, always with a stable `code`. A browser (a path
under /ui, or `Accept: text/html` anywhere) gets the web UI's error page instead, in the
reader's language (`web/refusals.py` renders it: the web UI hands its renderer over as
`app.state.error_page`, so http/ never imports web/). A throttled attempt answers 429 with
`Retry-After`.
"""

from __future__ import annotations

import json
import logging
import re
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import Scope

from karakoram.domain.declaration.attachments import AttachmentTooLarge
from karakoram.domain.errors import (
    AuthenticationFailed,
    Conflict,
    FieldError,
    KarakoramError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from karakoram.domain.exchange.envelope import Refused
from karakoram.services.audit.refusals import RefusalTally
from karakoram.services.audit.refusals import flush as flush_refusals
from karakoram.services.throttle import TooManyAttempts

PROBLEM_JSON = "application/problem+json"
#: how much of an offending value an error detail may quote
ECHO_CHARS = 40

log = logging.getLogger("karakoram.http")

_REFUSAL_STATUS = {
    "too_large": 413,
    "malformed": 400,
    "schema": 422,
    "outside_clock_window": 422,
    "conflict": 409,
    "delivery_malformed": 400,
}

_STATUS: list[tuple[type[KarakoramError], int]] = [
    (TooManyAttempts, 429),  # before AuthenticationFailed, which it is
    (AttachmentTooLarge, 413),  # before ValidationFailed, which it is
    (ValidationFailed, 422),
    (NotFound, 404),
    (Conflict, 409),
    (PermissionDenied, 403),
    (AuthenticationFailed, 401),
]


def _slug(cls: type) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__).lower()


def short(value: object, limit: int = ECHO_CHARS) -> str:
    """At most `limit` characters of a value quoted back in an error detail."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…"


def _problem_body(
    status: int, title: str, detail: str, instance: str, type_: str, **extra: Any
) -> dict[str, Any]:
    return {
        "type": f"urn:karakoram:problem:{type_}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }


def _problem(
    status: int,
    title: str,
    detail: str,
    instance: str,
    type_: str,
    request: Request | None = None,
    **extra: Any,
) -> JSONResponse:
    error_id = getattr(request.state, "request_id", None) if request is not None else None
    if error_id:
        extra.setdefault("error_id", error_id)
    extra.setdefault("code", type_.replace("-", "_"))
    body = _problem_body(status, title, detail, instance, type_, **extra)
    # in the client's language when it asks (Accept-Language): the web UI hands its catalogue
    # over as `app.state.localise_problem` (web/sentences.py); `code` and pointers never change
    localise = getattr(request.app.state, "localise_problem", None) if request else None
    if localise is not None:
        body = localise(body, request.headers.get("accept-language") if request else None)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if extra.get("retry_after"):
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_of(exc: KarakoramError) -> int:
    if isinstance(exc, Refused):  # authentication of a partner message failed: 403
        return _REFUSAL_STATUS.get(exc.code, 403)
    return next((code for cls, code in _STATUS if isinstance(exc, cls)), 400)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, KarakoramError)
    retry_after = getattr(exc, "retry_after", None)
    if _is_page(request.scope):
        return _page(request, status_of(exc), exc.detail, retry_after)
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationFailed):
        extra["errors"] = [e.as_dict() for e in exc.errors]
    for attribute in (
        "mrn",
        "current",
        "action",
        "code",
        "blockers",
        "party",
        "retry_after",
        "next_free",
    ):
        if hasattr(exc, attribute):
            extra[attribute] = getattr(exc, attribute)
    await count_refusal(request, status_of(exc), problem_code(exc))
    return _problem(
        status_of(exc), exc.title, exc.detail, request.url.path, _slug(type(exc)), request, **extra
    )


async def _request_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _is_page(request.scope):
        return _page(request, 422, None)
    errors = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        code = "required" if error.get("type") == "missing" else "invalid_format"
        errors.append(
            {
                "code": code,
                "pointer": "/" + "/".join(location),
                "message": short(str(error.get("msg", "invalid value")), 200),
            }
        )
    await count_refusal(request, 422, "validation-failed")
    return _problem(
        422,
        ValidationFailed.title,
        f"{len(errors)} problem(s) with the request.",
        request.url.path,
        "validation-failed",
        request,
        errors=errors,
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, method not allowed, a body that is not JSON):
    problem+json for the API, the error page for the web UI."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    title = _TITLES.get(status, "Request refused")
    detail = exc.detail if isinstance(exc.detail, str) else title
    if _is_page(request.scope):
        return _page(request, status, None)
    response = _problem(
        status,
        title,
        short(detail, 200),
        request.url.path,
        _HTTP_CODES.get(status, "http-error").replace("_", "-"),
        request,
        code=_HTTP_CODES.get(status, "http_error"),
    )
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _out_of_range(request: Request, exc: Exception) -> Response:
    """A number too large for a date, a duration or the database: the request's fault."""
    error = FieldError("out_of_range", "", "A number in the request is out of range.")
    return await _domain_error(request, ValidationFailed([error]))


async def _too_deep(request: Request, exc: Exception) -> Response:
    """A body nested deeper than the parser's stack (JSON 10,000 deep): the request's fault."""
    error = FieldError("too_deep", "", "The body is nested too deeply to be read.")
    return await _domain_error(request, ValidationFailed([error]))


_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many attempts",
    500: "Internal error",
}


def _is_page(scope: Scope) -> bool:
    """A browser's request: a page of the UI, or anywhere with HTML first in `Accept`."""
    path = str(scope.get("path", ""))
    accept = next((v for k, v in scope.get("headers", ()) if k.lower() == b"accept"), b"")
    kinds = [part.split(b";")[0].strip().lower() for part in accept.split(b",")]
    if path == "/ui" or path.startswith("/ui/"):
        # a page's own script asking for JSON (the expo's browser signing) reads problem+json
        return kinds[0] not in (b"application/json", PROBLEM_JSON.encode())
    return bool(kinds) and kinds[0] in (b"text/html", b"application/xhtml+xml")


def _page(
    request: Request, status: int, detail: str | None, retry_after: int | None = None
) -> Response:
    """The web UI's error page in the reader's language, or a bare page without the UI."""
    render = getattr(request.app.state, "error_page", None)
    if render is not None:
        return render(request, status, detail, retry_after)  # type: ignore[no-any-return]
    title = _TITLES.get(status, "Request refused")
    body, media_type = _bare_page(status, title, detail or title, request.state.request_id)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return Response(body, status_code=status, media_type=media_type, headers=headers)


class EdgeRefusal(Exception):
    """What the edge middleware answers by itself: before the app saw the request, or in its
    place (a body past the limit, an exception nothing handled)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail

    @classmethod
    def too_large(cls, limit: int) -> EdgeRefusal:
        return cls(413, "too_large", f"The request body is over this route's {limit:,} bytes.")

    @classmethod
    def bad_length(cls) -> EdgeRefusal:
        return cls(400, "bad_content_length", "Content-Length is not a byte count.")

    @classmethod
    def internal(cls) -> EdgeRefusal:
        return cls(
            500,
            "internal_error",
            "The node failed to answer this request; quote the error id to its operators.",
        )


def edge_response(scope: Scope, refusal: EdgeRefusal, request_id: str) -> Response:
    """The edge's own answer (see `EdgeRefusal`): problem+json, or the error page."""
    title = _TITLES.get(refusal.status, "Request refused")
    response: Response | None = None
    if _is_page(scope):
        response = _edge_page(scope, refusal)
        if response is None:
            body, content_type = _bare_page(refusal.status, title, refusal.detail, request_id)
            response = Response(body, refusal.status, media_type=content_type)
    else:
        problem = _problem_body(
            refusal.status,
            title,
            refusal.detail,
            str(scope.get("path", "")),
            refusal.code.replace("_", "-"),
            code=refusal.code,
            error_id=request_id,
        )
        response = Response(json.dumps(problem).encode(), refusal.status, media_type=PROBLEM_JSON)
    if refusal.status in (413, 500):
        response.headers["Connection"] = "close"
    return response


def _edge_page(scope: Scope, refusal: EdgeRefusal) -> Response | None:
    """The UI's error page for an answer the edge gives, when the app has a UI and the page
    renders (a failure here must not hide the first one: then the bare page)."""
    app = scope.get("app")
    render = getattr(getattr(app, "state", None), "error_page", None)
    if render is None:
        return None
    try:
        return render(Request(scope), refusal.status, None)  # type: ignore[no-any-return]
    except Exception:
        log.exception("the error page failed to render")
        return None


def _bare_page(status: int, title: str, detail: str, request_id: str) -> tuple[bytes, str]:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title></head><body><h1>{escape(title)}</h1><p>{escape(detail)}</p>"
        f"<p>Error id: <code>{escape(request_id)}</code></p></body></html>"
    )
    return html.encode(), "text/html; charset=utf-8"


def problem_code(exc: KarakoramError) -> str:
    """The stable code a refusal is counted under: the error's own `code`, else its kind (as
    the problem body names it)."""
    code = getattr(exc, "code", None)
    return code if isinstance(code, str) else _slug(type(exc)).replace("-", "_")


#: statuses of the refusals counted into the audit log when the caller was authenticated
_COUNTED = frozenset({400, 403, 404, 409, 413, 415, 422})


def refusal_tally(app: Any) -> RefusalTally:
    """This app's counts of refusals not yet written (services/audit/refusals.py)."""
    tally = getattr(app.state, "refusal_tally", None)
    if tally is None:
        tally = app.state.refusal_tally = RefusalTally(app.state.node.ctx.clock)
    assert isinstance(tally, RefusalTally)
    return tally


async def count_refusal(request: Request, status: int, code: str) -> None:
    """The aggregated refusal record: count a refusal of an authenticated caller (API key or
    web session) under its user, problem code and minute; when earlier minutes are over,
    write their counts to the audit log (one entry per user, code and minute). A refusal of
    an unauthenticated request is not counted."""
    state = request.state
    who = getattr(state, "principal", None) or getattr(state, "viewer", None)
    if who is None or status not in _COUNTED or not hasattr(request.app.state, "node"):
        return
    tally = refusal_tally(request.app)
    if tally.count(who.name, code):
        try:
            await run_in_threadpool(flush_refusals, request.app.state.node.ctx, tally)
        except Exception:  # the counts stay in the tally for the next try
            log.exception("refusal counts not written to the audit log")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(KarakoramError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(RecursionError, _too_deep)
