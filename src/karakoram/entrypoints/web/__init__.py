"""The web UI: server-rendered pages under /ui, from the same services as the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from karakoram.bootstrap import Node
from karakoram.entrypoints.web import (
    admin,
    admin_users,
    analyst,
    attest_pages,
    documents,
    gate_pages,
    journey,
    notifications,
    officer,
    register_pages,
    search,
    signing_key_pages,
    slots,
    supervisor,
    trader,
)
from karakoram.entrypoints.web.exchange_refusals import router as exchange_refusals_router
from karakoram.entrypoints.web.refusals import error_page
from karakoram.entrypoints.web.render import Pages
from karakoram.entrypoints.web.sentences import localise_problem
from karakoram.entrypoints.web.session import SessionCodec
from karakoram.entrypoints.web.vendor import PLOTLY_JS, plotly_css
from karakoram.services.policy.reference import reference_status

STATIC = Path(__file__).parent / "static"


def install_web(app: FastAPI, node: Node) -> None:
    """Mount the pages and their styles (each page answers its refusals: see refusals.py)."""
    app.state.web_pages = Pages(
        SessionCodec(node.settings.secret("csrf_secret")), lambda: reference_status(node.ctx)
    )
    # what the HTTP layer answers a browser by itself, in the reader's language (http/errors.py)
    app.state.error_page = error_page
    # the API's problem details in the client's language (http/errors.py)
    app.state.localise_problem = localise_problem
    for pages in (officer.router, trader.router, supervisor.router, analyst.router, admin.router):
        app.include_router(pages)
    app.include_router(register_pages.router)
    app.include_router(gate_pages.router)
    app.include_router(search.router)
    app.include_router(notifications.router)
    app.include_router(journey.router)
    app.include_router(slots.router)
    app.include_router(admin_users.router)
    app.include_router(exchange_refusals_router)
    app.include_router(documents.router)
    app.include_router(attest_pages.router)
    app.include_router(signing_key_pages.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")

    @app.get("/ui/vendor/plotly.min.js", include_in_schema=False, name="ui-plotly")
    def plotly_script() -> FileResponse:
        return FileResponse(
            PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
        )

    @app.get("/ui/vendor/plotly.css", include_in_schema=False, name="ui-plotly-css")
    def plotly_stylesheet() -> Response:
        """plotly.js's styles as a file: the CSP refuses the ones it would write inline."""
        return Response(
            plotly_css(), media_type="text/css", headers={"Cache-Control": "max-age=86400"}
        )
