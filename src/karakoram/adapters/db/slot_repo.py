"""Crossing slots: bookings, each slot's guarded count, and the day view's readiness."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, time
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from karakoram.adapters.db.tables import (
    assessments,
    declarations,
    partner_records,
    payments,
    slot_bookings,
    slot_counts,
)
from karakoram.services.gate.records import Readiness, SlotBooking
from karakoram.services.ports import SlotCounts, SlotKey

_b = slot_bookings.c
_n = slot_counts.c
_d = declarations.c
_a = assessments.c
_p = payments.c
_r = partner_records.c
_PRE_ARRIVAL = "export_pre_arrival"
#: the same tables again inside the readiness query's subqueries (built once: aliases are not free)
_MINE = declarations.alias("mine")
_EACH = assessments.alias("each")


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M")


def _booking(row: Any) -> SlotBooking:
    return SlotBooking(
        row.owner,
        row.carrier,
        row.reference,
        row.crossing,
        row.direction,
        row.day,
        time.fromisoformat(row.start),
        row.registration,
        tuple(row.ucrs),
        row.status,
        row.booked_by,
        row.booked_at,
        row.reason,
        row.answered_at,
        row.id,
    )


class SqlSlotRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _where(self, key: SlotKey) -> Any:
        crossing, direction, day, start = key
        return (
            (_n.crossing == crossing)
            & (_n.direction == direction)
            & (_n.day == day)
            & (_n.start == _hhmm(start))
        )

    def take(self, key: SlotKey, capacity: int) -> bool:
        """A guarded increment: the row's `booked < capacity` is checked by the database in
        the same statement, so concurrent bookings of the last place cannot both win."""
        taken = self._conn.execute(
            update(slot_counts)
            .where(self._where(key), _n.booked < capacity)
            .values(booked=_n.booked + 1)
        )
        if taken.rowcount == 1:
            return True
        crossing, direction, day, start = key
        row = {"crossing": crossing, "direction": direction, "day": day, "start": _hhmm(start)}
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(slot_counts).values({**row, "booked": 1}))
        except IntegrityError:  # the row exists (full, or a concurrent first booking won)
            return bool(
                self._conn.execute(
                    update(slot_counts)
                    .where(self._where(key), _n.booked < capacity)
                    .values(booked=_n.booked + 1)
                ).rowcount
            )
        return capacity >= 1

    def give_back(self, key: SlotKey) -> None:
        self._conn.execute(
            update(slot_counts).where(self._where(key), _n.booked > 0).values(booked=_n.booked - 1)
        )

    def counts(self, crossing: str, direction: str, first: date, last: date) -> SlotCounts:
        query = select(_n.day, _n.start, _n.booked).where(
            _n.crossing == crossing, _n.direction == direction, _n.day.between(first, last)
        )
        return {(r.day, time.fromisoformat(r.start)): r.booked for r in self._conn.execute(query)}

    def add(self, booking: SlotBooking) -> SlotBooking | None:
        row = {
            "owner": booking.owner,
            "carrier": booking.carrier,
            "reference": booking.reference,
            "crossing": booking.crossing,
            "direction": booking.direction,
            "day": booking.day,
            "start": _hhmm(booking.start),
            "registration": booking.registration,
            "ucrs": list(booking.ucrs),
            "status": booking.status,
            "reason": booking.reason,
            "booked_by": booking.booked_by,
            "booked_at": booking.booked_at,
            "answered_at": booking.answered_at,
        }
        try:
            with self._conn.begin_nested():
                key = self._conn.execute(insert(slot_bookings).values(row)).inserted_primary_key
        except IntegrityError:
            return None
        assert key is not None
        return self.find(booking.owner, booking.carrier, booking.reference)

    def find(self, owner: str, carrier: str, reference: str) -> SlotBooking | None:
        query = select(slot_bookings).where(
            _b.owner == owner, _b.carrier == carrier, _b.reference == reference
        )
        row = self._conn.execute(query).one_or_none()
        return None if row is None else _booking(row)

    def update(self, booking: SlotBooking, by: str) -> None:
        assert booking.id is not None
        self._conn.execute(
            update(slot_bookings)
            .where(_b.id == booking.id)
            .values(
                day=booking.day,
                start=_hhmm(booking.start),
                status=booking.status,
                reason=booking.reason,
                booked_at=booking.booked_at,
                answered_at=booking.answered_at,
            )
        )

    def on_day(self, crossing: str, day: date) -> list[SlotBooking]:
        query = (
            select(slot_bookings)
            .where(_b.crossing == crossing, _b.day == day)
            .order_by(_b.start, _b.id)
        )
        return [_booking(r) for r in self._conn.execute(query)]

    def readiness(self, ucrs: Collection[str]) -> dict[str, Readiness]:
        """Per UCR: its latest declaration here (status, channel and score of its latest
        assessment, whether anything was paid) and whether the partner's pre-arrival data
        came. Three queries whatever the number of UCRs."""
        wanted = sorted(set(ucrs))
        if not wanted:
            return {}
        latest = (
            select(func.max(_MINE.c.id))
            .where(_MINE.c.ucr.in_(wanted), _MINE.c.status != "cancelled")
            .group_by(_MINE.c.ucr)
        )
        last_assessment = (
            select(func.max(_EACH.c.id)).where(_EACH.c.declaration_id == _d.id).scalar_subquery()
        )
        paid = select(_p.id).where(_p.declaration_id == _d.id).exists()
        query = (
            select(_d.ucr, _d.mrn, _d.status, _a.channel, _a.score, paid.label("paid"))
            .select_from(declarations)
            .outerjoin(assessments, _a.id == last_assessment)
            .where(_d.id.in_(latest))
        )
        found = {
            r.ucr: Readiness(r.ucr, r.mrn, r.status, r.channel, r.score, bool(r.paid))
            for r in self._conn.execute(query)
        }
        came = set(
            self._conn.scalars(
                select(_r.ucr).where(_r.ucr.in_(wanted), _r.type == _PRE_ARRIVAL).distinct()
            )
        )
        out: dict[str, Readiness] = {}
        for ucr in wanted:
            known = found.get(ucr, Readiness(ucr))
            out[ucr] = Readiness(
                ucr,
                known.mrn,
                known.status,
                known.channel,
                known.score,
                known.paid,
                ucr in came,
            )
        return out
