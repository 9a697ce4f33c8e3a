"""A signed-in trader's attestation for the expo (`services/attestation.py`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from karakoram.domain.access import Capability
from karakoram.domain.errors import PermissionDenied
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.attestation import DEFAULT_DAYS, issue_attestation

router = APIRouter(tags=["attestation"])


class AttestationIn(BaseModel):
    days: int = Field(DEFAULT_DAYS, description="How many days the attestation is valid.")


class AttestationOut(BaseModel):
    token: str = Field(description="Compact JWS signed with the node's exchange key.")
    issuer: str
    trader_id: str
    name: str
    country: str
    aeo: bool
    aeo_level: str | None
    issued_at: datetime
    expires_at: datetime


@router.post(
    "/attestations",
    response_model=AttestationOut,
    status_code=201,
    dependencies=[needs(Capability.REQUEST_ATTESTATION)],
)
def attest(body: AttestationIn, node: NodeDep, principal: PrincipalDep) -> AttestationOut:
    """An attestation of the signed-in trader (its id, name, country and AEO status from the
    register), to register with the expo."""
    if not principal.party:
        raise PermissionDenied("This trader account names no trader.", code="not_a_trader")
    issued = issue_attestation(principal.party, principal, node.ctx, body.days)
    a = issued.attestation
    return AttestationOut(
        token=issued.token,
        issuer=a.issuer,
        trader_id=a.trader_id,
        name=a.name,
        country=a.country,
        aeo=a.aeo,
        aeo_level=a.aeo_level,
        issued_at=a.issued_at,
        expires_at=a.expires_at,
    )
