"""Joint inspections (domain/joint_inspection.py): propose, accept, record the one control
record and countersign it; every step a signed message to the partner, in the same commit."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.controls import parse_findings
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from karakoram.domain.exchange.bodies import (
    Body,
    JointInspectionAccepted,
    JointInspectionProposed,
    JointInspectionSigned,
)
from karakoram.domain.exchange.envelope import Envelope, Refused
from karakoram.domain.exchange.expo_bodies import PartnerKind
from karakoram.domain.joint_inspection import (
    JointInspection,
    JointStatus,
    check_accept,
    check_record,
    joint_record,
    matches,
)
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.exchange.emit import counterpart_country, emit_to
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import ControlRecord, DeclarationFilter

log = logging.getLogger(__name__)
OFFICERS = (Role.OFFICER, Role.SUPERVISOR)
_STAFF = Principal(0, "system", Role.OFFICER)


class NoPartnerForJoint(Conflict):
    title = "No partner to inspect with"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.code = "no_partner"


def _config(ctx: NodeContext) -> ExchangeConfig:
    if ctx.exchange is None:
        raise NoPartnerForJoint("This node takes no part in the exchange: no signing key.")
    return ctx.exchange


def propose(
    mrn: str, at: Any, note: str, principal: Principal, ctx: NodeContext
) -> tuple[JointInspection, bool]:
    """Propose to inspect the consignment of declaration `mrn` together at `at`; the same
    proposal again (same declaration and time) returns the first. Returns it and whether new."""
    require_role(principal, *OFFICERS)
    when = _time(at)
    config = _config(ctx)
    with ctx.uow() as uow:
        record = uow.declarations.get(mrn)
        if record is None:
            raise NotFound(f"No declaration {mrn}.")
        country = counterpart_country(record)
        partner = next(
            (
                p
                for p in uow.exchange.partners()
                if p.country == country and p.kind == PartnerKind.ADMINISTRATION
            ),
            None,
        )
        if partner is None:
            raise NoPartnerForJoint(f"No partner administration in {country}.")
        for j in uow.joint.of_ucr(record.declaration.ucr):
            if j.mrn == mrn and j.at == when and j.proposed_by == config.me:
                return j, False
        now = ctx.clock()
        j = JointInspection(
            config.new_id(), record.declaration.ucr, config.me, partner.administration, when,
            JointStatus.PROPOSED, mrn, note.strip(),
        )  # fmt: skip
        uow.joint.add(j, now)
        body = JointInspectionProposed(j.proposal_id, when.isoformat(), now.isoformat(), j.note)
        _send(uow, config, now, j, body)
        uow.commit()
        return j, True


def accept(proposal_id: str, principal: Principal, ctx: NodeContext) -> JointInspection:
    """The other side agrees to the proposed inspection; accepting again changes nothing."""
    require_role(principal, *OFFICERS)
    config = _config(ctx)
    with ctx.uow() as uow:
        j = _get(uow, proposal_id)
        if j.status is JointStatus.ACCEPTED and j.proposed_by != config.me:
            return j
        check_accept(j, config.me)
        now = ctx.clock()
        j = replace(j, status=JointStatus.ACCEPTED)
        uow.joint.update(j, now)
        _send(uow, config, now, j, JointInspectionAccepted(j.proposal_id, now.isoformat()))
        uow.commit()
        return j


def record_result(
    proposal_id: str, findings: Any, principal: Principal, ctx: NodeContext
) -> JointInspection:
    """Record what both officers found as one control record, signed by this node; the
    partner countersigns it when it arrives."""
    require_role(principal, *OFFICERS)
    config = _config(ctx)
    parsed = parse_findings(findings)
    with ctx.uow() as uow:
        j = _get(uow, proposal_id)
        check_record(j)
        local = _local(uow, j)
        declared = frozenset(i.hs_code for i in local.declaration.items) if local else frozenset()
        result = parsed.result(declared)
        record = joint_record(j, result.value, parsed.as_dict(), (config.me, j.partner))
        signature = config.crypto.sign(record)
        now = ctx.clock()
        j = replace(j, status=JointStatus.SIGNED, record=record, signatures={config.me: signature})
        uow.joint.update(j, now)
        _control(uow, local, j, principal.name, now)
        body = JointInspectionSigned(j.proposal_id, record, signature, now.isoformat())
        _send(uow, config, now, j, body)
        uow.commit()
        return j


def joint_inspections(ucr: str, principal: Principal, ctx: NodeContext) -> list[JointInspection]:
    require_role(principal, *OFFICERS)
    with ctx.uow() as uow:
        return uow.joint.of_ucr(ucr)


def received(uow: UnitOfWork, config: ExchangeConfig, envelope: Envelope, at: datetime) -> None:
    """Apply a partner's joint-inspection message in the receiver's transaction."""
    body, sender = envelope.body, envelope.sender
    if isinstance(body, JointInspectionProposed):
        j = JointInspection(
            body.proposal_id, envelope.ucr or "", sender, sender, _time(body.at),
            JointStatus.PROPOSED, None, body.note or "",
        )  # fmt: skip
        local = _local(uow, j)
        uow.joint.add(replace(j, mrn=local.mrn if local else None), at)
        return
    found = uow.joint.get(getattr(body, "proposal_id", ""))
    if found is None or found.partner != sender:
        log.warning("joint inspection message for an unknown proposal from %s", sender)
        return
    if isinstance(body, JointInspectionAccepted) and found.status is JointStatus.PROPOSED:
        uow.joint.update(replace(found, status=JointStatus.ACCEPTED), at)
    elif isinstance(body, JointInspectionSigned):
        _signed(uow, config, found, body, at)


def _signed(
    uow: UnitOfWork,
    config: ExchangeConfig,
    j: JointInspection,
    body: JointInspectionSigned,
    at: datetime,
) -> None:
    """Keep the partner's signature if it signs the record agreed here; countersign it if
    this side has not signed yet."""
    if not matches(j, body.record, config.me) or not _verified(uow, config, j.partner, body):
        log.warning("joint inspection %s: a record or signature that does not hold", j.proposal_id)
        return
    signatures = {**j.signatures, j.partner: body.signature}
    countersign = config.me not in signatures
    if countersign:
        signatures[config.me] = config.crypto.sign(body.record)
    done = replace(j, status=JointStatus.RECORDED, record=body.record, signatures=signatures)
    uow.joint.update(done, at)
    if countersign:
        _control(uow, _local(uow, j), done, f"joint with {j.partner}", at)
        reply = JointInspectionSigned(
            j.proposal_id, body.record, signatures[config.me], at.isoformat()
        )
        _send(uow, config, at, done, reply)


def _verified(
    uow: UnitOfWork, config: ExchangeConfig, partner: str, body: JointInspectionSigned
) -> bool:
    try:
        decoded = config.crypto.decode(body.signature)
        signed_at = datetime.fromisoformat(body.signed_at)
        if decoded.payload != body.record:
            return False
        config.crypto.verify(decoded, uow.exchange.keys(partner), partner, signed_at)
    except (Refused, ValueError):  # a signature that does not hold is not kept
        return False
    return True


def _control(
    uow: UnitOfWork, local: DeclarationRecord | None, j: JointInspection, who: str, at: datetime
) -> None:
    """The joint record as this side's inspection of its declaration of the consignment."""
    if local is None or j.record is None:
        return
    findings = {**j.record["findings"], "joint_inspection": j.proposal_id}
    uow.clearance.add_control(
        local.mrn, ControlRecord("inspection", j.record["result"], findings, who, at)
    )


def _local(uow: UnitOfWork, j: JointInspection) -> DeclarationRecord | None:
    if j.mrn:
        return uow.declarations.get(j.mrn)
    found = uow.declarations.find(DeclarationFilter(ucr=j.ucr), _STAFF, None, 1)
    return found[0] if found else None


def _get(uow: UnitOfWork, proposal_id: str) -> JointInspection:
    j = uow.joint.get(proposal_id)
    if j is None:
        raise NotFound(f"No joint inspection {proposal_id}.")
    return j


def _send(
    uow: UnitOfWork, config: ExchangeConfig, now: datetime, j: JointInspection, body: Body
) -> None:
    partner = uow.exchange.partner(j.partner)
    if partner is None:
        raise NoPartnerForJoint(f"{j.partner} is no longer a partner.")
    emit_to(uow, config, now, partner, body, {"ucr": j.ucr, **({"mrn": j.mrn} if j.mrn else {})})


def _time(value: Any) -> datetime:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ValidationFailed(
            [FieldError("invalid_format", "/at", "at is an ISO 8601 time with its zone.")]
        )
    return at.astimezone(UTC)  # as the store gives it back, so both sides sign one text
