"""The partner's side of a crossing slot (docs/gate.md, "Crossing slots").

On the importing node, a `slot_booked` message is checked against this node's own calendar of
the crossing and its inbound capacity: accepted (the place is taken here too) or refused with
the reason, and answered by a `slot_answer` in the same transaction. On the exporting node,
the answer confirms or refuses the provisional booking (a refusal gives the place back).
Messages come late, twice or out of order: the inbox applies each once; an answer about
another slot than the one the booking now holds, or to a booking already answered, changes
nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

from karakoram.domain.exchange.bodies import SlotAnswer, SlotBooked
from karakoram.domain.exchange.envelope import Envelope
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.exchange.emit import emit_to
from karakoram.services.gate.records import SlotBooking
from karakoram.services.ports import UnitOfWork

PROVISIONAL, CONFIRMED, REFUSED = "provisional", "confirmed", "refused"


def slot_key(b: SlotBooking) -> tuple[str, str, date, time]:
    return (b.crossing, b.direction, b.day, b.start)


def received_slot_message(
    uow: UnitOfWork, config: ExchangeConfig, envelope: Envelope, at: datetime
) -> None:
    """Apply a slot message from a partner (other types are not ours: nothing happens)."""
    body = envelope.body
    if isinstance(body, SlotBooked):
        _booked(uow, config, envelope.sender, body, at)
    elif isinstance(body, SlotAnswer):
        _answered(uow, config.me, envelope.sender, body, at)


def _slot(day: str, start: str) -> tuple[date, time] | None:
    try:
        return date.fromisoformat(day), time.fromisoformat(start)
    except ValueError:
        return None


def _when(text: str, fallback: datetime) -> datetime:
    """When the partner made the booking (its own clock), to tell a newer one from an older."""
    try:
        made = datetime.fromisoformat(text)
    except ValueError:
        return fallback
    return made if made.tzinfo is not None else fallback


def _refusal(
    uow: UnitOfWork, config: ExchangeConfig, body: SlotBooked, slot: tuple[date, time] | None
) -> str | None:
    """Why this node cannot take the truck then (None: it can, and the place is taken)."""
    calendar = config.calendars.get(body.crossing)
    if calendar is None:
        return f"{config.me} keeps no calendar of slots for {body.crossing}."
    if slot is None:
        return f"{body.date} {body.time} is not a date and time."
    day, start = slot
    closed = calendar.closed_because(day)
    if closed is not None:
        return f"{calendar.name} is closed on {day} on this side: {closed}."
    if start not in calendar.slot_starts(day):
        return f"No slot starts at {body.time} on {day} on this side."
    if not uow.slots.take((body.crossing, "inbound", day, start), calendar.capacity):
        return f"The slot {day} {body.time} is full on this side."
    return None


def _booked(
    uow: UnitOfWork, config: ExchangeConfig, sender: str, body: SlotBooked, at: datetime
) -> None:
    slot = _slot(body.date, body.time)
    # the same message again never reaches here (the inbox keeps each id once): a booking
    # seen before is the carrier's new one for that truck, after a refusal
    known = uow.slots.find(sender, body.carrier, body.reference)
    made = _when(body.booked_at, at)
    if known is not None and made <= known.booked_at:
        return  # an older booking of the truck, overtaken by the one held
    if known is not None and known.status == CONFIRMED:
        uow.slots.give_back(slot_key(known))  # its place is taken again below, or elsewhere
    reason = _refusal(uow, config, body, slot)
    status = CONFIRMED if reason is None else REFUSED
    day, start = slot or (at.date(), time(0, 0))
    by = f"partner {sender}"
    if known is not None:
        moved = replace(known, day=day, start=start, status=status, reason=reason)
        moved = replace(moved, booked_at=made, answered_at=at)
        uow.slots.update(moved, by)
    else:
        booking = SlotBooking(
            sender,
            body.carrier,
            body.reference,
            body.crossing,
            "inbound",
            day,
            start,
            body.registration,
            body.ucrs,
            status,
            by,
            made,
            reason,
            at,
        )
        uow.slots.add(booking)
    _answer(uow, config, sender, body, reason, at)


def _answer(
    uow: UnitOfWork,
    config: ExchangeConfig,
    sender: str,
    body: SlotBooked,
    reason: str | None,
    at: datetime,
) -> None:
    partner = uow.exchange.partner(sender)
    answer = SlotAnswer(
        body.crossing,
        body.date,
        body.time,
        body.carrier,
        body.reference,
        "accepted" if reason is None else "refused",
        reason or "",
        at.isoformat(),
    )
    if partner is not None and answer.type.value in partner.message_types:
        references = {"ucr": body.ucrs[0]} if body.ucrs else None
        emit_to(uow, config, at, partner, answer, references)


def _answered(uow: UnitOfWork, me: str, sender: str, body: SlotAnswer, at: datetime) -> None:
    known = uow.slots.find(me, body.carrier, body.reference)
    if known is None or known.status != PROVISIONAL:
        return
    if (known.day, known.start) != _slot(body.date, body.time):
        return  # about a slot the truck no longer holds
    refused = body.outcome == "refused"
    if refused:
        uow.slots.give_back(slot_key(known))
    answered = replace(
        known,
        status=REFUSED if refused else CONFIRMED,
        reason=(body.reason or None) if refused else None,
        answered_at=at,
    )
    uow.slots.update(answered, f"partner {sender}")
