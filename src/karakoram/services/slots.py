"""Crossing slots: carriers book one for a truck, the partner answers (docs/gate.md).

The node of the exporting side owns the slots of its outbound direction: a carrier books one
for an outbound cargo report here, within the crossing's calendar and its capacity, and the
booking goes to the partner as a signed `slot_booked` message. The importing node checks it
against its own calendar and its inbound capacity and answers `slot_answer` (accepted, or
refused with a reason). Until the answer comes (the link may be down) the booking is
`provisional`; a refused booking gives its place back and the carrier books again.

Booking is idempotent on the cargo report: the same slot again answers the stored booking.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from karakoram.domain.access import Capability, Principal, require
from karakoram.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from karakoram.domain.exchange.bodies import MessageType, SlotBooked
from karakoram.domain.gate.slots import CrossingCalendar, Slot, free_slots, next_free
from karakoram.domain.gate.truck import Direction
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.exchange.emit import emit_to
from karakoram.services.gate.cargo_reports import get_cargo_report
from karakoram.services.gate.records import CargoReportRecord, SlotBooking
from karakoram.services.ports import SlotKey, UnitOfWork
from karakoram.services.slot_partner import CONFIRMED, PROVISIONAL, REFUSED

#: the most days one request for free slots may span
MAX_DAYS = 62


class SlotClosed(ValidationFailed):
    """A booking on a day the crossing is closed, or at a time that starts no slot (422)."""

    title = "No slot there"

    def __init__(self, errors: list[FieldError], next_free: list[Slot]) -> None:
        super().__init__(errors, errors[0].message + " See next_free.")
        self.next_free = [s.as_dict() for s in next_free]


class SlotFull(Conflict):
    title = "Slot full"

    def __init__(self, slot: str, next_free: list[Slot]) -> None:
        super().__init__(f"The slot {slot} is full. See next_free for the next ones with room.")
        self.code = "slot_full"
        self.next_free = [s.as_dict() for s in next_free]


class AlreadyBooked(Conflict):
    title = "Truck already booked"

    def __init__(self, booking: SlotBooking) -> None:
        super().__init__(
            f"Cargo report {booking.reference!r} already holds the slot {_slot(booking)} "
            f"({booking.status}); only a refused booking can be booked again."
        )
        self.code = "already_booked"


def _slot(b: SlotBooking) -> str:
    return f"{b.crossing} {b.day.isoformat()} {b.start.strftime('%H:%M')}"


def calendar_of(crossing: str, ctx: NodeContext) -> CrossingCalendar:
    found = ctx.calendars.get(crossing)
    if found is None:
        raise NotFound(f"Crossing {crossing!r} has no calendar of slots on this node.")
    return found


def free(
    crossing: str, first: date, days: int, principal: Principal, ctx: NodeContext
) -> list[Slot]:
    """The outbound slots with room at `crossing` from `first` for `days` days."""
    require(principal, Capability.READ_CARGO_REPORTS)
    calendar = calendar_of(crossing, ctx)
    if not 1 <= days <= MAX_DAYS:
        message = f"days is 1 to {MAX_DAYS}."
        raise ValidationFailed([FieldError("out_of_range", "/days", message)])
    with ctx.uow() as uow:
        counts = uow.slots.counts(crossing, "outbound", first, first + timedelta(days=days))
    here = calendar.local(ctx.clock())
    return [s for s in free_slots(calendar, first, days, counts) if (s.day, s.start) >= here]


def _parse(data: Any) -> tuple[int, date, time]:
    """The request's cargo report, date and time; every problem at once."""
    errors: list[FieldError] = []
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError("invalid_type", "", "A booking is an object.")])
    report = data.get("cargo_report")
    if type(report) is not int:
        errors.append(FieldError("required", "/cargo_report", "The cargo report's number."))
    day: date | None = None
    start: time | None = None
    try:
        day = date.fromisoformat(str(data.get("date")))
    except ValueError:
        errors.append(FieldError("invalid_format", "/date", "A date such as 2026-06-01."))
    try:
        start = time.fromisoformat(str(data.get("time")))
    except ValueError:
        errors.append(FieldError("invalid_format", "/time", "A slot's start such as 09:00."))
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(report, int) and day is not None and start is not None
    return report, day, start


