"""The web UI: server-rendered pages under /ui, from the same services as the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from karakoram.bootstrap import Node
from karakoram.entrypoints.web.deps import CsrfRefused, SignInRequired
from karakoram.entrypoints.web.render import Pages, page_path
from karakoram.entrypoints.web.routes import router
from karakoram.entrypoints.web.session import SessionCodec

STATIC = Path(__file__).parent / "static"


def install_web(app: FastAPI, node: Node) -> None:
    """Mount the pages, their styles and the handlers of their two refusals."""
    app.state.web_pages = Pages(SessionCodec(node.settings.secret_key.get_secret_value()))
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")

    async def sign_in_first(request: Request, exc: Exception) -> Response:
        return RedirectResponse(page_path(request, "ui-sign-in-form"), status_code=303)

    async def csrf_refused(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(
            "This form is stale or did not come from this site; reload the page and retry.",
            status_code=403,
        )

    app.add_exception_handler(SignInRequired, sign_in_first)
    app.add_exception_handler(CsrfRefused, csrf_refused)
