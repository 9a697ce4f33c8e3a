"""Shapes of request and response bodies, as published in the OpenAPI document.

Requests are validated by the domain (`karakoram.domain.declaration.validation`) so that every
error has a stable code and a pointer; `DeclarationIn` documents the same shape for clients, and
a test keeps the two in step.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration.model import DeclarationRecord, declaration_to_dict, plain_decimal
from karakoram.services.assessment import Waiting
from karakoram.services.bulk import ImportResult
from karakoram.services.queries import ClearanceView
from karakoram.services.records import (
    AssessmentRecord,
    PolicyDocument,
    QueueEntry,
    UserRecord,
)

Number = Decimal | str


class PartyIn(BaseModel):
    name: str
    identifier: str = Field(description="Trader identifier (for example a TIN or EORI-like id).")
    country: str = Field(description="ISO 3166-1 alpha-2.", examples=["CN"])
    aeo: bool = Field(False, description="Authorised Economic Operator status.")


class TransportIn(BaseModel):
    registration: str
    nationality: str


class DriverIn(BaseModel):
    name: str
    passport_number: str
    nationality: str


class MoneyIn(BaseModel):
    amount: Number
    currency: str = Field(description="ISO 4217.", examples=["USD"])


class GoodsItemIn(BaseModel):
    hs_code: str = Field(description="6-digit HS subheading or 8-10 digit national line.")
    description: str
    origin: str = Field(description="Country of origin, ISO 3166-1 alpha-2.")
    quantity: Number
    unit: str = Field(description="UN/ECE Recommendation 20 unit, e.g. KGM, NAR.")
    gross_mass: Number = Field(description="Kilograms.")
    net_mass: Number = Field(description="Kilograms, not above gross mass.")
    value: Number = Field(description="Item value in the invoice currency.")
    preference: str | None = Field(None, description="Trade agreement claimed, if any.")
    origin_certificate: str | None = Field(None, description="Origin certificate reference.")


class DeclarationIn(BaseModel):
    type: Literal["EX", "IM"]
    lrn: str = Field(description="Your local reference; the idempotency key of the lodgement.")
    ucr: str = Field(description="Unique consignment reference shared by export and import.")
    declarant: PartyIn
    exporter: PartyIn
    importer: PartyIn
    office_of_lodgement: str
    office_of_exit_entry: str
    crossing: str
    transport: TransportIn
    driver: DriverIn
    invoice: MoneyIn
    incoterm: str = Field(description="Incoterms 2020 rule.", examples=["DAP"])
    items: list[GoodsItemIn]


class EventOut(BaseModel):
    action: str
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    reason: str | None

    @classmethod
    def of(cls, e: DeclarationEvent) -> EventOut:
        return cls(
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            actor=e.actor,
            at=e.at,
            reason=e.reason,
        )


class DeclarationOut(BaseModel):
    mrn: str
    status: str
    version: int
    owner: str
    channel: str | None = None
    amount_due: str | None = None
    due_currency: str | None = None
    lodged_at: datetime
    updated_at: datetime
    declaration: dict[str, Any]
    timeline: list[EventOut] | None = None

    @classmethod
    def of(
        cls, r: DeclarationRecord, events: list[DeclarationEvent] | None = None
    ) -> DeclarationOut:
        return cls(
            mrn=r.mrn,
            status=r.status,
            version=r.version,
            owner=r.owner,
            channel=r.channel,
            amount_due=None if r.amount_due is None else plain_decimal(r.amount_due),
            due_currency=r.due_currency,
            lodged_at=r.lodged_at,
            updated_at=r.updated_at,
            declaration=declaration_to_dict(r.declaration),
            timeline=None if events is None else [EventOut.of(e) for e in events],
        )


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def declaration_json(
    r: DeclarationRecord, events: list[DeclarationEvent] | None = None
) -> dict[str, Any]:
    """What `DeclarationOut` serialises to, built directly: the hot routes skip re-validating
    what the domain already validated (a test keeps the two identical)."""
    body: dict[str, Any] = {
        "mrn": r.mrn,
        "status": r.status,
        "version": r.version,
        "owner": r.owner,
        "channel": r.channel,
        "amount_due": None if r.amount_due is None else plain_decimal(r.amount_due),
        "due_currency": r.due_currency,
        "lodged_at": _time(r.lodged_at),
        "updated_at": _time(r.updated_at),
        "declaration": declaration_to_dict(r.declaration),
        "timeline": None
        if events is None
        else [
            {
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "actor": e.actor,
                "at": _time(e.at),
                "reason": e.reason,
            }
            for e in events
        ],
    }
    return body


class PageOut(BaseModel):
    items: list[DeclarationOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class CancelIn(BaseModel):
    reason: str = Field(description="Why the declaration is cancelled.")


class FieldErrorOut(BaseModel):
    code: str
    pointer: str
    message: str


class ImportResultOut(BaseModel):
    location: str
    lrn: str | None
    outcome: str
    mrn: str | None
    errors: list[FieldErrorOut]

    @classmethod
    def of(cls, r: ImportResult) -> ImportResultOut:
        return cls(
            location=r.location,
            lrn=r.lrn,
            outcome=r.outcome.value,
            mrn=r.mrn,
            errors=[FieldErrorOut(**e.as_dict()) for e in r.errors],
        )


class BulkOut(BaseModel):
    summary: dict[str, int]
    results: list[ImportResultOut]


class UserIn(BaseModel):
    name: str
    role: str
    party: str | None = None


class UserOut(BaseModel):
    id: int
    name: str
    role: str
    party: str | None
    created_at: datetime
    active: bool

    @classmethod
    def of(cls, u: UserRecord) -> UserOut:
        return cls(
            id=u.id,
            name=u.name,
            role=u.role,
            party=u.party,
            created_at=u.created_at,
            active=u.active,
        )


class NewUserOut(UserOut):
    api_key: str = Field(description="Shown once; the node keeps only its hash.")


class AssessmentOut(BaseModel):
    kind: str
    channel: str
    score: int
    total_due: str
    currency: str
    rule_set_version: int | None
    tariff_version: int | None
    rates_version: int | None
    actor: str
    reason: str | None
    assessed_at: datetime
    risk: dict[str, Any] = Field(
        description="Rules that fired with their values, detector "
        "signals, the random draw and rates."
    )
    duties: dict[str, Any] = Field(description="Every component per item, its base and rate.")

    @classmethod
    def of(cls, a: AssessmentRecord) -> AssessmentOut:
        return cls(
            kind=a.kind,
            channel=a.channel,
            score=a.score,
            total_due=plain_decimal(a.total_due),
            currency=a.currency,
            rule_set_version=a.rule_set_version,
            tariff_version=a.tariff_version,
            rates_version=a.rates_version,
            actor=a.actor,
            reason=a.reason,
            assessed_at=a.assessed_at,
            risk=a.risk,
            duties=a.duties,
        )


class WaitingOut(BaseModel):
    """Why an accepted declaration is not assessed yet."""

    code: str = Field(description="exchange_rate or policy_missing.")
    currency: str | None = Field(description="The currency whose rate it waits for.")
    on: date | None = Field(description="The day the rate is needed for.")
    message: str

    @classmethod
    def of(cls, w: Waiting | None, trader: bool = False) -> WaitingOut | None:
        if w is None:
            return None
        return cls(
            code=w.code,
            currency=w.currency,
            on=w.on,
            message=w.for_trader() if trader else w.reason,
        )


class ClearanceOut(BaseModel):
    mrn: str
    status: str
    channel: str | None
    amount_due: str | None
    currency: str | None
    pending: str | None = Field(description="Why the declaration is not assessed yet, if so.")
    waiting_for: WaitingOut | None = Field(
        None, description="The same, with a stable code and the currency it waits for."
    )
    blockers: list[str] = Field(description="What still prevents release.")
    assessments: list[AssessmentOut]
    controls: list[dict[str, Any]]
    payments: list[dict[str, Any]]

    @classmethod
    def of(cls, v: ClearanceView) -> ClearanceOut:
        r = v.record
        return cls(
            mrn=r.mrn,
            status=r.status,
            channel=r.channel,
            amount_due=None if r.amount_due is None else plain_decimal(r.amount_due),
            currency=r.due_currency,
            pending=v.pending,
            waiting_for=WaitingOut.of(v.waiting),
            blockers=v.blockers,
            assessments=[AssessmentOut.of(a) for a in v.assessments],
            controls=[
                {
                    "kind": c.kind,
                    "result": c.result,
                    "findings": c.findings,
                    "officer": c.officer,
                    "at": c.at.isoformat(),
                }
                for c in v.controls
            ],
            payments=[
                {
                    "reference": p.reference,
                    "kind": p.kind,
                    "amount": plain_decimal(p.amount),
                    "currency": p.currency,
                    "recorded_by": p.recorded_by,
                    "at": p.at.isoformat(),
                }
                for p in v.payments
            ],
        )


class QueueEntryOut(BaseModel):
    mrn: str
    status: str
    channel: str | None
    type: str
    office: str
    trader: str
    lodged_at: datetime
    waiting_minutes: int

    @classmethod
    def of(cls, e: QueueEntry, now: datetime) -> QueueEntryOut:
        return cls(
            mrn=e.mrn,
            status=e.status,
            channel=e.channel,
            type=e.type,
            office=e.office,
            trader=e.trader,
            lodged_at=e.lodged_at,
            waiting_minutes=int((now - e.waiting_since).total_seconds() // 60),
        )


class PolicyDocumentOut(BaseModel):
    kind: str
    version: int
    name: str
    status: str
    created_by: str
    created_at: datetime
    source: str | None = None

    @classmethod
    def of(cls, d: PolicyDocument, with_source: bool = False) -> PolicyDocumentOut:
        return cls(
            kind=d.kind,
            version=d.version,
            name=d.name,
            status=d.status,
            created_by=d.created_by,
            created_at=d.created_at,
            source=d.source if with_source else None,
        )
