"""Meetings across time zones: availability in the participant's own zone, meeting requests on
accepted matches (the counterpart accepts or declines), the scheduler's run over the accepted
ones, and each participant's meetings shown in its zone.

A match is accepted when both sides have answered it with "accepted" or "meeting_requested".
Requesting a meeting on the same match again returns the same request. Every time is stored in
UTC; windows are given as wall-clock times in the participant's zone and converted once here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from karakoram.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from karakoram.expo.domain.contact import checked_email
from karakoram.expo.domain.schedule import (
    MeetingRequest,
    Problem,
    UnknownZone,
    in_zone,
    local_to_utc,
)
from karakoram.expo.services.context import ExpoContext, MeetingRules
from karakoram.expo.services.ports import ExpoUnitOfWork
from karakoram.expo.services.records import (
    Availability,
    DuplicateRequest,
    Meeting,
    MeetingRequestRecord,
    Participant,
    RequestStatus,
    Response,
)
from karakoram.expo.services.scheduler import Solved, schedule

MAX_WINDOWS = 28
AGREED = (Response.ACCEPTED, Response.MEETING_REQUESTED)


def set_availability(
    participant: Participant,
    zone_name: str,
    windows: list[tuple[datetime, datetime]],
    ctx: ExpoContext,
    email: str | None = None,
) -> Availability:
    """Replace the participant's availability: windows as wall-clock times in `zone_name`, and
    the address its invitations are e-mailed to (none: not e-mailed)."""
    errors: list[FieldError] = []
    try:
        email = checked_email(email)
    except ValidationFailed as exc:
        errors += exc.errors
    utc: list[tuple[datetime, datetime]] = []
    try:
        for i, (start, end) in enumerate(windows):
            if start.tzinfo is not None or end.tzinfo is not None or end <= start:
                errors.append(
                    FieldError("invalid_window", f"/windows/{i}",
                               "Local times without an offset, the end after the start.")
                )  # fmt: skip
            else:
                utc.append(local_to_utc(start, end, zone_name))
    except UnknownZone:
        errors = [FieldError("unknown_zone", "/zone", "An IANA time zone, e.g. Asia/Karachi.")]
    if len(windows) > MAX_WINDOWS:
        errors.append(FieldError("too_many", "/windows", f"At most {MAX_WINDOWS} windows."))
    if errors:
        raise ValidationFailed(errors)
    saved = Availability(participant.id, zone_name, sorted(utc), email)
    with ctx.uow() as uow:
        uow.set_availability(saved, ctx.clock())
        uow.set_contact(participant.id, email, ctx.clock())
        uow.commit()
    return saved


def availability_of(participant: Participant, ctx: ExpoContext) -> Availability | None:
    with ctx.uow() as uow:
        found = uow.availabilities([participant.id])
        email = uow.contacts([participant.id]).get(participant.id)
    return replace(found[0], email=email) if found else None


def zone_of(participant: Participant, ctx: ExpoContext) -> str:
    """The participant's zone (from its availability), UTC until it gives one."""
    found = availability_of(participant, ctx)
    return found.zone if found else "UTC"


@dataclass(frozen=True, slots=True)
class Requested:
    request: MeetingRequestRecord
    created: bool


def request_meeting(suggestion_id: int, participant: Participant, ctx: ExpoContext) -> Requested:
    """Ask the other side of an accepted match for a meeting (the same again: the same one)."""
    with ctx.uow() as uow:
        s = uow.suggestion(suggestion_id)
        if s is None or participant.id not in (s.exhibitor_id, s.buyer_id):
            raise NotFound(f"No suggestion {suggestion_id} of yours.")
        held = uow.meeting_request_on(suggestion_id)
        if held is not None:
            return Requested(held, False)
        if s.exhibitor_response not in AGREED or s.buyer_response not in AGREED:
            raise Conflict("Both sides must accept the match before a meeting is requested.")
        other = s.buyer_id if participant.id == s.exhibitor_id else s.exhibitor_id
        record = MeetingRequestRecord(
            0, suggestion_id, participant.id, other, s.score, RequestStatus.REQUESTED, ctx.clock()
        )
        try:
            saved = uow.add_meeting_request(record)
        except DuplicateRequest:  # a concurrent request on the same match won
            found = uow.meeting_request_on(suggestion_id)
            assert found is not None
            return Requested(found, False)
        uow.commit()
    return Requested(saved, True)


def answer_request(
    request_id: int, answer: str, participant: Participant, ctx: ExpoContext
) -> MeetingRequestRecord:
    """The counterpart accepts or declines (the same answer again changes nothing; a request
    already scheduled keeps its answer)."""
    if answer not in (RequestStatus.ACCEPTED, RequestStatus.DECLINED):
        raise ValidationFailed([FieldError("invalid_answer", "/answer", "accepted or declined.")])
    with ctx.uow() as uow:
        r = uow.meeting_request(request_id)
        if r is None or participant.id not in (r.requester_id, r.counterpart_id):
            raise NotFound(f"No meeting request {request_id} of yours.")
        if participant.id != r.counterpart_id:
            raise Conflict("Only the participant asked may answer a meeting request.")
        if r.status != answer:
            if any(m.request_id == r.id for m in uow.meetings_of(participant.id)):
                raise Conflict("This meeting is already scheduled.")
            uow.answer_meeting_request(request_id, RequestStatus(answer), ctx.clock())
            uow.commit()
        updated = uow.meeting_request(request_id)
    assert updated is not None
    return updated


