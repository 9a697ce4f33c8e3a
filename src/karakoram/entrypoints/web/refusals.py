"""How every page answers a refusal: one handler, on the route class of every page router.

A domain error a page does not show beside its own form becomes the error page, with the status
`entrypoints.http.errors` gives it for the API too; no session sends the reader to sign in; a
form without this session's CSRF token is refused with 403. A page that re-shows a refused
form (what was typed, each field's error beside it) catches just the errors it shows there.

`error_page` is the one error page, for these refusals and for what the HTTP layer answers a
browser by itself (no such page, wrong method, a body too large or of the wrong type, a
throttled sign-in, a failure): a heading and a sentence per status in the reader's language
(the cookie's choice, else the browser's `Accept-Language`), the request id to quote, and
whatever the refusal says of the thing concerned.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from karakoram.domain.errors import Conflict, KarakoramError, ValidationFailed
from karakoram.entrypoints.http.errors import count_refusal, problem_code, status_of
from karakoram.entrypoints.web.i18n import N_
from karakoram.entrypoints.web.render import Pages, page_path
from karakoram.entrypoints.web.session import WebSession

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class SignInRequired(Exception):
    """No valid session: the page answers with a redirect to the sign-in form."""


class CsrfRefused(Exception):
    """A form came without this session's CSRF token: refused with 403."""


#: what a page shows beside the form it re-shows: the form's content is wrong, or contradicts
#: what is stored; no such thing, or no right to it, is the error page's
FORM_ERRORS = (ValidationFailed, Conflict)

STALE_FORM = "This form is stale or did not come from this site; reload the page and retry."


def refusal(request: Request, exc: KarakoramError | SignInRequired | CsrfRefused) -> Response:
    """The answer to a refusal raised by a page or one of its dependencies."""
    if isinstance(exc, SignInRequired):
        return RedirectResponse(page_path(request, "ui-sign-in-form"), status_code=303)
    if isinstance(exc, CsrfRefused):
        return PlainTextResponse(STALE_FORM, status_code=403)
    return error_page(request, status_of(exc), exc.detail, getattr(exc, "retry_after", None))


#: each status's heading and sentence on the error page
HEADINGS = {
    400: (N_("Bad request"), N_("The request could not be read; nothing was changed.")),
    401: (N_("Sign-in required"), N_("Sign in to see this page.")),
    403: (N_("Not allowed"), N_("Your role may not see this page or do this.")),
    404: (N_("Page not found"), N_("There is no such page here, or it is not yours to see.")),
    405: (N_("Method not allowed"), N_("This address does not accept this kind of request.")),
    409: (N_("Conflict"), N_("The request contradicts what is stored; reload and retry.")),
    413: (
        N_("Request too large"),
        N_("What was sent is larger than this address accepts; nothing was stored."),
    ),
    415: (
        N_("Unsupported media type"),
        N_("What was sent is not in a format this address reads; nothing was stored."),
    ),
    422: (N_("Invalid request"), N_("Some of the request is not valid; nothing was stored.")),
    429: (N_("Too many attempts"), N_("Too many failed attempts: wait before the next one.")),
    500: (
        N_("Internal error"),
        N_("The node failed to answer this request. Quote the error id to its operators."),
    ),
}


def error_page(
    request: Request, status: int, detail: str | None, retry_after: int | None = None
) -> Response:
    """The error page of `status` in the reader's language. It changes nothing, not even the
    cookie's language: a language taken from `Accept-Language` holds for this page only."""
    pages = request.app.state.web_pages
    assert isinstance(pages, Pages)
    session = pages.codec.load(request)
    shown = WebSession(session.csrf, session.reading, session.session_id)
    heading, explanation = HEADINGS.get(status, HEADINGS[400])
    response = pages.render(
        request,
        shown,
        "error.html",
        # the viewer, when the refusal came after the sign-in was checked (deps.get_viewer)
        getattr(request.state, "viewer", None),
        status_code=status,
        status=status,
        heading=heading,
        explanation=explanation,
        detail=detail,
        retry_after=retry_after,
        error_id=getattr(request.state, "request_id", None),
    )
    del response.headers["set-cookie"]
    pages.codec.save(response, request, session)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


class PageRoute(APIRoute):
    """A page: what its endpoint or a dependency raises is answered by `refusal`."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except (KarakoramError, SignInRequired, CsrfRefused) as exc:
                if isinstance(exc, KarakoramError):  # counted when the viewer signed in
                    await count_refusal(request, status_of(exc), problem_code(exc))
                return refusal(request, exc)

        return page


def pages_router(prefix: str) -> APIRouter:
    """A router of pages under `prefix`: HTML, out of the OpenAPI schema, refusals answered."""
    return APIRouter(
        prefix=prefix,
        include_in_schema=False,
        default_response_class=HTMLResponse,
        route_class=PageRoute,
    )
