"""The web UI: server-rendered pages under /ui, from the same services as the API."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from karakoram.bootstrap import Node
from karakoram.entrypoints.web import admin, analyst, supervisor, trader
from karakoram.entrypoints.web.deps import CsrfRefused, SignInRequired
from karakoram.entrypoints.web.officer import router
from karakoram.entrypoints.web.render import Pages, page_path
from karakoram.entrypoints.web.session import SessionCodec

STATIC = Path(__file__).parent / "static"
#: the charts' script, as the installed plotly package carries it: nothing comes from a CDN
PLOTLY_JS = Path(str(find_spec("plotly").origin)).parent / "package_data" / "plotly.min.js"  # type: ignore[union-attr]


def install_web(app: FastAPI, node: Node) -> None:
    """Mount the pages, their styles and the handlers of their two refusals."""
    app.state.web_pages = Pages(SessionCodec(node.settings.secret_key.get_secret_value()))
    for pages in (router, trader.router, supervisor.router, analyst.router, admin.router):
        app.include_router(pages)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")

    @app.get("/ui/vendor/plotly.min.js", include_in_schema=False, name="ui-plotly")
    def plotly_script() -> FileResponse:
        return FileResponse(
            PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
        )

    async def sign_in_first(request: Request, exc: Exception) -> Response:
        return RedirectResponse(page_path(request, "ui-sign-in-form"), status_code=303)

    async def csrf_refused(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(
            "This form is stale or did not come from this site; reload the page and retry.",
            status_code=403,
        )

    app.add_exception_handler(SignInRequired, sign_in_first)
    app.add_exception_handler(CsrfRefused, csrf_refused)
