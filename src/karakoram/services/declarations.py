"""One function per command. Each runs in one unit of work and records an event per change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from karakoram.domain.access import Principal, Role, ensure_can_change, ensure_visible, require_role
from karakoram.domain.clearance import Action, DeclarationEvent, Status, next_status
from karakoram.domain.declaration.model import Declaration, DeclarationRecord
from karakoram.domain.declaration.mrn import new_mrn
from karakoram.domain.declaration.validation import parse_declaration
from karakoram.domain.errors import FieldError, LrnConflict, StaleVersion, ValidationFailed
from karakoram.domain.representation import Mandate, NotRepresented, ensure_represents
from karakoram.services.assessment import Assessor
from karakoram.services.context import NodeContext
from karakoram.services.digests import declaration_digest
from karakoram.services.exchange.emit import publish
from karakoram.services.mandates import ensure_may_declare
from karakoram.services.notify.outbox import enqueue_status_changes
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import AssessmentRecord, DuplicateLrn


@dataclass(frozen=True, slots=True)
class Lodged:
    record: DeclarationRecord
    created: bool


def validate_for(principal: Principal, data: Any, ctx: NodeContext) -> Declaration:
    """Parse and validate a document a trader submits; the trader must be its declarant."""
    try:
        declaration = parse_declaration(data, ctx.codes, ctx.rules)
    except ValidationFailed as failed:
        errors = failed.errors
    else:
        errors = []
    if isinstance(data, dict):
        declarant = data.get("declarant")
        ident = declarant.get("identifier") if isinstance(declarant, dict) else None
        if ident and ident != principal.party:
            errors.append(
                FieldError(
                    "declarant_mismatch",
                    "/declarant/identifier",
                    f"You lodge as {principal.party}; the declarant must be you, not {ident}.",
                )
            )
    if errors:
        raise ValidationFailed(errors)
    return declaration


def new_record(
    declaration: Declaration, principal: Principal, ctx: NodeContext, digest: str | None = None
) -> tuple[DeclarationRecord, list[DeclarationEvent]]:
    """A freshly lodged and accepted record with its two events."""
    now = ctx.clock()
    assert principal.party is not None
    record = DeclarationRecord(
        mrn=new_mrn(now, ctx.rules.country, declaration.type.value),
        owner=principal.party,
        declaration=declaration,
        digest=digest or declaration_digest(declaration),
        status=next_status(Status.LODGED, Action.ACCEPT).value,
        lodged_at=now,
        updated_at=now,
    )
    events = [
        DeclarationEvent(Action.LODGE.value, None, Status.LODGED.value, principal.name, now),
        DeclarationEvent(
            Action.ACCEPT.value,
            Status.LODGED.value,
            Status.ACCEPTED.value,
            "system",
            now,
            "all validation checks passed",
        ),
    ]
    return record, events


def lodge_declaration(data: Any, principal: Principal, ctx: NodeContext) -> Lodged:
    """Lodge one declaration; the same trader and LRN with the same content is idempotent.
    Validated first, alone; then stored in a group commit when the node has one
    (`ctx.lodgements`), answered once the group's transaction is durable."""
    require_role(principal, Role.TRADER)
    declaration = validate_for(principal, data, ctx)
    try:
        return _store_new(declaration, principal, ctx)
    except DuplicateLrn:
        # A concurrent request with the same LRN committed first: answer as a resubmission.
        return _store_new(declaration, principal, ctx)


def _store_new(declaration: Declaration, principal: Principal, ctx: NodeContext) -> Lodged:
    def store(uow: UnitOfWork) -> Lodged:
        return _store_in(uow, declaration, principal, ctx)

    if ctx.lodgements is not None:
        return ctx.lodgements.run(store)
    with ctx.uow() as uow:
        lodged = store(uow)
        if lodged.created:
            uow.commit()
        return lodged


def _store_in(
    uow: UnitOfWork, declaration: Declaration, principal: Principal, ctx: NodeContext
) -> Lodged:
    """Store a new declaration in `uow` (not committed), or find it lodged before."""
    assert principal.party is not None
    existing = uow.declarations.get_by_lrn(principal.party, declaration.lrn)
    if existing is not None:
        if existing.digest != declaration_digest(declaration):
            raise LrnConflict(declaration.lrn, existing.mrn)
        return Lodged(existing, created=False)
    ensure_may_declare(uow, principal, declaration, ctx.clock())
    record, events = new_record(declaration, principal, ctx)
    record, assessment, assessed = Assessor(uow, ctx).assess(record)
    store_new_records(uow, ctx, [(record, assessment, events + assessed)])
    return Lodged(record, created=True)


