"""Cargo reports: a carrier lodges what its truck carries before it leaves (docs/gate.md).

Lodging is idempotent on the carrier's own reference, as a declaration is on its LRN: the same
report again answers the stored one; the same reference with other content is a conflict."""

from __future__ import annotations

from typing import Any

from karakoram.domain.access import Capability, Principal, Role, require
from karakoram.domain.errors import Conflict, NotFound, PermissionDenied
from karakoram.domain.gate.cargo_report import parse_cargo_report, report_digest
from karakoram.domain.gate.truck import TruckStatus
from karakoram.services.context import NodeContext
from karakoram.services.gate.partner_cargo import announce
from karakoram.services.gate.records import CargoReportRecord


class ReferenceConflict(Conflict):
    title = "Reference already used for a different cargo report"

    def __init__(self, reference: str, report_id: int | None) -> None:
        super().__init__(
            f"Cargo report {reference!r} was already lodged (number {report_id}) with different "
            "content. Use a new reference."
        )
        self.code = "reference_conflict"


def lodge_cargo_report(
    data: Any, principal: Principal, ctx: NodeContext
) -> tuple[CargoReportRecord, bool]:
    """Store a carrier's report; returns it and whether it is new."""
    require(principal, Capability.LODGE_CARGO_REPORTS)
    if not principal.party:
        raise PermissionDenied("A carrier's account needs the identifier it acts for.")
    report = parse_cargo_report(data, ctx.codes, ctx.rules.crossings)
    digest = report_digest(report)
    now = ctx.clock()
    with ctx.uow() as uow:
        known = uow.cargo.by_reference(principal.party, report.reference)
        if known is None:
            record = CargoReportRecord(
                principal.party, report, TruckStatus.REPORTED, digest, principal.name, now, now
            )
            stored = uow.cargo.add(record)
            if stored is not None:
                announce(uow, ctx.exchange, stored)
                uow.commit()
                return stored, True
            known = uow.cargo.by_reference(principal.party, report.reference)
            assert known is not None  # a concurrent lodgement of the same reference won
    if known.digest != digest:
        raise ReferenceConflict(report.reference, known.id)
    return known, False


def get_cargo_report(report_id: int, principal: Principal, ctx: NodeContext) -> CargoReportRecord:
    """One report; a carrier sees its own only (another's is as absent as a missing one)."""
    require(principal, Capability.READ_CARGO_REPORTS)
    with ctx.uow() as uow:
        found = uow.cargo.get(report_id)
    if found is None or (principal.role is Role.CARRIER and found.carrier != principal.party):
        raise NotFound(f"No cargo report {report_id} that you can see.")
    return found
