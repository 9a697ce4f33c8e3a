"""Read-side queries: what a caller may see, shaped for the API and the CLI."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, replace

from karakoram.domain.access import Capability, Principal, Role, ensure_visible, may, require
from karakoram.domain.clearance import (
    AWAITING_OFFICER,
    Action,
    DeclarationEvent,
    release_blockers,
)
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.errors import FieldError, PermissionDenied, ValidationFailed
from karakoram.services.assessment import Waiting, waiting_for
from karakoram.services.audit.timeline import CheckedTimeline, check_timeline
from karakoram.services.clearance import release_state
from karakoram.services.context import NodeContext
from karakoram.services.exchange.partner_view import PartnerSide, partner_side
from karakoram.services.records import (
    AssessmentRecord,
    ControlRecord,
    DeclarationFilter,
    PaymentRecord,
)

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class Page:
    items: list[DeclarationRecord]
    next_cursor: str | None


def get_declaration(
    mrn: str, principal: Principal, ctx: NodeContext
) -> tuple[DeclarationRecord, list[DeclarationEvent]]:
    """A declaration and its timeline, if the caller may see it."""
    with ctx.uow() as uow:
        record = ensure_visible(principal, uow.declarations.get(mrn), mrn)
        events = uow.declarations.events(mrn)
    if may(principal.role, Capability.READ_FIRED_RULES):
        return record, events
    return record, redact_timeline(events)


@dataclass(frozen=True, slots=True)
class CheckedDeclaration:
    """A declaration and its timeline as `get_declaration` serves them (redacted for callers
    who may not read fired rules), with the timeline checked against the audit chain."""

    record: DeclarationRecord
    events: list[DeclarationEvent]
    check: CheckedTimeline


def get_checked_declaration(mrn: str, principal: Principal, ctx: NodeContext) -> CheckedDeclaration:
    """`get_declaration`, each event compared with the audit entry that recorded it (one more
    indexed query): a row altered or deleted in the database is not served as history."""
    with ctx.uow() as uow:
        record = ensure_visible(principal, uow.declarations.get(mrn), mrn)
        events = uow.declarations.events(mrn)
        check = check_timeline(record, events, uow.audit.of_subject(mrn))
    if may(principal.role, Capability.READ_FIRED_RULES):
        return CheckedDeclaration(record, events, check)
    shown = redact_timeline(events)
    recorded = redact_timeline(check.recorded_only)
    return CheckedDeclaration(record, shown, replace(check, events=shown, recorded_only=recorded))


#: events whose reasons name the risk rules that fired or a supervisor's grounds
_CUSTOMS_ONLY_REASONS = frozenset({Action.ASSESS.value, Action.OVERRIDE_CHANNEL.value})


def redact_timeline(events: Sequence[DeclarationEvent]) -> list[DeclarationEvent]:
    """The timeline for a caller who may not read fired rules: every event, without the
    reasons that would tell which risk rules select the goods."""
    return [replace(e, reason=None) if e.action in _CUSTOMS_ONLY_REASONS else e for e in events]


def redact_assessment(a: AssessmentRecord) -> AssessmentRecord:
    """An assessment with its risk internals (score, draw, fired rules, rates, rule-set
    version, the override's grounds) removed; channel and duties stay."""
    return replace(a, score=0, draw=0.0, risk={}, rule_set_version=None, reason=None)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"d:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = text.partition(":")
        if kind != "d":
            raise ValueError(kind)
        return int(number)
    except ValueError as exc:
        raise ValidationFailed(
            [FieldError("invalid_format", "/cursor", "The cursor is not one this node issued.")]
        ) from exc


def list_declarations(
    flt: DeclarationFilter,
    principal: Principal,
    ctx: NodeContext,
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """Declarations the caller may see, oldest first (or newest first when the filter says
    so), one page at a time."""
    if principal.role is Role.PARTNER:
        raise PermissionDenied("Partner nodes use the exchange, not the declaration list.")
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(
            [FieldError("invalid_format", "/limit", f"limit must be between 1 and {MAX_PAGE}.")]
        )
    after = decode_cursor(cursor) if cursor else None
    with ctx.uow() as uow:
        rows = uow.declarations.find(flt, principal, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    last_id = rows[-1].id if rows else None
    return Page(rows, encode_cursor(last_id) if more and last_id is not None else None)


@dataclass(frozen=True, slots=True)
class ClearanceView:
    """Everything about the clearance of one declaration."""

    record: DeclarationRecord
    assessments: list[AssessmentRecord]
    controls: list[ControlRecord]
    payments: list[PaymentRecord]
    blockers: list[str]
    pending: str | None
    #: why an accepted declaration is not assessed (None once it is, or when nothing is missing)
    waiting: Waiting | None = None


def clearance_view(mrn: str, principal: Principal, ctx: NodeContext) -> ClearanceView:
    """The assessments (risk decision and duties), controls, payments and what blocks release."""
    with ctx.uow() as uow:
        record = ensure_visible(principal, uow.declarations.get(mrn), mrn)
        waiting = (
            waiting_for(ctx.policy.current(uow), ctx.clock().date(), record)
            if record.status == "accepted"
            else None
        )
        blockers = (
            release_blockers(release_state(uow, record))
            if record.channel and record.status in AWAITING_OFFICER
            else []
        )
        assessments = uow.clearance.assessments(mrn)
        if not may(principal.role, Capability.READ_FIRED_RULES):
            assessments = [redact_assessment(a) for a in assessments]
        return ClearanceView(
            record,
            assessments,
            uow.clearance.controls(mrn),
            uow.clearance.payments(mrn),
            blockers,
            waiting.reason if waiting else None,
            waiting,
        )


def partner_view(
    record: DeclarationRecord,
    events: list[DeclarationEvent],
    principal: Principal,
    ctx: NodeContext,
) -> PartnerSide:
    """What the partner administration said about the consignment of a declaration the caller
    has read (`get_declaration`), beside it: their declaration figure by figure, their control
    results, both timelines as one. For officers and supervisors (the partner's data is shared
    between administrations)."""
    require(principal, Capability.ACT_ON_DECLARATION)
    with ctx.uow() as uow:
        policy = ctx.policy.current(uow)
        tolerance = policy.rules.rule_set.contract_tolerance if policy.rules else None
        return partner_side(
            uow, record, events, ctx.administration, policy.rates, ctx.clock().date(), tolerance
        )