def not_represented(
    given: Sequence[Mandate], principal: Principal, declaration: Declaration, at: datetime
) -> FieldError | None:
    """The bulk import's form of the representation check: a field error, or None. `given`
    are the mandates the caller's party holds, read once per batch in its unit of work (the
    same rows `ensure_may_declare` reads for each declaration)."""
    try:
        ensure_represents(principal.party, declaration, given, at)
    except NotRepresented as refused:
        return FieldError(refused.code, "/declarant/identifier", refused.detail)
    return None


def store_new_records(
    uow: UnitOfWork,
    ctx: NodeContext,
    lodged: list[tuple[DeclarationRecord, AssessmentRecord | None, list[DeclarationEvent]]],
) -> None:
    """Insert new declarations with their assessments and events (one statement per table),
    and queue what the partner must hear (pre-arrival data of exports released at once)."""
    uow.declarations.add([record for record, _, _ in lodged])
    uow.clearance.add_assessments([(r, a) for r, a, _ in lodged if a is not None])
    publish(uow, ctx.exchange, [(r, e) for r, _, events in lodged for e in events])


def amend_declaration(
    mrn: str,
    data: Any,
    principal: Principal,
    ctx: NodeContext,
    expected_version: int | None = None,
    reason: str | None = None,
) -> DeclarationRecord:
    """Replace the content of a declaration that is not yet released."""
    declaration = validate_for(principal, data, ctx)
    with ctx.uow() as uow:
        record = ensure_visible(principal, uow.declarations.get(mrn), mrn)
        ensure_can_change(principal, record)
        _check_version(record, expected_version)
        _check_same_lrn(record, declaration)
        ensure_may_declare(uow, principal, declaration, ctx.clock())
        status = next_status(Status(record.status), Action.AMEND)
        digest = declaration_digest(declaration)
        if digest == record.digest:
            return record
        now = ctx.clock()
        amended = replace(
            record,
            declaration=declaration,
            digest=digest,
            updated_at=now,
            version=record.version + 1,
            status=status.value,
            unit_values=(),
        )
        events = [
            DeclarationEvent(
                Action.AMEND.value, record.status, status.value, principal.name, now, reason
            )
        ]
        covered = sum((p.amount for p in uow.clearance.payments(mrn)), Decimal(0))
        amended, assessment, assessed = Assessor(uow, ctx).assess(amended, covered)
        uow.declarations.update(amended, expected_version=record.version)
        if assessment is not None:
            uow.clearance.add_assessments([(amended, assessment)])
        publish(uow, ctx.exchange, [(amended, e) for e in events + assessed])
        uow.commit()
        return amended


def cancel_declaration(
    mrn: str,
    reason: str,
    principal: Principal,
    ctx: NodeContext,
    expected_version: int | None = None,
) -> DeclarationRecord:
    """Cancel a declaration that is not yet released; the reason is kept on the event."""
    if not reason or not reason.strip():
        raise ValidationFailed([FieldError("required", "/reason", "Say why you cancel.")])
    with ctx.uow() as uow:
        record = ensure_visible(principal, uow.declarations.get(mrn), mrn)
        ensure_can_change(principal, record)
        _check_version(record, expected_version)
        ensure_may_declare(uow, principal, record.declaration, ctx.clock())
        status = next_status(Status(record.status), Action.CANCEL)
        now = ctx.clock()
        cancelled = replace(record, status=status.value, updated_at=now, version=record.version + 1)
        uow.declarations.update(cancelled, expected_version=record.version)
        event = DeclarationEvent(
            Action.CANCEL.value, record.status, status.value, principal.name, now, reason.strip()
        )
        uow.declarations.add_events([(mrn, event)])
        enqueue_status_changes(uow, [(cancelled, event)])
        uow.commit()
        return cancelled


def _check_version(record: DeclarationRecord, expected: int | None) -> None:
    if expected is not None and expected != record.version:
        raise StaleVersion(record.mrn, expected, record.version)


def _check_same_lrn(record: DeclarationRecord, amended: Declaration) -> None:
    if amended.lrn != record.declaration.lrn:
        raise ValidationFailed(
            [
                FieldError(
                    "lrn_mismatch",
                    "/lrn",
                    f"An amendment keeps the LRN {record.declaration.lrn!r}; "
                    "lodge a new declaration for a new LRN.",
                )
            ]
        )
