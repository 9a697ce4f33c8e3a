"""The web UI: server-rendered pages under /ui, from the same services as the API."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from karakoram.bootstrap import Node
from karakoram.entrypoints.web import admin, analyst, officer, supervisor, trader
from karakoram.entrypoints.web.render import Pages
from karakoram.entrypoints.web.session import SessionCodec

STATIC = Path(__file__).parent / "static"
#: the charts' script, as the installed plotly package carries it: nothing comes from a CDN
PLOTLY_JS = Path(str(find_spec("plotly").origin)).parent / "package_data" / "plotly.min.js"  # type: ignore[union-attr]


def install_web(app: FastAPI, node: Node) -> None:
    """Mount the pages and their styles (each page answers its refusals: see refusals.py)."""
    app.state.web_pages = Pages(SessionCodec(node.settings.secret_key.get_secret_value()))
    for pages in (officer.router, trader.router, supervisor.router, analyst.router, admin.router):
        app.include_router(pages)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")

    @app.get("/ui/vendor/plotly.min.js", include_in_schema=False, name="ui-plotly")
    def plotly_script() -> FileResponse:
        return FileResponse(
            PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
        )
