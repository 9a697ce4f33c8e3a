"""The FastAPI app factory. `create_app` takes a built node; it builds nothing itself."""

from __future__ import annotations

from fastapi import FastAPI

import karakoram
from karakoram.bootstrap import Node
from karakoram.entrypoints.api import clearance, declarations, exchange, policy, stats, users
from karakoram.entrypoints.api.admin import router as admin_router
from karakoram.entrypoints.api.arrivals import router as arrivals_router
from karakoram.entrypoints.api.schemas import DeclarationIn
from karakoram.entrypoints.http.errors import install_error_handlers
from karakoram.entrypoints.web import install_web


def create_app(node: Node) -> FastAPI:
    app = FastAPI(
        title=f"Karakoram node {node.settings.administration}",
        version=karakoram.__version__,
        description=(
            f"{node.settings.name}: goods declarations, clearance and exchange. "
            "Authenticate with `Authorization: Bearer <API key>`."
        ),
    )
    app.state.node = node
    install_error_handlers(app)
    app.include_router(declarations.router)
    app.include_router(clearance.router)
    app.include_router(policy.router)
    app.include_router(exchange.router)
    app.include_router(users.router)
    app.include_router(stats.router)
    app.include_router(arrivals_router)
    app.include_router(admin_router)
    install_web(app, node)

    @app.get("/health", tags=["system"])
    def health() -> dict[str, str]:
        """Liveness: the node answers and knows who it is."""
        return {"status": "ok", "administration": node.settings.administration}

    _publish_request_schema(app)
    return app


def app_from_environment() -> FastAPI:
    """The app of one `serve --workers N` process: settings from KARAKORAM_CONFIG and the
    environment, built when the worker starts (never at import time)."""
    import os
    from pathlib import Path

    from karakoram.bootstrap import bootstrap
    from karakoram.config import load_settings

    config = os.environ.get("KARAKORAM_CONFIG")
    return create_app(bootstrap(load_settings(Path(config) if config else None)))


def _publish_request_schema(app: FastAPI) -> None:
    """Add `DeclarationIn` to the OpenAPI components (the body is parsed by the domain)."""
    original = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        defs = DeclarationIn.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(defs.pop("$defs", {}))
        components["DeclarationIn"] = defs
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
