"""An officer settles a discrepancy of a truck's write-off (docs/gate.md): add, amend or
seize, each reasoned and audited, in one unit of work with what it causes (the release of
the imports it freed, the truck's clearance)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from karakoram.domain.access import Capability, Principal, require
from karakoram.domain.clearance import Action, DeclarationEvent, Status, next_status
from karakoram.domain.declaration.model import DeclarationRecord, DeclarationType
from karakoram.domain.errors import Conflict, NotFound
from karakoram.domain.gate.discrepancies import Resolution
from karakoram.domain.gate.resolution import Settlement, amended_report, parse_settlement
from karakoram.domain.gate.truck import Direction, TruckAction, TruckStatus, next_truck_status
from karakoram.services.context import NodeContext
from karakoram.services.exchange.emit import publish
from karakoram.services.gate.records import CargoReportRecord, DiscrepancyRecord
from karakoram.services.gate.release import declarations_on, release_presented, try_clear
from karakoram.services.ports import UnitOfWork

#: a seized consignment's declaration is held where the state machine allows it
_HOLDABLE = frozenset(
    {Status.ASSESSED, Status.DOCUMENTS_REQUESTED, Status.DOCUMENTS_CHECKED, Status.INSPECTED}
)


class AlreadySettled(Conflict):
    title = "The discrepancy was settled otherwise"

    def __init__(self, seq: int, settled: DiscrepancyRecord) -> None:
        super().__init__(
            f"Discrepancy {seq} was settled already ({settled.resolution}) by "
            f"{settled.resolved_by}."
        )
        self.code = "already_settled"


class NothingCovers(Conflict):
    title = "No declaration covers the consignment yet"

    def __init__(self, ucr: str) -> None:
        super().__init__(f"No declaration covers {ucr} yet: have one lodged, or seize it.")
        self.code = "not_declared"


def resolve_discrepancy(
    report_id: int, seq: int, data: Any, principal: Principal, ctx: NodeContext
) -> tuple[CargoReportRecord, DiscrepancyRecord]:
    """Settle discrepancy `seq` of report `report_id` as `data` says; the same decision again
    answers the stored one and changes nothing."""
    require(principal, Capability.ACT_ON_DECLARATION)
    now = ctx.clock()
    with ctx.uow() as uow:
        truck = uow.cargo.get(report_id)
        if truck is None:
            raise NotFound(f"No cargo report {report_id}.")
        found = {r.seq: r for r in uow.cargo.discrepancies(report_id)}
        if seq not in found:
            raise NotFound(f"Cargo report {report_id} has no discrepancy {seq}.")
        current = found[seq]
        settlement = parse_settlement(data, current.discrepancy.kind)
        if not current.open:
            if current.resolution is settlement.resolution:
                return truck, current
            raise AlreadySettled(seq, current)
        next_truck_status(truck.report.direction, truck.status, TruckAction.AMEND)
        truck = _apply(uow, ctx, truck, current, settlement, principal.name, now)
        settled = replace(
            current,
            resolution=settlement.resolution,
            reason=settlement.reason,
            resolved_by=principal.name,
            resolved_at=now,
        )
        if not uow.cargo.resolve(report_id, settled):
            raise Conflict(f"Discrepancy {seq} was settled meanwhile; reload it.")
        if truck.report.direction is Direction.INBOUND and truck.status is TruckStatus.PRESENTED:
            release_presented(uow, ctx, truck, now)
            truck = try_clear(uow, ctx, truck, now, principal.name)
        uow.commit()
        return truck, settled


def _apply(
    uow: UnitOfWork,
    ctx: NodeContext,
    truck: CargoReportRecord,
    current: DiscrepancyRecord,
    settlement: Settlement,
    by: str,
    now: datetime,
) -> CargoReportRecord:
    """What the decision changes besides the discrepancy itself."""
    ucr = current.discrepancy.ucr
    if settlement.resolution is Resolution.AMEND:
        report = amended_report(truck.report, ucr, settlement)
        return uow.cargo.amend(truck, report, now, by)
    inbound = truck.report.direction is Direction.INBOUND
    kind = (DeclarationType.IMPORT if inbound else DeclarationType.EXPORT).value
    covering = [d for d in uow.cargo.declared([ucr], [], kind) if d.ucr == ucr]
    if settlement.resolution is Resolution.ADD and not covering:
        raise NothingCovers(ucr)
    if settlement.resolution is Resolution.SEIZE:
        record = declarations_on(uow, truck).get(ucr)
        if record is not None and Status(record.status) in _HOLDABLE:
            _hold(uow, ctx, record, f"seized at the gate: {settlement.reason}", by, now)
    return truck


def _hold(
    uow: UnitOfWork, ctx: NodeContext, record: DeclarationRecord, why: str, by: str, now: datetime
) -> None:
    target = next_status(Status(record.status), Action.HOLD)
    changed = replace(record, status=target.value, updated_at=now, version=record.version + 1)
    uow.declarations.update(changed, expected_version=record.version)
    event = DeclarationEvent(Action.HOLD.value, record.status, target.value, by, now, why)
    publish(uow, ctx.exchange, [(changed, event)])
