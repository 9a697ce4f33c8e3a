"""The expo's meeting routes: availability in your zone, meeting requests on accepted matches,
your meetings in your zone (or any zone you ask for), their iCalendar invitations and minutes.
Thin: parse, call `expo/services/meetings.py`, shape the answer."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from karakoram.expo.domain.schedule import in_zone
from karakoram.expo.entrypoints.deps import CtxDep, ParticipantDep
from karakoram.expo.services import meetings
from karakoram.expo.services.invitations import invitation
from karakoram.expo.services.meetings import MeetingView
from karakoram.expo.services.records import Availability, MeetingRequestRecord

router = APIRouter()


class WindowIn(BaseModel):
    start: datetime = Field(description="Wall-clock time in your zone, without an offset.")
    end: datetime


class AvailabilityIn(BaseModel):
    zone: str = Field(description="Your IANA time zone, e.g. Asia/Kathmandu.")
    windows: list[WindowIn] = Field(max_length=28)
    email: str | None = Field(
        None,
        max_length=254,
        description="Where your meeting invitations are e-mailed (an .ics request); none: "
        "they are not e-mailed.",
        examples=["sales@kashgar-trading.example"],
    )


class WindowOut(BaseModel):
    start: datetime = Field(description="UTC.")
    end: datetime
    local_start: datetime = Field(description="In your zone, with its offset.")
    local_end: datetime


class AvailabilityOut(BaseModel):
    zone: str
    windows: list[WindowOut]
    email: str | None = None

    @classmethod
    def of(cls, a: Availability) -> AvailabilityOut:
        return cls(
            zone=a.zone,
            email=a.email,
            windows=[
                WindowOut(
                    start=s, end=e, local_start=in_zone(s, a.zone), local_end=in_zone(e, a.zone)
                )
                for s, e in a.windows
            ],
        )


class MeetingRequestOut(BaseModel):
    id: int
    suggestion_id: int
    requester_id: int
    counterpart_id: int
    score: float
    status: str = Field(description="requested, accepted or declined.")
    created_at: datetime

    @classmethod
    def of(cls, r: MeetingRequestRecord) -> MeetingRequestOut:
        return cls(
            id=r.id, suggestion_id=r.suggestion_id, requester_id=r.requester_id,
            counterpart_id=r.counterpart_id, score=r.score, status=r.status.value,
            created_at=r.created_at,
        )  # fmt: skip


class MeetingOut(BaseModel):
    id: int
    request_id: int
    counterpart_id: int
    counterpart_name: str
    starts_at: datetime = Field(description="UTC.")
    ends_at: datetime
    zone: str = Field(description="The zone of local_starts_at and local_ends_at.")
    local_starts_at: datetime
    local_ends_at: datetime
    minutes: str

    @classmethod
    def of(cls, v: MeetingView) -> MeetingOut:
        m = v.meeting
        return cls(
            id=m.id, request_id=m.request_id, counterpart_id=v.counterpart.id,
            counterpart_name=v.counterpart.name, starts_at=m.starts_at, ends_at=m.ends_at,
            zone=v.zone, local_starts_at=v.starts, local_ends_at=v.ends, minutes=m.minutes,
        )  # fmt: skip


class AnswerIn(BaseModel):
    answer: str = Field(description="accepted or declined.")


class MinutesIn(BaseModel):
    minutes: str = Field(description="The whole text of the minutes (it replaces the last).")


@router.put("/availability", response_model=AvailabilityOut, tags=["meetings"])
def put_availability(body: AvailabilityIn, ctx: CtxDep, who: ParticipantDep) -> AvailabilityOut:
    """Say when you can meet, in wall-clock times of your own zone (replaces what you gave)."""
    windows = [(w.start, w.end) for w in body.windows]
    found = meetings.set_availability(who, body.zone, windows, ctx, body.email)
    return AvailabilityOut.of(found)


@router.get("/availability", response_model=AvailabilityOut | None, tags=["meetings"])
def get_availability(ctx: CtxDep, who: ParticipantDep) -> AvailabilityOut | None:
    found = meetings.availability_of(who, ctx)
    return None if found is None else AvailabilityOut.of(found)


@router.post(
    "/suggestions/{suggestion_id}/meeting-request",
    response_model=MeetingRequestOut,
    status_code=201,
    tags=["meetings"],
)
def request_meeting(
    suggestion_id: int, response: Response, ctx: CtxDep, who: ParticipantDep
) -> MeetingRequestOut:
    """Ask the other side of an accepted match to meet (201; the same again answers 200)."""
    done = meetings.request_meeting(suggestion_id, who, ctx)
    response.status_code = 201 if done.created else 200
    return MeetingRequestOut.of(done.request)


@router.get("/meeting-requests", response_model=list[MeetingRequestOut], tags=["meetings"])
def my_requests(ctx: CtxDep, who: ParticipantDep) -> list[MeetingRequestOut]:
    return [MeetingRequestOut.of(r) for r in meetings.requests_of(who, ctx)]


@router.post(
    "/meeting-requests/{request_id}/answer", response_model=MeetingRequestOut, tags=["meetings"]
)
def answer_request(
    request_id: int, body: AnswerIn, ctx: CtxDep, who: ParticipantDep
) -> MeetingRequestOut:
    """Accept or decline a meeting you were asked for; accepted ones are scheduled."""
    return MeetingRequestOut.of(meetings.answer_request(request_id, body.answer, who, ctx))


@router.get("/meetings", response_model=list[MeetingOut], tags=["meetings"])
def my_meetings(ctx: CtxDep, who: ParticipantDep, zone: str | None = None) -> list[MeetingOut]:
    """Your meetings, soonest first, in `zone` (default: the zone of your availability)."""
    return [MeetingOut.of(v) for v in meetings.meetings_of(who, ctx, zone)]


@router.get(
    "/meetings/{meeting_id}/invitation.ics",
    response_class=Response,
    tags=["meetings"],
    responses={200: {"content": {"text/calendar": {}}}},
)
def meeting_invitation(
    meeting_id: int, request: Request, ctx: CtxDep, who: ParticipantDep
) -> Response:
    """The meeting as an iCalendar file (import it into any calendar)."""
    view = meetings.meeting_for(meeting_id, who, ctx)
    room = str(request.base_url) + f"ui/meetings/{meeting_id}/room"
    body = invitation(view, request.url.hostname or "expo", room)
    headers = {"Content-Disposition": f'attachment; filename="expo-meeting-{meeting_id}.ics"'}
    return Response(body, media_type="text/calendar", headers=headers)


@router.put("/meetings/{meeting_id}/minutes", response_model=MeetingOut, tags=["meetings"])
def put_minutes(meeting_id: int, body: MinutesIn, ctx: CtxDep, who: ParticipantDep) -> MeetingOut:
    """Keep the minutes written in the room with the meeting."""
    meetings.save_minutes(meeting_id, body.minutes, who, ctx)
    return MeetingOut.of(meetings.meeting_for(meeting_id, who, ctx))
