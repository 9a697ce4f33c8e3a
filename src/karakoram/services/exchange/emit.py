"""Outbound: what a change of a declaration tells the partner, signed into the outbox.

Messages are written to the outbox in the same transaction as the change that causes them;
the relay (relay.py) delivers them later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from karakoram.domain.clearance import Action, DeclarationEvent
from karakoram.domain.declaration.model import (
    DeclarationRecord,
    DeclarationType,
    declaration_to_dict,
)
from karakoram.domain.errors import Conflict
from karakoram.domain.exchange.bodies import (
    Body,
    ControlResult,
    ExitConfirmation,
    ExportPreArrival,
    ImportClearanceResult,
    MessageType,
)
from karakoram.domain.exchange.envelope import Envelope
from karakoram.domain.exchange.expo_bodies import PartnerKind, may_send
from karakoram.services.contracts.results import contract_results
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.notify.outbox import enqueue_status_changes
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import OutboxMessage, Partner

#: what an import's state change tells the exporting side
_IMPORT_OUTCOMES = {
    Action.RELEASE.value: "accepted",
    Action.SEIZE.value: "refused",
    Action.HOLD.value: "discrepancy",
}


def counterpart_country(record: DeclarationRecord) -> str:
    d = record.declaration
    return d.importer.country if d.type is DeclarationType.EXPORT else d.exporter.country


def emit(
    uow: UnitOfWork,
    config: ExchangeConfig,
    now: datetime,
    record: DeclarationRecord,
    kind: MessageType,
    body: Body,
) -> OutboxMessage | None:
    """Queue a signed message to the partner on the other side, if one shares this type."""
    country = counterpart_country(record)
    partner = next(
        (
            p
            for p in uow.exchange.partners()
            if p.country == country
            and p.kind == PartnerKind.ADMINISTRATION
            and kind.value in p.message_types
        ),
        None,
    )
    if partner is None:
        return None
    references = {"ucr": record.declaration.ucr, "mrn": record.mrn}
    return emit_to(uow, config, now, partner, body, references)


def messages_for(
    record: DeclarationRecord, event: DeclarationEvent, uow: UnitOfWork
) -> list[tuple[MessageType, Body]]:
    """What the partner must hear about this change of a declaration."""
    at = event.at.isoformat()
    d = record.declaration
    parties = (d.exporter.identifier, d.importer.identifier)
    out: list[Body] = []
    if event.action in (Action.INSPECT.value, Action.CHECK_DOCUMENTS.value):
        control = uow.clearance.controls(record.mrn)[-1]
        out.append(ControlResult(control.kind, control.result, control.findings, at, parties))
    if d.type is DeclarationType.EXPORT:
        if event.action == Action.RELEASE.value:
            out.append(ExportPreArrival(declaration_to_dict(d), at))
        if event.to_state == "exited":
            out.append(ExitConfirmation(at, d.crossing))
    elif outcome := _IMPORT_OUTCOMES.get(event.action):
        accepted = outcome == "accepted"  # what was cleared, for the exporting side's mirror
        out.append(
            ImportClearanceResult(
                outcome,
                (event.reason or "",),
                at,
                parties,
                declaration_to_dict(d) if accepted else None,
                at if accepted else None,
            )
        )
    return [(body.type, body) for body in out]


def publish(
    uow: UnitOfWork,
    config: ExchangeConfig | None,
    changes: Sequence[tuple[DeclarationRecord, DeclarationEvent]],
) -> None:
    """Store events and queue the messages they cause (to the partner, the trader's
    notifications of status changes, and the expo's clearance results of a contract's
    shipment), in the caller's transaction."""
    uow.declarations.add_events((r.mrn, e) for r, e in changes)
    enqueue_status_changes(uow, changes)
    contract_results(uow, config, changes, emit_to)
    if config is None:
        return
    for record, event in changes:
        for kind, body in messages_for(record, event, uow):
            emit(uow, config, event.at, record, kind, body)


def emit_to_partners(
    uow: UnitOfWork, config: ExchangeConfig, now: datetime, body: Body
) -> list[str]:
    """Queue a signed message about no consignment (an audit checkpoint) to every partner
    whose agreement shares its type, in the caller's transaction; the partners named."""
    sent: list[str] = []
    for partner in uow.exchange.partners():
        if body.type.value in partner.message_types and may_send(
            partner.kind, partner.message_types, body.type
        ):
            emit_to(uow, config, now, partner, body)
            sent.append(partner.administration)
    return sent


def emit_to(
    uow: UnitOfWork,
    config: ExchangeConfig,
    now: datetime,
    partner: Partner,
    body: Body,
    references: dict[str, str] | None = None,
) -> OutboxMessage:
    """Queue a signed message to `partner`: about a declaration (`references`: its UCR and
    MRN), or about no one declaration (an AEO list, a checkpoint, a key revocation).
    `Conflict` for a message the partner's kind may never get: an administration's message
    to the expo, or the expo's to an administration (expo_bodies.may_send)."""
    if not may_send(partner.kind, partner.message_types, body.type):
        raise Conflict(f"{body.type.value} is never sent to {partner.administration}.")
    envelope = Envelope(
        config.new_id(), body.type, config.me, partner.administration, now, references or {}, body
    )
    message = OutboxMessage(
        envelope.id,
        partner.administration,
        body.type.value,
        envelope.ucr,
        config.crypto.sign(envelope.as_dict()),
        "pending",
        0,
        now,
        now,
    )
    uow.exchange.enqueue(message)
    return message
