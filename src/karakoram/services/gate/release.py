"""What the gate does to the declarations on a truck (docs/gate.md): pre-lodged green imports
are released when their goods are presented, an inbound truck clears (its imports `cleared`)
once every consignment is released and nothing is left to resolve, and an outbound truck's
exit marks its exports `exited`. Each helper works inside the caller's unit of work, so the
truck's change and its declarations' land in one commit and one stretch of the audit chain."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from karakoram.domain.clearance import Action, DeclarationEvent, Status, next_status
from karakoram.domain.declaration.model import DeclarationRecord, DeclarationType
from karakoram.domain.errors import Conflict
from karakoram.domain.gate.discrepancies import Resolution
from karakoram.domain.gate.truck import (
    Direction,
    TruckAction,
    TruckStatus,
    clear_blockers,
    next_truck_status,
)
from karakoram.services.assessment import SYSTEM, auto_release
from karakoram.services.context import NodeContext
from karakoram.services.exchange.emit import publish
from karakoram.services.gate.records import CargoReportRecord
from karakoram.services.ports import UnitOfWork


class TruckHeld(Conflict):
    title = "The truck cannot go yet"

    def __init__(self, truck: CargoReportRecord, what: str, blockers: list[str]) -> None:
        super().__init__(
            f"Truck {truck.report.reference} cannot {what}: " + "; ".join(blockers) + "."
        )
        self.code = "truck_held"
        self.blockers = blockers


_GONE = frozenset({Status.CANCELLED.value, Status.REJECTED.value})
_DONE = frozenset({Status.RELEASED.value, Status.CLEARED.value, Status.EXITED.value})


def move_truck(
    uow: UnitOfWork, record: CargoReportRecord, action: TruckAction, at: datetime, by: str
) -> CargoReportRecord:
    """The truck's next state stored (`InvalidTransition` when `action` is not allowed)."""
    target = next_truck_status(record.report.direction, record.status, action)
    moved = replace(record, status=target, updated_at=at)
    return uow.cargo.update_status(moved, record.version, by)


def declarations_on(uow: UnitOfWork, truck: CargoReportRecord) -> dict[str, DeclarationRecord]:
    """The live declaration of each consignment on the truck (imports for an inbound truck,
    exports for an outbound one), by UCR."""
    inbound = truck.report.direction is Direction.INBOUND
    kind = DeclarationType.IMPORT if inbound else DeclarationType.EXPORT
    ucrs = [c.ucr for c in truck.report.consignments]
    found: dict[str, DeclarationRecord] = {}
    for d in uow.cargo.declared(ucrs, [], kind.value):
        record = uow.declarations.get(d.mrn)
        if record is not None and record.status not in _GONE and d.ucr in ucrs:
            found.setdefault(d.ucr, record)
    return found


def release_presented(
    uow: UnitOfWork, ctx: NodeContext, truck: CargoReportRecord, at: datetime
) -> list[DeclarationRecord]:
    """Release the green (and blue) imports on a truck just presented whose duties are covered
    and whose consignment matched its declaration; the ones released."""
    disputed = {r.discrepancy.ucr for r in uow.cargo.discrepancies(_id(truck)) if r.open}
    released = []
    for ucr, record in declarations_on(uow, truck).items():
        if ucr in disputed:
            continue
        covered = sum((p.amount for p in uow.clearance.payments(record.mrn)), Decimal(0))
        done = auto_release(record, covered, at, presented=True)
        if done is None:
            continue
        changed = replace(done[0], version=record.version + 1)
        uow.declarations.update(changed, expected_version=record.version)
        publish(uow, ctx.exchange, [(changed, done[1])])
        released.append(changed)
    return released


def try_clear(
    uow: UnitOfWork, ctx: NodeContext, truck: CargoReportRecord, at: datetime, by: str
) -> CargoReportRecord:
    """Clear an inbound presented truck when nothing holds it (`clear_blockers`): it becomes
    `cleared` and so do its released imports. Unchanged otherwise."""
    if truck.report.direction is not Direction.INBOUND:
        return truck
    blockers, on_truck = truck_blockers(uow, truck)
    if blockers:
        return truck
    cleared = move_truck(uow, truck, TruckAction.CLEAR, at, by)
    _finish(uow, ctx, on_truck.values(), Action.CLEAR, at, f"truck {truck.report.reference}")
    return cleared


def truck_blockers(
    uow: UnitOfWork, truck: CargoReportRecord
) -> tuple[list[str], dict[str, DeclarationRecord]]:
    """Why the truck may not clear (or exit) yet, and the declarations on it by UCR; a seized
    consignment stays behind and holds nothing up."""
    settled = uow.cargo.discrepancies(_id(truck))
    seized = {r.discrepancy.ucr for r in settled if r.resolution is Resolution.SEIZE}
    on_truck = declarations_on(uow, truck)
    unreleased = [
        c.ucr
        for c in truck.report.consignments
        if c.ucr not in seized and (c.ucr not in on_truck or on_truck[c.ucr].status not in _DONE)
    ]
    open_count = sum(1 for r in settled if r.open)
    blockers = clear_blockers(truck.status, unreleased, open_count)
    kept = {u: r for u, r in on_truck.items() if u not in seized}
    return blockers, kept


def exit_outbound(
    uow: UnitOfWork, ctx: NodeContext, truck: CargoReportRecord, at: datetime, by: str
) -> CargoReportRecord:
    """The outbound truck left: it is `exited` and its exports with it. Refused while an
    export on it is not released or a discrepancy is open (`TruckHeld`)."""
    next_truck_status(truck.report.direction, truck.status, TruckAction.EXIT)
    blockers, on_truck = truck_blockers(uow, truck)
    if blockers:
        raise TruckHeld(truck, "exit", blockers)
    gone = move_truck(uow, truck, TruckAction.EXIT, at, by)
    _finish(uow, ctx, on_truck.values(), Action.EXIT, at, f"truck {truck.report.reference}", by)
    return gone


def clear_trucks_of(
    uow: UnitOfWork, ctx: NodeContext, records: list[DeclarationRecord], at: datetime, by: str
) -> None:
    """After imports were released: clear the presented trucks carrying them, if now they
    may (the presentation came first; the release later, by an officer or a payment)."""
    for record in records:
        if record.declaration.type is not DeclarationType.IMPORT:
            continue
        if record.status != Status.RELEASED.value:
            continue
        for truck in uow.cargo.carrying(record.declaration.ucr):
            if truck.status is TruckStatus.PRESENTED:
                try_clear(uow, ctx, truck, at, by)


def _finish(
    uow: UnitOfWork,
    ctx: NodeContext,
    records: Iterable[DeclarationRecord],
    action: Action,
    at: datetime,
    why: str,
    by: str = SYSTEM,
) -> None:
    changes = []
    for record in records:
        if record.status != Status.RELEASED.value:
            continue
        target = next_status(Status(record.status), action)
        changed = replace(record, status=target.value, updated_at=at, version=record.version + 1)
        uow.declarations.update(changed, expected_version=record.version)
        event = DeclarationEvent(action.value, record.status, target.value, by, at, why)
        changes.append((changed, event))
    publish(uow, ctx.exchange, changes)


def _id(truck: CargoReportRecord) -> int:
    assert truck.id is not None
    return truck.id
