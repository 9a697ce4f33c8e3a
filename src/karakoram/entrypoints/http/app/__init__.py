"""The FastAPI app factory. `create_app` takes a built node; it builds nothing itself.

A package of its own beneath http/ because it is the one module that imports both the API and
the web UI, which import http/'s shared dependencies and error mapper: as a module of http/
itself it would make the three packages import one another.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI

import karakoram
from karakoram.bootstrap import Node
from karakoram.entrypoints.api import install_api
from karakoram.entrypoints.http import logs
from karakoram.entrypoints.http.bounds import RouteFacts, route_bounds
from karakoram.entrypoints.http.docs import install_docs
from karakoram.entrypoints.http.edge import BodyLimits, install_edge
from karakoram.entrypoints.http.errors import install_error_handlers
from karakoram.entrypoints.http.openapi import install_openapi
from karakoram.entrypoints.web import install_web


def create_app(node: Node) -> FastAPI:
    app = FastAPI(
        title=f"Karakoram node {node.settings.administration}",
        version=karakoram.__version__,
        description=(
            f"{node.settings.name}: goods declarations, clearance and exchange. "
            "Authenticate with `Authorization: Bearer <API key>`."
        ),
        dependencies=[Depends(route_bounds)],
        docs_url=None,  # served by `install_docs`, from files the node carries
        redoc_url=None,
    )
    app.state.node = node
    app.state.route_facts = RouteFacts()
    logs.install()
    settings = node.settings
    install_edge(app, BodyLimits(settings.body_limit, settings.body_limits), node.metrics.request)
    install_error_handlers(app)
    install_api(app)
    install_web(app, node)
    install_docs(app)
    install_openapi(app)

    @app.get("/health", tags=["system"])
    def health() -> dict[str, str]:
        """Liveness: the node answers and knows who it is."""
        return {"status": "ok", "administration": node.settings.administration}

    return app


def app_from_environment() -> FastAPI:
    """The app of one `serve --workers N` process: settings from KARAKORAM_CONFIG and the
    environment, built when the worker starts (never at import time)."""
    import os
    from pathlib import Path

    from karakoram.bootstrap import bootstrap
    from karakoram.bootstrap_parts import settle_heap
    from karakoram.config import load_settings

    config = os.environ.get("KARAKORAM_CONFIG")
    app = create_app(bootstrap(load_settings(Path(config) if config else None)))
    settle_heap()  # the worker's node and app are loaded; its upload jobs import here
    return app
