"""The officer's side: clearance details, actions, payments, channel overrides, the queue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from karakoram.domain.clearance import Action
from karakoram.domain.errors import NotFound
from karakoram.entrypoints.api.schemas import ClearanceOut, DeclarationOut, QueueEntryOut
from karakoram.entrypoints.api.versions import expected_version, tagged
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services import clearance as officer
from karakoram.services import queries

router = APIRouter(tags=["clearance"])

ACTION_PATHS = {
    "request-documents": Action.REQUEST_DOCUMENTS,
    "check-documents": Action.CHECK_DOCUMENTS,
    "inspect": Action.INSPECT,
    "release": Action.RELEASE,
    "hold": Action.HOLD,
    "seize": Action.SEIZE,
    "exit": Action.EXIT,
}


class ActionIn(BaseModel):
    reason: str | None = Field(
        None, description="Why (required to request documents, hold, seize)."
    )
    findings: dict[str, Any] | None = Field(
        None,
        description="For check-documents and inspect: quantity_matches, hs_code_found, "
        "value_found, seals (intact|broken|none), prohibited_goods, "
        "documents_complete, notes.",
    )


class ChannelIn(BaseModel):
    channel: str = Field(description="green, blue, yellow or red.")
    reason: str = Field(description="Why the supervisor overrides the engine.")


class PaymentIn(BaseModel):
    reference: str = Field(description="Bank or treasury reference; the idempotency key.")
    amount: str = Field(description="Amount paid, in the currency owed.")
    currency: str
    kind: str = Field("payment", description="payment or guarantee.")


@router.get("/declarations/{mrn}/clearance", response_model=ClearanceOut)
def clearance(mrn: str, node: NodeDep, principal: PrincipalDep) -> ClearanceOut:
    """The risk decision with every rule that fired, the duty breakdown, controls, payments."""
    return ClearanceOut.of(queries.clearance_view(mrn, principal, node.ctx))


@router.post("/declarations/{mrn}/actions/{action}", response_model=DeclarationOut)
def act(
    mrn: str,
    action: str,
    body: ActionIn,
    response: Response,
    node: NodeDep,
    principal: PrincipalDep,
    if_match: Annotated[str | None, Header()] = None,
) -> DeclarationOut:
    """An officer's action: request-documents, check-documents, inspect, release, hold, seize."""
    chosen = ACTION_PATHS.get(action)
    if chosen is None:
        raise NotFound(f"No action {action!r}; use one of {', '.join(ACTION_PATHS)}.")
    record = officer.act(
        mrn, chosen, principal, node.ctx, body.reason, body.findings, expected_version(if_match)
    )
    return tagged(response, DeclarationOut.of(record))


@router.post("/declarations/{mrn}/channel", response_model=DeclarationOut)
def override(
    mrn: str, body: ChannelIn, response: Response, node: NodeDep, principal: PrincipalDep
) -> DeclarationOut:
    """A supervisor overrides the channel, with a reason."""
    record = officer.override_channel(mrn, body.channel, body.reason, principal, node.ctx)
    return tagged(response, DeclarationOut.of(record))


@router.post("/declarations/{mrn}/payments", response_model=DeclarationOut, status_code=201)
def pay(
    mrn: str, body: PaymentIn, response: Response, node: NodeDep, principal: PrincipalDep
) -> DeclarationOut:
    """Record a payment or guarantee; the same reference again answers 200 and changes nothing."""
    record, new = officer.record_payment(
        mrn,
        officer.PaymentIn(body.reference, body.amount, body.currency, body.kind),
        principal,
        node.ctx,
    )
    response.status_code = 201 if new else 200
    return tagged(response, DeclarationOut.of(record))


class CertificateIn(BaseModel):
    certificate: str = Field(description="Certificate number, as printed.")
    agreement: str = Field(description="Trade agreement, e.g. CPFTA.")


@router.post(
    "/declarations/{mrn}/origin-certificates", response_model=DeclarationOut, status_code=201
)
def certify(
    mrn: str, body: CertificateIn, response: Response, node: NodeDep, principal: PrincipalDep
) -> DeclarationOut:
    """Issue an origin certificate for an export; it is sent to the importing side."""
    record = officer.certify_origin(mrn, body.certificate, body.agreement, principal, node.ctx)
    return tagged(response, DeclarationOut.of(record))


@router.get("/queue", response_model=list[QueueEntryOut])
def queue(
    node: NodeDep,
    principal: PrincipalDep,
    channel: str | None = None,
    office: str | None = None,
    min_age_minutes: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[QueueEntryOut]:
    """What waits for an officer, by channel, office and age; the longest-waiting first."""
    entries = officer.queue(principal, node.ctx, channel, office, min_age_minutes, limit)
    now = node.ctx.clock()
    return [QueueEntryOut.of(e, now) for e in entries]
