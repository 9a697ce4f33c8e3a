"""The officer's side: clearance details, actions, payments, channel overrides, the queue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import may
from karakoram.domain.clearance import Action
from karakoram.domain.declaration.model import plain_decimal
from karakoram.domain.errors import NotFound
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.api.schemas import (
    ClearanceOut,
    DeclarationOut,
    QueueEntryOut,
    WaitingOut,
)
from karakoram.entrypoints.api.versions import expected_version, tagged
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services import clearance as officer
from karakoram.services import queries
from karakoram.services.records import AssessmentRecord

router = APIRouter(tags=["clearance"])

ACTION_PATHS = {
    "request-documents": Action.REQUEST_DOCUMENTS,
    "check-documents": Action.CHECK_DOCUMENTS,
    "inspect": Action.INSPECT,
    "accept-partner-inspection": Action.ACCEPT_PARTNER_INSPECTION,
    "release": Action.RELEASE,
    "hold": Action.HOLD,
    "seize": Action.SEIZE,
    "exit": Action.EXIT,
}


class ActionIn(BaseModel):
    reason: str | None = Field(
        None,
        description="Why (required to request documents, hold, seize, and to accept the "
        "partner's inspection).",
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


class TraderAssessmentOut(BaseModel):
    """An assessment as the trader sees it: the channel and what is owed and why, never the
    risk internals (score, fired rules, rates, draw, rule-set version)."""

    kind: str
    channel: str
    total_due: str
    currency: str
    tariff_version: int | None
    rates_version: int | None
    assessed_at: datetime
    duties: dict[str, Any] = Field(description="Every component per item, its base and rate.")

    @classmethod
    def of(cls, a: AssessmentRecord) -> TraderAssessmentOut:
        return cls(
            kind=a.kind,
            channel=a.channel,
            total_due=plain_decimal(a.total_due),
            currency=a.currency,
            tariff_version=a.tariff_version,
            rates_version=a.rates_version,
            assessed_at=a.assessed_at,
            duties=a.duties,
        )


class TraderClearanceOut(BaseModel):
    """The clearance of a declaration for its trader or broker: channel, what blocks release,
    what is owed and why, the controls' results and the payments."""

    mrn: str
    status: str
    channel: str | None
    amount_due: str | None
    currency: str | None
    pending: str | None = Field(description="Why it is not assessed yet, in words.")
    waiting_for: WaitingOut | None = None
    blockers: list[str]
    assessments: list[TraderAssessmentOut]
    controls: list[dict[str, Any]]
    payments: list[dict[str, Any]]

    @classmethod
    def of(cls, v: queries.ClearanceView) -> TraderClearanceOut:
        full = ClearanceOut.of(v)
        waiting = WaitingOut.of(v.waiting, trader=True)
        return cls(
            **full.model_dump(exclude={"assessments", "pending", "waiting_for"}),
            pending=waiting.message if waiting else None,
            waiting_for=waiting,
            assessments=[TraderAssessmentOut.of(a) for a in v.assessments],
        )


@router.get(
    "/declarations/{mrn}/clearance",
    response_model=ClearanceOut | TraderClearanceOut,
    dependencies=[needs(Cap.READ_DECLARATIONS)],
)
def clearance(
    mrn: str, node: NodeDep, principal: PrincipalDep
) -> ClearanceOut | TraderClearanceOut:
    """The risk decision with every rule that fired (for officers, supervisors and risk
    analysts; others get the channel without the risk internals), the duty breakdown,
    controls, payments."""
    view = queries.clearance_view(mrn, principal, node.ctx)
    if may(principal.role, Cap.READ_FIRED_RULES):
        return ClearanceOut.of(view)
    return TraderClearanceOut.of(view)


@router.post(
    "/declarations/{mrn}/actions/{action}",
    response_model=DeclarationOut,
    dependencies=[needs(Cap.ACT_ON_DECLARATION)],
)
def act(
    mrn: str,
    action: str,
    body: ActionIn,
    response: Response,
    node: NodeDep,
    principal: PrincipalDep,
    if_match: Annotated[str | None, Header()] = None,
) -> DeclarationOut:
    """An officer's action: request-documents, check-documents, inspect, release, hold, seize,
    exit, or accept-partner-inspection (an import: the partner's clean, recent inspection of
    the same UCR stands in for ours; refused with 409 `no_partner_inspection`,
    `partner_inspection_too_old` or `partner_found_something`)."""
    chosen = ACTION_PATHS.get(action)
    if chosen is None:
        raise NotFound(f"No action {action!r}; use one of {', '.join(ACTION_PATHS)}.")
    record = officer.act(
        mrn, chosen, principal, node.ctx, body.reason, body.findings, expected_version(if_match)
    )
    return tagged(response, DeclarationOut.of(record))


@router.post(
    "/declarations/{mrn}/channel",
    response_model=DeclarationOut,
    dependencies=[needs(Cap.OVERRIDE_CHANNEL)],
)
def override(
    mrn: str, body: ChannelIn, response: Response, node: NodeDep, principal: PrincipalDep
) -> DeclarationOut:
    """A supervisor overrides the channel, with a reason."""
    record = officer.override_channel(mrn, body.channel, body.reason, principal, node.ctx)
    return tagged(response, DeclarationOut.of(record))


@router.post(
    "/declarations/{mrn}/payments",
    response_model=DeclarationOut,
    status_code=201,
    dependencies=[needs(Cap.ACT_ON_DECLARATION)],
)
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
    "/declarations/{mrn}/origin-certificates",
    response_model=DeclarationOut,
    status_code=201,
    dependencies=[needs(Cap.ACT_ON_DECLARATION)],
)
def certify(
    mrn: str, body: CertificateIn, response: Response, node: NodeDep, principal: PrincipalDep
) -> DeclarationOut:
    """Issue an origin certificate for an export; it is sent to the importing side."""
    record = officer.certify_origin(mrn, body.certificate, body.agreement, principal, node.ctx)
    return tagged(response, DeclarationOut.of(record))


@router.get(
    "/queue", response_model=list[QueueEntryOut], dependencies=[needs(Cap.ACT_ON_DECLARATION)]
)
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
