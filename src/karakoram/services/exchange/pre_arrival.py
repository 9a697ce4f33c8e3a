"""Degraded mode: imports assessed while the partner was down are checked again when its
pre-arrival data arrives, and a disagreement raises a post-clearance review
(`domain/gate/pre_arrival.py`, docs/gate.md "When the partner is down")."""

from __future__ import annotations

from datetime import datetime

from karakoram.domain.access import Capability, Principal, require
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.exchange.bodies import ExportPreArrival
from karakoram.domain.gate.pre_arrival import CheckStatus, PreArrivalCheck, recheck, settle
from karakoram.domain.risk.detectors import RiskSignal
from karakoram.services.context import NodeContext
from karakoram.services.ports import UnitOfWork

#: at most this many checks are listed at once
LISTED = 500


def pending_signal(ucr: str, partner_country: str) -> RiskSignal:
    """The neutral signal of an import whose pre-arrival data is stuck at a partner that is
    down: it scores nothing and says the data will be checked when it arrives."""
    return RiskSignal(
        "pre_arrival_pending_partner_down",
        f"the partner ({partner_country}) is down: its pre-arrival data for UCR {ucr} is "
        "pending and will be checked when it arrives",
        0,
        values={"ucr": ucr, "partner": partner_country},
    )


def open_check(uow: UnitOfWork, record: DeclarationRecord, at: datetime) -> None:
    """Mark an import for later verification against the partner's data (once per import)."""
    d = record.declaration
    uow.pre_arrival.open(PreArrivalCheck(record.mrn, d.ucr, d.exporter.country, at))


def verify_pending(
    uow: UnitOfWork,
    ucr: str,
    body: ExportPreArrival,
    message_id: str,
    at: datetime,
    pending: list[PreArrivalCheck] | None = None,
) -> list[PreArrivalCheck]:
    """The partner's pre-arrival data for `ucr` came: settle every import waiting for it, in
    the receiver's transaction (`pending`: its checks, when the batch read them already).
    Returns the checks settled."""
    settled = []
    for check in uow.pre_arrival.pending(ucr) if pending is None else pending:
        record = uow.declarations.get(check.mrn)
        if record is None:  # pragma: no cover - a check is opened for a stored import only
            continue
        outcome = settle(check, recheck(record.declaration, body.declaration), at, message_id)
        if uow.pre_arrival.settle(outcome):
            settled.append(outcome)
    return settled


def list_checks(
    principal: Principal, ctx: NodeContext, status: CheckStatus | None = None, limit: int = 100
) -> list[PreArrivalCheck]:
    """The pre-arrival checks, latest first: `review` ones are the post-clearance reviews an
    officer works through."""
    require(principal, Capability.ACT_ON_DECLARATION)
    with ctx.uow() as uow:
        return uow.pre_arrival.listed(status, min(limit, LISTED))


def check_of(mrn: str, principal: Principal, ctx: NodeContext) -> PreArrivalCheck | None:
    """The pre-arrival check of one import, if it was assessed while the partner was down."""
    require(principal, Capability.ACT_ON_DECLARATION)
    with ctx.uow() as uow:
        return uow.pre_arrival.of(mrn)