def _check_open(
    calendar: CrossingCalendar, slot: tuple[date, time], now: datetime, counts: Any
) -> None:
    day, start = slot
    closed = calendar.closed_because(day)
    here = calendar.local(now)
    if slot < here:
        error = FieldError("past", "/date", f"The slot {day} {start:%H:%M} has begun or passed.")
        day, start = here
    elif closed is not None:
        error = FieldError("closed", "/date", f"{calendar.name} is closed on {day}: {closed}.")
    elif start not in calendar.slot_starts(day):
        error = FieldError("not_a_slot", "/time", f"No slot starts at {start:%H:%M} on {day}.")
    else:
        return
    raise SlotClosed([error], next_free(calendar, day, start, counts))


def book_slot(data: Any, principal: Principal, ctx: NodeContext) -> tuple[SlotBooking, bool]:
    """Book the slot `data` names for the carrier's outbound truck; the booking and whether
    it is new. Refused, with the next free slots, on a closed day (422) or a full slot (409)."""
    require(principal, Capability.LODGE_CARGO_REPORTS)
    report_id, day, start = _parse(data)
    record = get_cargo_report(report_id, principal, ctx)
    report = record.report
    if report.direction is not Direction.OUTBOUND:
        message = "This node books outbound trucks; the exporting side books inbound ones."
        raise ValidationFailed([FieldError("not_outbound", "/cargo_report", message)])
    calendar = calendar_of(report.crossing, ctx)
    now = ctx.clock()
    with ctx.uow() as uow:
        known = uow.slots.find(ctx.administration, record.carrier, report.reference)
        if known is not None and known.status != REFUSED:
            if (known.day, known.start) == (day, start):
                return known, False
            raise AlreadyBooked(known)
        key: SlotKey = (report.crossing, "outbound", day, start)
        counts = uow.slots.counts(report.crossing, "outbound", day, day + timedelta(days=400))
        _check_open(calendar, (day, start), now, counts)
        if not uow.slots.take(key, calendar.capacity):
            raise SlotFull(
                f"{report.crossing} {day} {start:%H:%M}", next_free(calendar, day, start, counts)
            )
        booking = _store(uow, ctx, record, known, (day, start), principal.name, now)
        _tell_partners(uow, ctx.exchange, booking, now)
        uow.commit()
    return booking, True


def _store(
    uow: UnitOfWork,
    ctx: NodeContext,
    record: CargoReportRecord,
    known: SlotBooking | None,
    slot: tuple[date, time],
    by: str,
    now: datetime,
) -> SlotBooking:
    """The new booking, or the refused one moved to its new slot."""
    shared = ctx.exchange is not None and any(
        MessageType.SLOT_BOOKED.value in p.message_types for p in uow.exchange.partners()
    )
    status = PROVISIONAL if shared else CONFIRMED
    if known is not None:
        moved = replace(
            known,
            day=slot[0],
            start=slot[1],
            status=status,
            reason=None,
            booked_at=now,
            answered_at=None,
        )
        uow.slots.update(moved, by)
        return moved
    report = record.report
    booking = SlotBooking(
        ctx.administration,
        record.carrier,
        report.reference,
        report.crossing,
        "outbound",
        slot[0],
        slot[1],
        report.vehicle.registration,
        tuple(c.ucr for c in report.consignments),
        status,
        by,
        now,
    )
    stored = uow.slots.add(booking)
    if stored is None:  # a concurrent booking of the same report won
        raise Conflict(f"Cargo report {report.reference!r} was booked meanwhile; reload it.")
    return stored


def _tell_partners(
    uow: UnitOfWork, config: ExchangeConfig | None, b: SlotBooking, now: datetime
) -> None:
    if config is None or b.status != PROVISIONAL:
        return
    body = SlotBooked(
        b.crossing,
        b.day.isoformat(),
        b.start.strftime("%H:%M"),
        b.carrier,
        b.reference,
        b.registration,
        b.ucrs,
        now.isoformat(),
    )
    for partner in uow.exchange.partners():
        if body.type.value in partner.message_types:
            emit_to(uow, config, now, partner, body, {"ucr": b.ucrs[0]} if b.ucrs else None)
