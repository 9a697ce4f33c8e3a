"""A trader's notifications of its declarations' status changes: webhook and e-mail endpoints,
and the log of every delivery with its attempts. How receivers verify a webhook's signature
is in `domain/notify.py` and the README."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from karakoram.domain.access import Capability as Cap
from karakoram.domain.notify import Endpoint
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.notify.endpoints import (
    delivery_log,
    list_endpoints,
    register_endpoint,
    remove_endpoint,
)
from karakoram.services.notify.records import Attempt, DeliveryLogEntry

router = APIRouter(tags=["notifications"])


class EndpointIn(BaseModel):
    channel: str = Field(description="webhook or email.")
    target: str = Field(description="The webhook's https address, or the e-mail address.")


class EndpointOut(BaseModel):
    id: int
    channel: str
    target: str
    created_by: str
    created_at: datetime
    secret: str | None = Field(
        None,
        description="The webhook's signing key (HMAC-SHA256), in this answer only, when the "
        "endpoint is new; it signs `<t>.<body>` in the Karakoram-Signature header.",
    )

    @classmethod
    def of(cls, e: Endpoint) -> EndpointOut:
        return cls(
            id=e.id,
            channel=e.channel.value,
            target=e.target,
            created_by=e.created_by,
            created_at=e.created_at,
            secret=e.secret,
        )


class AttemptOut(BaseModel):
    at: datetime
    ok: bool
    status_code: int | None
    error: str | None

    @classmethod
    def of(cls, a: Attempt) -> AttemptOut:
        return cls(at=a.at, ok=a.ok, status_code=a.status_code, error=a.error)


class DeliveryOut(BaseModel):
    id: str
    mrn: str
    channel: str
    target: str
    status: str = Field(description="pending, delivered or dead (every attempt failed).")
    attempts: list[AttemptOut]
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, entry: DeliveryLogEntry) -> DeliveryOut:
        d = entry.delivery
        return cls(
            id=d.id,
            mrn=d.mrn,
            channel=entry.endpoint.channel.value,
            target=entry.endpoint.target,
            status=d.status,
            attempts=[AttemptOut.of(a) for a in entry.attempts],
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
        )


@router.post(
    "/notifications/endpoints",
    response_model=EndpointOut,
    status_code=201,
    dependencies=[needs(Cap.LODGE_DECLARATIONS)],
)
def add_endpoint(
    body: EndpointIn, response: Response, node: NodeDep, principal: PrincipalDep
) -> EndpointOut:
    """Be told of every status change of your declarations: at a webhook (https; addresses
    that resolve to private, loopback or link-local networks are refused) or by e-mail. A new
    webhook answers 201 with its secret, shown this once; the same address again answers the
    endpoint already registered (200), without the secret."""
    endpoint, new = register_endpoint(body.channel, body.target, principal, node.ctx)
    response.status_code = 201 if new else 200
    return EndpointOut.of(endpoint)


@router.get(
    "/notifications/endpoints",
    response_model=list[EndpointOut],
    dependencies=[needs(Cap.LODGE_DECLARATIONS)],
)
def endpoints(node: NodeDep, principal: PrincipalDep) -> list[EndpointOut]:
    """Your notification endpoints, newest first (secrets are never shown again)."""
    return [EndpointOut.of(e) for e in list_endpoints(principal, node.ctx)]


@router.post(
    "/notifications/endpoints/{endpoint_id}/remove",
    status_code=204,
    dependencies=[needs(Cap.LODGE_DECLARATIONS)],
)
def remove(endpoint_id: int, node: NodeDep, principal: PrincipalDep) -> Response:
    """Stop notifying one of your endpoints; its deliveries stay in the log."""
    remove_endpoint(endpoint_id, principal, node.ctx)
    return Response(status_code=204)


@router.get(
    "/notifications/deliveries",
    response_model=list[DeliveryOut],
    dependencies=[needs(Cap.LODGE_DECLARATIONS)],
)
def deliveries(
    node: NodeDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DeliveryOut]:
    """The delivery log: your latest notifications, newest first, each with its attempts
    (the receiver's HTTP status, or the error)."""
    return [DeliveryOut.of(e) for e in delivery_log(principal, node.ctx, limit)]
