"""The HTTP API: thin routes over the services, and the schemas they answer with.

Errors become problem+json in `entrypoints.http.errors`, the one mapper the web UI shares.
"""

from __future__ import annotations

from fastapi import FastAPI

from karakoram.entrypoints.api import (
    admin,
    arrivals,
    attestation,
    audit,
    cargo_reports,
    clearance,
    contract_drafts,
    declarations,
    degraded,
    documents,
    exchange,
    joint_inspections,
    notifications,
    partner_documents,
    policy,
    ready,
    register,
    reviews,
    slots,
    stats,
    trader_keys,
    users,
)
from karakoram.entrypoints.api.schemas import DeclarationIn


def install_api(app: FastAPI) -> None:
    """Mount the API's routes and publish the declaration body they parse by hand."""
    for routes in (
        declarations,
        clearance,
        policy,
        exchange,
        users,
        stats,
        arrivals,
        cargo_reports,
        joint_inspections,
        slots,
        degraded,
        admin,
        audit,
        ready,
        attestation,
        contract_drafts,
        documents,
        partner_documents,
        notifications,
        reviews,
        trader_keys,
    ):
        app.include_router(routes.router)
    app.include_router(register.router)
    _publish_request_schema(app)


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