def requests_of(participant: Participant, ctx: ExpoContext) -> list[MeetingRequestRecord]:
    with ctx.uow() as uow:
        return uow.meeting_requests_of(participant.id)


def _rules(ctx: ExpoContext) -> MeetingRules:
    if ctx.meetings is None:
        raise Conflict("The expo's meeting days are not set (KARAKORAM_EXPO_MEETINGS_START).")
    return ctx.meetings


def run_schedule(ctx: ExpoContext, seconds: float | None = None) -> Solved:
    """Place every accepted, unscheduled request into the grid around the meetings already
    scheduled, best total score first; what was placed is stored in one transaction."""
    rules = _rules(ctx)
    grid = rules.grid
    with ctx.uow() as uow:
        pending = uow.unscheduled_requests()
        people = sorted({p for r in pending for p in (r.requester_id, r.counterpart_id)})
        available = {a.participant_id: grid.inside(a.windows) for a in uow.availabilities(people)}
        taken: dict[int, set[int]] = {}
        for m in uow.meetings():
            slot = grid.slot_of(m.starts_at)
            for p in m.people:
                if slot is not None:
                    taken.setdefault(p, set()).add(slot)
    requests = [MeetingRequest(r.id, r.requester_id, r.counterpart_id, r.score) for r in pending]
    frozen = {p: frozenset(s) for p, s in taken.items()}
    problem = Problem(requests, available, grid.count, rules.buffer, frozen)
    solved = schedule(problem, seconds or rules.solver_seconds)
    rows = [(rid, grid.starts_at(s), grid.ends_at(s)) for rid, s in sorted(solved.plan.items())]
    with ctx.uow() as uow:
        uow.add_meetings(rows, ctx.clock())
        placed = {rid for rid, _, _ in rows}
        _queue_invitations(uow, [m for m in uow.meetings() if m.request_id in placed], ctx)
        uow.commit()
    return solved


def _queue_invitations(uow: ExpoUnitOfWork, placed: list[Meeting], ctx: ExpoContext) -> None:
    """Queue each new meeting's invitation to each participant that gave an e-mail address
    (sent by `invitation_mail.send_invitations`), in the caller's transaction."""
    people = sorted({p for m in placed for p in m.people})
    to = uow.contacts(people) if people else {}
    rows = [(m.id, p, to[p]) for m in placed for p in m.people if p in to]
    uow.add_invitation_mails(rows, ctx.clock())


@dataclass(frozen=True, slots=True)
class MeetingView:
    """A meeting as one participant sees it: the other side, and the times in its zone."""

    meeting: Meeting
    counterpart: Participant
    zone: str
    starts: datetime
    ends: datetime


def meetings_of(
    participant: Participant, ctx: ExpoContext, zone_name: str | None = None
) -> list[MeetingView]:
    """The participant's meetings, soonest first, in `zone_name` or else its own zone."""
    zone_name = zone_name or zone_of(participant, ctx)
    try:
        in_zone(ctx.clock(), zone_name)
    except UnknownZone:
        raise ValidationFailed(
            [FieldError("unknown_zone", "/zone", "An IANA time zone, e.g. Asia/Karachi.")]
        ) from None
    with ctx.uow() as uow:
        mine = uow.meetings_of(participant.id)
        views = []
        for m in mine:
            other_id = m.counterpart_id if m.requester_id == participant.id else m.requester_id
            other = uow.participant_by_id(other_id)
            assert other is not None
            views.append(
                MeetingView(
                    m,
                    other,
                    zone_name,
                    in_zone(m.starts_at, zone_name),
                    in_zone(m.ends_at, zone_name),
                )
            )
    return views


def meeting_for(meeting_id: int, participant: Participant, ctx: ExpoContext) -> MeetingView:
    """One of the participant's meetings; NotFound for anyone else's."""
    for view in meetings_of(participant, ctx):
        if view.meeting.id == meeting_id:
            return view
    raise NotFound(f"No meeting {meeting_id} of yours.")


MAX_MINUTES = 20_000


def save_minutes(meeting_id: int, text: str, participant: Participant, ctx: ExpoContext) -> str:
    """Keep the minutes written in the meeting's room with the meeting (the latest text)."""
    if len(text) > MAX_MINUTES:
        raise ValidationFailed(
            [FieldError("too_long", "/minutes", f"At most {MAX_MINUTES} characters.")]
        )
    meeting_for(meeting_id, participant, ctx)
    with ctx.uow() as uow:
        uow.set_minutes(meeting_id, text, ctx.clock())
        uow.commit()
    return text
