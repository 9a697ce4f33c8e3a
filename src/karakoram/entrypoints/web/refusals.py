"""How every page answers a refusal: one handler, on the route class of every page router.

A domain error a page does not show beside its own form becomes the error page, with the status
`entrypoints.http.errors` gives it for the API too; no session sends the reader to sign in; a
form without this session's CSRF token is refused with 403. A page that re-shows a refused
form (what was typed, each field's error beside it) catches just the errors it shows there.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from karakoram.domain.errors import Conflict, KarakoramError, ValidationFailed
from karakoram.entrypoints.http.errors import count_refusal, problem_code, status_of
from karakoram.entrypoints.web.render import Pages, page_path

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
    pages = request.app.state.web_pages
    assert isinstance(pages, Pages)
    # the viewer, when the refusal came after the sign-in was checked (deps.get_viewer)
    viewer = getattr(request.state, "viewer", None)
    return pages.render(
        request,
        pages.codec.load(request),
        "error.html",
        viewer,
        status_code=status_of(exc),
        failure=exc,
    )


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
