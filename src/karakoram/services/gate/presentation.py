"""A truck at the post: its arrival, and the presentation of its goods with the write-off
against the declarations (docs/gate.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from karakoram.domain.access import Capability, Principal, require
from karakoram.domain.declaration.model import DeclarationType, plate_key
from karakoram.domain.errors import NotFound, ValidationFailed
from karakoram.domain.gate.discrepancies import Discrepancy, find_discrepancies
from karakoram.domain.gate.truck import Direction, TruckAction, next_truck_status
from karakoram.services.arrivals import unknown_office
from karakoram.services.context import NodeContext
from karakoram.services.gate.records import CargoReportRecord
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import ArrivalRecord


def _load(uow: UnitOfWork, report_id: int) -> CargoReportRecord:
    found = uow.cargo.get(report_id)
    if found is None:
        raise NotFound(f"No cargo report {report_id}.")
    return found


def _move(
    uow: UnitOfWork, record: CargoReportRecord, action: TruckAction, at: datetime, by: str
) -> CargoReportRecord:
    target = next_truck_status(record.report.direction, record.status, action)
    moved = replace(record, status=target, updated_at=at)
    return uow.cargo.update_status(moved, record.version, by)


def arrive_truck(
    report_id: int, office: str, principal: Principal, ctx: NodeContext
) -> CargoReportRecord:
    """An inbound truck is at the post: its report is `arrived`, and each consignment on it
    has its arrival recorded at `office` (where the clearance-time clock starts)."""
    require(principal, Capability.ACT_ON_DECLARATION)
    office = office.strip().upper()
    problems = unknown_office(office, ctx)
    if problems:
        raise ValidationFailed(problems)
    now = ctx.clock()
    with ctx.uow() as uow:
        record = _move(uow, _load(uow, report_id), TruckAction.ARRIVE, now, principal.name)
        for c in record.report.consignments:
            if uow.arrivals.get(c.ucr, office) is None:
                uow.arrivals.add(ArrivalRecord(c.ucr, office, now, principal.name))
        uow.commit()
    return record


def present_truck(
    report_id: int, principal: Principal, ctx: NodeContext
) -> tuple[CargoReportRecord, list[Discrepancy]]:
    """The truck's goods are presented: the report is `presented` and written off against the
    declarations covering its consignments (imports for an inbound truck, exports for an
    outbound one); what does not match is kept for an officer to resolve."""
    require(principal, Capability.ACT_ON_DECLARATION)
    now = ctx.clock()
    with ctx.uow() as uow:
        record = _move(uow, _load(uow, report_id), TruckAction.PRESENT, now, principal.name)
        report = record.report
        inbound = report.direction is Direction.INBOUND
        kind = DeclarationType.IMPORT if inbound else DeclarationType.EXPORT
        ucrs = [c.ucr for c in report.consignments]
        plates = [plate_key(r) for r in report.registrations()]
        declared = uow.cargo.declared(ucrs, plates, kind.value)
        found = find_discrepancies(report, declared)
        uow.cargo.set_discrepancies(record, found, principal.name)
        uow.commit()
    return record, found


def discrepancies(report_id: int, principal: Principal, ctx: NodeContext) -> list[Discrepancy]:
    """What the write-off of the report found (empty before presentation)."""
    require(principal, Capability.ACT_ON_DECLARATION)
    with ctx.uow() as uow:
        _load(uow, report_id)
        return uow.cargo.discrepancies(report_id)
