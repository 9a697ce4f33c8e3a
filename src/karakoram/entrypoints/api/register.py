"""Mandates (who may declare for whom) and the AEO register, kept by supervisors and
administrators."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from karakoram.domain.access import Capability as Cap
from karakoram.domain.representation import AeoEntry, Mandate
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services import aeo, mandates

router = APIRouter(tags=["register"])


class MandateIn(BaseModel):
    principal: str = Field(description="Identifier of the party that gives the mandate.")
    representative: str = Field(description="Identifier of the party that may declare for it.")
    valid_from: datetime | None = Field(None, description="Start (inclusive); default: now.")
    valid_to: datetime | None = Field(None, description="End (exclusive); default: open.")


class MandateOut(BaseModel):
    id: int | None
    principal: str
    representative: str
    valid_from: datetime
    valid_to: datetime | None
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, m: Mandate) -> MandateOut:
        return cls(
            id=m.id,
            principal=m.principal,
            representative=m.representative,
            valid_from=m.valid_from,
            valid_to=m.valid_to,
            recorded_by=m.recorded_by,
            recorded_at=m.recorded_at,
        )


class AeoIn(BaseModel):
    identifier: str = Field(description="The certified operator's identifier.")
    level: str = Field(description="AEOC, AEOS or AEOF.")
    valid_from: datetime | None = Field(None, description="Start (inclusive); default: now.")
    valid_to: datetime | None = Field(None, description="End (exclusive); default: open.")


class AeoOut(BaseModel):
    id: int | None
    identifier: str
    level: str
    valid_from: datetime
    valid_to: datetime | None
    source: str = Field(description="'local', or 'partner <administration>' for a partner's list.")
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, e: AeoEntry) -> AeoOut:
        return cls(
            id=e.id,
            identifier=e.identifier,
            level=e.level,
            valid_from=e.valid_from,
            valid_to=e.valid_to,
            source=e.source,
            recorded_by=e.recorded_by,
            recorded_at=e.recorded_at,
        )


@router.post(
    "/mandates", response_model=MandateOut, status_code=201, dependencies=[needs(Cap.KEEP_MANDATES)]
)
def add_mandate(
    body: MandateIn, response: Response, node: NodeDep, principal: PrincipalDep
) -> MandateOut:
    """Record a mandate (201); the same mandate again answers the one recorded (200)."""
    done = mandates.record_mandate(
        body.principal, body.representative, body.valid_from, body.valid_to, principal, node.ctx
    )
    response.status_code = 201 if done.created else 200
    return MandateOut.of(done.mandate)


@router.get("/mandates", response_model=list[MandateOut], dependencies=[needs(Cap.READ_MANDATES)])
def list_mandates(
    node: NodeDep, principal: PrincipalDep, party: str | None = None
) -> list[MandateOut]:
    """Mandates given to or by `party` (a trader sees its own)."""
    return [MandateOut.of(m) for m in mandates.list_mandates(principal, node.ctx, party)]


@router.post(
    "/mandates/{mandate_id}/end", response_model=MandateOut, dependencies=[needs(Cap.KEEP_MANDATES)]
)
def end_mandate(mandate_id: int, node: NodeDep, principal: PrincipalDep) -> MandateOut:
    """End a mandate now."""
    return MandateOut.of(mandates.end_mandate(mandate_id, principal, node.ctx))


@router.post(
    "/aeo-register",
    response_model=AeoOut,
    status_code=201,
    dependencies=[needs(Cap.KEEP_AEO_REGISTER)],
)
def add_aeo(body: AeoIn, response: Response, node: NodeDep, principal: PrincipalDep) -> AeoOut:
    """Register a certified operator (201); the same entry again answers the one recorded."""
    done = aeo.register_aeo(
        body.identifier, body.level, body.valid_from, body.valid_to, principal, node.ctx
    )
    response.status_code = 201 if done.created else 200
    return AeoOut.of(done.entry)


@router.get(
    "/aeo-register", response_model=list[AeoOut], dependencies=[needs(Cap.READ_AEO_REGISTER)]
)
def list_aeo(node: NodeDep, principal: PrincipalDep) -> list[AeoOut]:
    """The register: this administration's certifications and partners' recognised ones."""
    return [AeoOut.of(e) for e in aeo.list_register(principal, node.ctx)]


@router.post(
    "/aeo-register/{entry_id}/end",
    response_model=AeoOut,
    dependencies=[needs(Cap.KEEP_AEO_REGISTER)],
)
def end_aeo(entry_id: int, node: NodeDep, principal: PrincipalDep) -> AeoOut:
    """End a certification now."""
    return AeoOut.of(aeo.end_aeo(entry_id, principal, node.ctx))


class AeoListSent(BaseModel):
    partners: list[str] = Field(description="The partner administrations the list is queued to.")
    operators: int = Field(description="How many operators the list names.")


@router.post(
    "/aeo-register/send",
    response_model=AeoListSent,
    status_code=202,
    dependencies=[needs(Cap.KEEP_AEO_REGISTER)],
)
def send_aeo_list(node: NodeDep, principal: PrincipalDep) -> AeoListSent:
    """Queue this administration's register, signed, to every partner that takes AEO lists
    (mutual recognition); the relay delivers it (202). A change to the register queues one
    by itself; this sends it again (after a partner is added, say)."""
    sent = aeo.send_aeo_list(principal, node.ctx)
    return AeoListSent(partners=[m.recipient for m in sent.messages], operators=sent.operators)
