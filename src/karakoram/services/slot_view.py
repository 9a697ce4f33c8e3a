"""The officer's day at a crossing: the trucks expected in each slot, with their risk and
readiness (declarations lodged? paid? the partner's pre-arrival data received?)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from karakoram.domain.access import Capability, Principal, require
from karakoram.services.context import NodeContext
from karakoram.services.gate.records import Readiness, SlotBooking
from karakoram.services.slots import calendar_of

#: a truck's risk is its riskiest consignment's: the channels from least to most work
_CHANNELS = ("green", "blue", "yellow", "red")


@dataclass(frozen=True, slots=True)
class ExpectedTruck:
    booking: SlotBooking
    consignments: tuple[Readiness, ...]

    @property
    def lodged(self) -> bool:
        return all(c.mrn is not None for c in self.consignments)

    @property
    def paid(self) -> bool:
        return all(c.paid for c in self.consignments)

    @property
    def pre_arrival(self) -> bool:
        return all(c.pre_arrival for c in self.consignments)

    @property
    def channel(self) -> str | None:
        known = [c.channel for c in self.consignments if c.channel in _CHANNELS]
        return max(known, key=_CHANNELS.index) if known else None

    @property
    def score(self) -> int | None:
        scores = [c.score for c in self.consignments if c.score is not None]
        return max(scores) if scores else None


@dataclass(frozen=True, slots=True)
class SlotRow:
    start: time
    capacity: int
    trucks: tuple[ExpectedTruck, ...]


@dataclass(frozen=True, slots=True)
class DayView:
    crossing: str
    day: date
    closed: str | None
    rows: tuple[SlotRow, ...]

    @property
    def trucks(self) -> int:
        return sum(len(r.trucks) for r in self.rows)


def day_view(crossing: str, day: date, principal: Principal, ctx: NodeContext) -> DayView:
    """Every slot of `day` at `crossing` with the trucks booked in it (refused ones left
    out), each with what this node knows of its consignments."""
    require(principal, Capability.ACT_ON_DECLARATION)
    calendar = calendar_of(crossing, ctx)
    with ctx.uow() as uow:
        bookings = [b for b in uow.slots.on_day(crossing, day) if b.status != "refused"]
        known = uow.slots.readiness([u for b in bookings for u in b.ucrs])
    starts = sorted({*calendar.slot_starts(day), *(b.start for b in bookings)})
    rows = tuple(
        SlotRow(
            start,
            calendar.capacity,
            tuple(
                ExpectedTruck(b, tuple(known[u] for u in b.ucrs))
                for b in bookings
                if b.start == start
            ),
        )
        for start in starts
    )
    return DayView(crossing, day, calendar.closed_because(day), rows)
