"""The partner's trucks coming here: the cargo reports its node sent, kept for officers to see
(read-only) and for risk on vehicles and people (docs/gate.md)."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import InvalidOperation

from karakoram.domain.access import Capability, Principal, require
from karakoram.domain.exchange.bodies import CargoReportNotice
from karakoram.domain.exchange.envelope import Envelope
from karakoram.domain.gate.cargo_report import CargoReport, report_from_dict
from karakoram.services.context import NodeContext
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import PartnerCargoReport

log = logging.getLogger(__name__)

#: at most this many of the partner's trucks are listed at once
LISTED = 500


def received(uow: UnitOfWork, envelope: Envelope, body: CargoReportNotice, at: datetime) -> None:
    """Keep a partner's truck, in the receiving transaction. A report that does not read is
    logged and left in the inbox (the signed message is kept whatever its content)."""
    try:
        report = report_from_dict(body.report)
        lodged_at = datetime.fromisoformat(body.lodged_at)
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        log.warning("cargo report %s from %s does not read: %r", envelope.id, envelope.sender, exc)
        return
    kept = PartnerCargoReport(envelope.sender, envelope.id, body.carrier, report, lodged_at, at)
    uow.partner_cargo.add(kept)


def partner_truck(uow: UnitOfWork, ucr: str) -> CargoReport | None:
    """The latest of the partner's reports listing `ucr`, if any."""
    reports = uow.partner_cargo.carrying(ucr)
    return reports[-1].report if reports else None


def partner_trucks(
    principal: Principal, ctx: NodeContext, ucr: str | None = None, limit: int = 100
) -> list[PartnerCargoReport]:
    """The partner's trucks coming here, latest first (those carrying `ucr`, when given)."""
    require(principal, Capability.READ_PARTNER_RECORDS)
    with ctx.uow() as uow:
        if ucr is not None:
            return list(reversed(uow.partner_cargo.carrying(ucr)))[:limit]
        return uow.partner_cargo.latest(min(limit, LISTED))
