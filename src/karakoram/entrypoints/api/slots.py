"""Crossing slots: carriers see free slots and book one per outbound truck; officers see the
day's expected trucks (docs/gate.md, "Crossing slots")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from karakoram.domain.access import Capability as Cap
from karakoram.domain.gate.slots import Slot
from karakoram.entrypoints.api.declarations import json_body
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.gate.records import SlotBooking
from karakoram.services.slot_view import DayView, ExpectedTruck, day_view
from karakoram.services.slots import book_slot, free

router = APIRouter(tags=["gate"])

_BOOKING_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["cargo_report", "date", "time"],
                    "properties": {
                        "cargo_report": {"type": "integer", "description": "Its number."},
                        "date": {"type": "string", "format": "date"},
                        "time": {"type": "string", "example": "09:00"},
                    },
                }
            }
        },
    }
}
_NEXT_FREE = "refused, with the next slots that have room in `next_free`"


class SlotOut(BaseModel):
    date: date
    time: str = Field(description="The slot's start, the crossing's local time (HH:MM).")
    capacity: int
    free: int

    @classmethod
    def of(cls, s: Slot) -> SlotOut:
        return cls(date=s.day, time=f"{s.start:%H:%M}", capacity=s.capacity, free=s.free)


class BookingOut(BaseModel):
    id: int | None
    crossing: str
    direction: str = Field(description="outbound: booked here; inbound: the partner's")
    date: date
    time: str
    carrier: str
    reference: str = Field(description="The cargo report's reference.")
    registration: str
    ucrs: list[str]
    status: str = Field(
        description="provisional (the partner has not answered), confirmed, refused"
    )
    reason: str | None = Field(description="Why the partner refused it.")
    booked_at: datetime
    answered_at: datetime | None

    @classmethod
    def of(cls, b: SlotBooking) -> BookingOut:
        return cls(
            id=b.id,
            crossing=b.crossing,
            direction=b.direction,
            date=b.day,
            time=f"{b.start:%H:%M}",
            carrier=b.carrier,
            reference=b.reference,
            registration=b.registration,
            ucrs=list(b.ucrs),
            status=b.status,
            reason=b.reason,
            booked_at=b.booked_at,
            answered_at=b.answered_at,
        )


class TruckOut(BaseModel):
    booking: BookingOut
    channel: str | None = Field(description="Its riskiest consignment's channel, if assessed.")
    score: int | None
    lodged: bool = Field(description="Every consignment on it has a declaration here.")
    paid: bool = Field(description="Every one of those declarations has a payment.")
    pre_arrival: bool = Field(description="The partner's pre-arrival data came for each.")
    mrns: list[str | None]

    @classmethod
    def of(cls, t: ExpectedTruck) -> TruckOut:
        return cls(
            booking=BookingOut.of(t.booking),
            channel=t.channel,
            score=t.score,
            lodged=t.lodged,
            paid=t.paid,
            pre_arrival=t.pre_arrival,
            mrns=[c.mrn for c in t.consignments],
        )


class SlotRowOut(BaseModel):
    time: str
    capacity: int
    trucks: list[TruckOut]


class DayOut(BaseModel):
    crossing: str
    date: date
    closed: str | None = Field(description="Why the crossing is closed that day, if it is.")
    trucks: int
    slots: list[SlotRowOut]

    @classmethod
    def of(cls, v: DayView) -> DayOut:
        rows = [
            SlotRowOut(
                time=f"{r.start:%H:%M}",
                capacity=r.capacity,
                trucks=[TruckOut.of(t) for t in r.trucks],
            )
            for r in v.rows
        ]
        return cls(crossing=v.crossing, date=v.day, closed=v.closed, trucks=v.trucks, slots=rows)


@router.get(
    "/slots/free", response_model=list[SlotOut], dependencies=[needs(Cap.READ_CARGO_REPORTS)]
)
def free_slots(
    node: NodeDep,
    principal: PrincipalDep,
    crossing: Annotated[str, Query(max_length=16, description="The crossing, e.g. KHUNJERAB.")],
    start: Annotated[date, Query(alias="from", description="The first day.")],
    days: Annotated[int, Query(description="How many days, 1 to 62.")] = 7,
) -> list[SlotOut]:
    """The outbound slots with room at a crossing, day by day (closed days have none)."""
    return [SlotOut.of(s) for s in free(crossing, start, days, principal, node.ctx)]


@router.post(
    "/slots/bookings",
    response_model=BookingOut,
    status_code=201,
    openapi_extra=_BOOKING_BODY,
    dependencies=[needs(Cap.LODGE_CARGO_REPORTS)],
    responses={
        200: {"description": "The truck already holds this slot."},
        409: {"description": f"The slot is full ({_NEXT_FREE}), or the truck holds another."},
        422: {"description": f"A closed day or no slot at that time ({_NEXT_FREE})."},
    },
)
async def book(
    request: Request, response: Response, node: NodeDep, principal: PrincipalDep
) -> BookingOut:
    """Book a slot for an outbound truck's cargo report (201). It is `provisional` until the
    importing side answers (confirmed or refused); the same slot again answers the booking
    (200). A refused booking may be booked again in another slot."""
    data = await json_body(request)
    booking, new = await run_in_threadpool(book_slot, data, principal, node.ctx)
    response.status_code = 201 if new else 200
    return BookingOut.of(booking)


@router.get("/slots/day", response_model=DayOut, dependencies=[needs(Cap.ACT_ON_DECLARATION)])
def day(
    node: NodeDep,
    principal: PrincipalDep,
    on: Annotated[date, Query(alias="date", description="The day.")],
    crossing: Annotated[str | None, Query(max_length=16, description="Default: the first.")] = None,
) -> DayOut:
    """The trucks expected at a crossing on a day, slot by slot, with their risk and
    readiness: declarations lodged, paid, the partner's pre-arrival data received."""
    code = crossing or next((c.code for c in node.settings.crossings), "")
    return DayOut.of(day_view(code, on, principal, node.ctx))
