"""A truck at the post: its arrival, the presentation of its goods with the write-off
against the declarations (and the release of the pre-lodged green imports on it), and an
outbound truck's exit (docs/gate.md)."""

from __future__ import annotations

from karakoram.domain.access import Capability, Principal, require
from karakoram.domain.declaration.model import DeclarationType, plate_key
from karakoram.domain.errors import InvalidTransition, NotFound, ValidationFailed
from karakoram.domain.gate.discrepancies import Discrepancy, find_discrepancies
from karakoram.domain.gate.truck import Direction, TruckAction
from karakoram.services.arrivals import unknown_office
from karakoram.services.context import NodeContext
from karakoram.services.gate.records import CargoReportRecord, DiscrepancyRecord
from karakoram.services.gate.release import (
    exit_outbound,
    move_truck,
    release_presented,
    try_clear,
)
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import ArrivalRecord


def _load(uow: UnitOfWork, report_id: int) -> CargoReportRecord:
    found = uow.cargo.get(report_id)
    if found is None:
        raise NotFound(f"No cargo report {report_id}.")
    return found


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
        record = move_truck(uow, _load(uow, report_id), TruckAction.ARRIVE, now, principal.name)
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
        record = move_truck(uow, _load(uow, report_id), TruckAction.PRESENT, now, principal.name)
        report = record.report
        inbound = report.direction is Direction.INBOUND
        kind = DeclarationType.IMPORT if inbound else DeclarationType.EXPORT
        ucrs = [c.ucr for c in report.consignments]
        plates = [plate_key(r) for r in report.registrations()]
        declared = uow.cargo.declared(ucrs, plates, kind.value)
        found = find_discrepancies(report, declared)
        uow.cargo.set_discrepancies(record, found, principal.name)
        if inbound:
            release_presented(uow, ctx, record, now)
            record = try_clear(uow, ctx, record, now, principal.name)
        uow.commit()
    return record, found


def exit_truck(report_id: int, principal: Principal, ctx: NodeContext) -> CargoReportRecord:
    """An outbound truck left at the office of exit: the report is `exited`, and so is each
    export on it (the partner hears of each exit). Refused (409) before presentation, or
    while an export on it is not released or a discrepancy is open."""
    require(principal, Capability.ACT_ON_DECLARATION)
    now = ctx.clock()
    with ctx.uow() as uow:
        record = _load(uow, report_id)
        if record.report.direction is not Direction.OUTBOUND:
            raise InvalidTransition("record the exit of", "an inbound truck")
        record = exit_outbound(uow, ctx, record, now, principal.name)
        uow.commit()
    return record


def discrepancies(
    report_id: int, principal: Principal, ctx: NodeContext
) -> list[DiscrepancyRecord]:
    """What the write-off of the report found (empty before presentation), each with how it
    was settled, if it was."""
    require(principal, Capability.ACT_ON_DECLARATION)
    with ctx.uow() as uow:
        _load(uow, report_id)
        return uow.cargo.discrepancies(report_id)
