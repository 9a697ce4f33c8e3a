"""The partner listener's app: the exchange routes partners call, and nothing else.

`serve` runs it on a port of its own, over mutual TLS (`partner_listener`), beside the public
API: a partner's certificate opens this door only, and the web UI and the users' API are not
behind it.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI

import karakoram
from karakoram.bootstrap import Node
from karakoram.entrypoints.api.exchange import partner_router
from karakoram.entrypoints.http.bounds import RouteFacts, route_bounds
from karakoram.entrypoints.http.edge import BodyLimits, install_edge
from karakoram.entrypoints.http.errors import install_error_handlers


def create_partner_app(node: Node) -> FastAPI:
    app = FastAPI(
        title=f"Karakoram node {node.settings.administration}: partner exchange",
        version=karakoram.__version__,
        description="Signed messages from partner nodes, over mutual TLS.",
        dependencies=[Depends(route_bounds)],
        docs_url=None,  # the public API documents these routes; this door shows nothing else
        redoc_url=None,
        openapi_url=None,
    )
    app.state.node = node
    app.state.route_facts = RouteFacts()
    settings = node.settings
    install_edge(app, BodyLimits(settings.body_limit, settings.body_limits), node.metrics.request)
    install_error_handlers(app)
    app.include_router(partner_router)
    return app
