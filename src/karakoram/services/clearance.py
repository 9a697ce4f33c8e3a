"""The officer's workflow: documents, inspections, release, hold, seizure, payments, overrides."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from karakoram.domain.access import (
    Capability,
    Principal,
    Role,
    ensure_visible,
    require_role,
    roles_with,
)
from karakoram.domain.clearance import (
    Action,
    DeclarationEvent,
    ReleaseState,
    Status,
    next_status,
    release_blockers,
)
from karakoram.domain.controls import Findings, Result, parse_findings
from karakoram.domain.declaration.model import DeclarationRecord, DeclarationType
from karakoram.domain.errors import (
    Conflict,
    FieldError,
    InvalidTransition,
    StaleVersion,
    ValidationFailed,
)
from karakoram.domain.exchange.bodies import MessageType, OriginCertificate
from karakoram.domain.partner_controls import ACCEPTED_KIND
from karakoram.domain.risk.channels import Channel
from karakoram.services.assessment import auto_release
from karakoram.services.context import NodeContext
from karakoram.services.exchange.emit import emit, publish
from karakoram.services.gate.presented import goods_presented
from karakoram.services.gate.release import clear_trucks_of
from karakoram.services.partner_inspection import accept as accept_partner
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import (
    ControlRecord,
    PaymentRecord,
    QueueEntry,
)

OFFICERS = roles_with(Capability.ACT_ON_DECLARATION)
#: actions that need the officer to say why
NEEDS_REASON = frozenset(
    {Action.REQUEST_DOCUMENTS, Action.HOLD, Action.SEIZE, Action.OVERRIDE_CHANNEL}
) | {Action.ACCEPT_PARTNER_INSPECTION}
#: actions that record a control with findings
CONTROLS = {Action.CHECK_DOCUMENTS: "documents", Action.INSPECT: "inspection"}
#: the officer's actions, in the order a page offers them
OFFICER_ACTIONS = (
    Action.REQUEST_DOCUMENTS,
    Action.CHECK_DOCUMENTS,
    Action.INSPECT,
    Action.ACCEPT_PARTNER_INSPECTION,
    Action.RELEASE,
    Action.HOLD,
    Action.SEIZE,
    Action.EXIT,
)
#: actions for one direction only
_ONLY = {
    Action.EXIT: DeclarationType.EXPORT,
    Action.ACCEPT_PARTNER_INSPECTION: DeclarationType.IMPORT,
}


class ReleaseRefused(Conflict):
    title = "The goods cannot be released yet"

    def __init__(self, mrn: str, blockers: list[str]) -> None:
        super().__init__(f"Declaration {mrn} cannot be released: " + "; ".join(blockers) + ".")
        self.blockers = blockers


def _reason(action: Action, reason: str | None) -> str | None:
    if action in NEEDS_REASON and not (reason and reason.strip()):
        raise ValidationFailed(
            [FieldError("required", "/reason", f"Say why you {action.value.replace('_', ' ')}.")]
        )
    return reason.strip() if reason else None


def _load(
    uow: UnitOfWork, mrn: str, principal: Principal, expected: int | None
) -> DeclarationRecord:
    record = ensure_visible(principal, uow.declarations.get(mrn), mrn)
    if expected is not None and expected != record.version:
        raise StaleVersion(mrn, expected, record.version)
    return record


def release_state(uow: UnitOfWork, record: DeclarationRecord) -> ReleaseState:
    controls = uow.clearance.controls(record.mrn)
    covered = sum((p.amount for p in uow.clearance.payments(record.mrn)), Decimal(0))
    return ReleaseState(
        channel=Channel(record.channel or Channel.YELLOW.value),
        documents_checked=any(c.kind == "documents" for c in controls),
        inspected=any(c.kind in ("inspection", ACCEPTED_KIND) for c in controls),
        prohibited_found=any(c.result == Result.PROHIBITED.value for c in controls),
        owed=record.amount_due or Decimal(0),
        covered=covered,
        currency=record.due_currency or "",
        presented=goods_presented(uow, record),
    )


def act(
    mrn: str,
    action: Action,
    principal: Principal,
    ctx: NodeContext,
    reason: str | None = None,
    findings: Any = None,
    expected_version: int | None = None,
) -> DeclarationRecord:
    """Carry out one officer action on a declaration and record it as an event."""
    require_role(principal, *OFFICERS)
    if action not in OFFICER_ACTIONS:
        raise ValidationFailed(
            [FieldError("invalid_format", "/action", f"{action.value} is not an officer action.")]
        )
    why = _reason(action, reason)
    parsed = parse_findings(findings) if action in CONTROLS else None
    with ctx.uow() as uow:
        record = _load(uow, mrn, principal, expected_version)
        target = next_status(Status(record.status), action)
        if action is Action.EXIT and record.declaration.type is not DeclarationType.EXPORT:
            raise InvalidTransition("record the exit of", "an import")
        now = ctx.clock()
        if parsed is not None:
            why = _record_control(uow, record, action, parsed, principal, now) + (
                f"; {why}" if why else ""
            )
        if action is Action.ACCEPT_PARTNER_INSPECTION:
            why = f"{accept_partner(uow, record, principal, now, ctx)}; {why}"
        if action is Action.RELEASE:
            blockers = release_blockers(release_state(uow, record))
            if blockers:
                raise ReleaseRefused(mrn, blockers)
        changed = replace(record, status=target.value, updated_at=now, version=record.version + 1)
        uow.declarations.update(changed, expected_version=record.version)
        event = DeclarationEvent(
            action.value, record.status, target.value, principal.name, now, why
        )
        publish(uow, ctx.exchange, [(changed, event)])
        clear_trucks_of(uow, ctx, [changed], now, principal.name)
        uow.commit()
        return changed


def _record_control(
    uow: UnitOfWork,
    record: DeclarationRecord,
    action: Action,
    findings: Findings,
    principal: Principal,
    now: Any,
) -> str:
    declared = frozenset(i.hs_code for i in record.declaration.items)
    result = findings.result(declared)
    uow.clearance.add_control(
        record.mrn,
        ControlRecord(CONTROLS[action], result.value, findings.as_dict(), principal.name, now),
    )
    return f"{CONTROLS[action]} {result.value}" + (f": {findings.notes}" if findings.notes else "")


@dataclass(frozen=True, slots=True)
class PaymentIn:
    reference: str
    amount: Any
    currency: str
    kind: str = "payment"


def record_payment(
    mrn: str, payment: PaymentIn, principal: Principal, ctx: NodeContext
) -> tuple[DeclarationRecord, bool]:
    """Record a payment or guarantee; the same reference twice is recorded once.

    Returns the declaration and whether the payment was new. Green and blue declarations
    are released as soon as what is owed is covered."""
    require_role(principal, *OFFICERS)
    with ctx.uow() as uow:
        record = _load(uow, mrn, principal, None)
        amount = _check_payment(payment, record)
        reference = payment.reference.strip()
        if any(p.reference == reference for p in uow.clearance.payments(mrn)):
            return record, False
        next_status(Status(record.status), Action.PAY)
        now = ctx.clock()
        stored = uow.clearance.add_payment(
            mrn,
            PaymentRecord(
                payment.reference.strip(),
                payment.kind,
                amount,
                payment.currency,
                principal.name,
                now,
            ),
        )
        if not stored:
            return record, False
        events = [
            DeclarationEvent(
                Action.PAY.value,
                record.status,
                record.status,
                principal.name,
                now,
                f"{payment.kind} {payment.reference}: {amount} {payment.currency}",
            )
        ]
        state = release_state(uow, record)
        released = auto_release(record, state.covered, now, state.presented)
        if released is not None:
            changed = replace(released[0], version=record.version + 1)
            uow.declarations.update(changed, expected_version=record.version)
            record = changed
            events.append(released[1])
        publish(uow, ctx.exchange, [(record, e) for e in events])
        clear_trucks_of(uow, ctx, [record], now, principal.name)
        uow.commit()
        return record, True


def _check_payment(payment: PaymentIn, record: DeclarationRecord) -> Decimal:
    errors = []
    if not payment.reference or not payment.reference.strip():
        errors.append(FieldError("required", "/reference", "A payment needs its reference."))
    if payment.kind not in ("payment", "guarantee"):
        errors.append(FieldError("invalid_format", "/kind", "kind is payment or guarantee."))
    if record.due_currency and payment.currency != record.due_currency:
        errors.append(
            FieldError(
                "unknown_currency", "/currency", f"Duties are owed in {record.due_currency}."
            )
        )
    try:
        amount = Decimal(str(payment.amount))
        if not amount.is_finite() or amount <= 0:
            raise InvalidOperation
    except InvalidOperation:
        errors.append(FieldError("not_positive", "/amount", "amount is a number above zero."))
        amount = Decimal(0)
    if errors:
        raise ValidationFailed(errors)
    return amount


def override_channel(
    mrn: str, channel: str, reason: str | None, principal: Principal, ctx: NodeContext
) -> DeclarationRecord:
    """A supervisor sets another channel, saying why; the decision is kept beside the old."""
    require_role(principal, Role.SUPERVISOR)
    why = _reason(Action.OVERRIDE_CHANNEL, reason)
    new = _channel(channel)
    with ctx.uow() as uow:
        record = _load(uow, mrn, principal, None)
        target = next_status(Status(record.status), Action.OVERRIDE_CHANNEL)
        latest = uow.clearance.assessments(mrn)[-1]
        now = ctx.clock()
        # the override keeps the scores, duties and policy versions of the latest assessment
        overridden = replace(
            latest,
            kind="override",
            channel=new.value,
            actor=principal.name,
            assessed_at=now,
            reason=why,
        )
        uow.clearance.add_assessments([(record, overridden)])
        changed = replace(
            record,
            status=target.value,
            channel=new.value,
            updated_at=now,
            version=record.version + 1,
        )
        events = [
            DeclarationEvent(
                Action.OVERRIDE_CHANNEL.value,
                record.status,
                target.value,
                principal.name,
                now,
                f"{record.channel} -> {new.value}: {why}",
            )
        ]
        state = release_state(uow, changed)
        released = auto_release(changed, state.covered, now, state.presented)
        if released is not None:
            changed = replace(released[0], version=changed.version)
            events.append(released[1])
        uow.declarations.update(changed, expected_version=record.version)
        publish(uow, ctx.exchange, [(changed, e) for e in events])
        clear_trucks_of(uow, ctx, [changed], now, principal.name)
        uow.commit()
        return changed


def _channel(channel: str) -> Channel:
    try:
        return Channel(channel)
    except ValueError as exc:
        raise ValidationFailed(
            [FieldError("invalid_channel", "/channel", "channel is green, blue, yellow or red.")]
        ) from exc


def available_actions(principal: Principal, record: DeclarationRecord) -> list[Action]:
    """The officer actions the caller's role and the declaration's state allow, in order."""
    if principal.role not in OFFICERS:
        return []
    allowed = []
    for action in OFFICER_ACTIONS:
        if _ONLY.get(action, record.declaration.type) is not record.declaration.type:
            continue
        try:
            next_status(Status(record.status), action)
        except InvalidTransition:
            continue
        allowed.append(action)
    return allowed


def queue(
    principal: Principal,
    ctx: NodeContext,
    channel: str | None = None,
    office: str | None = None,
    min_age_minutes: int = 0,
    limit: int = 100,
) -> list[QueueEntry]:
    """Declarations waiting for an officer, the longest-waiting first."""
    require_role(principal, *OFFICERS)
    before = ctx.clock() - timedelta(minutes=min_age_minutes) if min_age_minutes else None
    with ctx.uow() as uow:
        return uow.clearance.queue(channel, office, before, limit)


def certify_origin(
    mrn: str, certificate: str, agreement: str, principal: Principal, ctx: NodeContext
) -> DeclarationRecord:
    """Issue an origin certificate for an export and send it to the importing side."""
    require_role(principal, *OFFICERS)
    errors = [
        FieldError("required", f"/{name}", f"{name} is required.")
        for name, value in (("certificate", certificate), ("agreement", agreement))
        if not value or not value.strip()
    ]
    if errors:
        raise ValidationFailed(errors)
    with ctx.uow() as uow:
        record = _load(uow, mrn, principal, None)
        next_status(Status(record.status), Action.CERTIFY_ORIGIN)
        d = record.declaration
        if d.type is not DeclarationType.EXPORT:
            raise InvalidTransition("certify the origin of", "an import")
        now = ctx.clock()
        origins = sorted({i.origin for i in d.items})
        event = DeclarationEvent(
            Action.CERTIFY_ORIGIN.value,
            record.status,
            record.status,
            principal.name,
            now,
            f"{agreement} certificate {certificate}",
        )
        publish(uow, ctx.exchange, [(record, event)])
        if ctx.exchange is not None:
            emit(
                uow,
                ctx.exchange,
                now,
                record,
                MessageType.ORIGIN_CERTIFICATE,
                OriginCertificate(
                    certificate.strip(),
                    agreement.strip().upper(),
                    origins[0] if len(origins) == 1 else ",".join(origins),
                    tuple(sorted({i.hs_code[:6] for i in d.items})),
                    now.isoformat(),
                ),
            )
        uow.commit()
        return record
