"""One inspection for both sides: the partner's controls of the same consignment, read for the
officer's acceptance of its inspection and for risk's facts (domain/partner_controls.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from karakoram.domain.access import Principal
from karakoram.domain.clearance import Action
from karakoram.domain.declaration.model import Declaration, DeclarationRecord, DeclarationType
from karakoram.domain.errors import InvalidTransition
from karakoram.domain.exchange.bodies import ControlResult, MalformedBody, MessageType, parse_body
from karakoram.domain.partner_controls import (
    ACCEPTED_KIND,
    PartnerControl,
    acceptable_inspection,
    clean_inspection,
    partner_facts,
)
from karakoram.services.context import NodeContext
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import ControlRecord, PartnerRecord


def partner_controls(uow: UnitOfWork, ucr: str) -> list[PartnerControl]:
    """The control results partners sent about consignment `ucr`, oldest first."""
    out = []
    for record in uow.exchange.partner_records(ucr):
        if record.type != MessageType.CONTROL_RESULT.value:
            continue
        try:
            body = parse_body(MessageType.CONTROL_RESULT, record.body)
        except MalformedBody:
            continue  # stored by hand, not received: not evidence
        if isinstance(body, ControlResult):
            out.append(
                PartnerControl(
                    record.message_id, record.sender, body.kind, body.result, _when(body, record)
                )
            )
    return out


def _when(body: ControlResult, record: PartnerRecord) -> datetime:
    """When the partner made the control (as its message says), else when the message came."""
    at = record.created_at
    with contextlib.suppress(ValueError):
        at = datetime.fromisoformat(body.at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def risk_facts(
    uow: UnitOfWork, d: Declaration, now: datetime, max_age: timedelta
) -> dict[str, bool]:
    """`partner_inspected_clean` and `partner_control_found` for an import (False on exports:
    the partner's controls come after ours there)."""
    if d.type is not DeclarationType.IMPORT:
        return partner_facts((), now, max_age)
    return partner_facts(partner_controls(uow, d.ucr), now, max_age)


def accept(
    uow: UnitOfWork,
    record: DeclarationRecord,
    principal: Principal,
    now: datetime,
    ctx: NodeContext,
) -> str:
    """Record the partner's clean inspection as this declaration's inspection (in the caller's
    unit of work); the words the event keeps. Refused on exports, and when there is no clean,
    recent partner inspection of the consignment or one of its controls found something."""
    if record.declaration.type is not DeclarationType.IMPORT:
        raise InvalidTransition("accept the partner's inspection of", "an export")
    d = record.declaration
    max_age = ctx.partner_inspection_max_age
    found = acceptable_inspection(d.ucr, partner_controls(uow, d.ucr), _aware(now), max_age)
    findings = {
        "partner": found.sender,
        "partner_message_id": found.message_id,
        "partner_result": found.result,
        "partner_inspected_at": found.at.isoformat(),
    }
    uow.clearance.add_control(
        record.mrn, ControlRecord(ACCEPTED_KIND, found.result, findings, principal.name, now)
    )
    return f"{found.sender}'s inspection of {found.at.isoformat()} accepted ({found.result})"


def offered(actions: Sequence[Action], record: DeclarationRecord, ctx: NodeContext) -> list[Action]:
    """`actions` without accepting the partner's inspection when there is none to accept."""
    if Action.ACCEPT_PARTNER_INSPECTION not in actions:
        return list(actions)
    d = record.declaration
    with ctx.uow() as uow:
        controls = partner_controls(uow, d.ucr)
    clean = clean_inspection(controls, _aware(ctx.clock()), ctx.partner_inspection_max_age)
    keep = d.type is DeclarationType.IMPORT and clean is not None
    return [a for a in actions if keep or a is not Action.ACCEPT_PARTNER_INSPECTION]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)
