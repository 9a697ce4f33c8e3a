"""The conference programme's routes: the programme (open), a session put by the organiser,
and a participant's room token for the deployment's SFU. Thin: parse, call
`expo/services/conference.py`, shape the answer."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from karakoram.expo.domain.sfu import ConferenceSession
from karakoram.expo.entrypoints.deps import CtxDep, ParticipantDep
from karakoram.expo.entrypoints.organiser_api import OrganiserDep
from karakoram.expo.services import conference

router = APIRouter()


class SessionIn(BaseModel):
    title: str
    starts_at: datetime = Field(description="With its offset.")
    ends_at: datetime
    speakers: list[int] = Field([], description="Participant ids who speak.", max_length=20)


class SessionOut(BaseModel):
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    speakers: list[int]

    @classmethod
    def of(cls, s: ConferenceSession) -> SessionOut:
        return cls(slug=s.slug, title=s.title, starts_at=s.starts_at, ends_at=s.ends_at,
                   speakers=list(s.speakers))  # fmt: skip


class TicketOut(BaseModel):
    kind: str = Field(description="livekit or jitsi.")
    url: str = Field(description="Where the browser connects.")
    room: str
    token: str = Field(description="JWT (HS256) the SFU checks with the deployment's secret.")
    speaker: bool
    not_before: datetime
    expires_at: datetime


@router.get("/conference", response_model=list[SessionOut], tags=["conference"])
def programme(ctx: CtxDep) -> list[SessionOut]:
    """The conference programme, soonest first (open to visitors)."""
    return [SessionOut.of(s) for s in conference.programme(ctx)]


@router.put("/organiser/conference/{slug}", response_model=SessionOut, tags=["conference"])
def put_session(slug: str, body: SessionIn, ctx: OrganiserDep) -> SessionOut:
    """Add a session to the programme, or replace the one of this slug (organiser's key)."""
    return SessionOut.of(
        conference.put_session(slug, body.title, body.starts_at, body.ends_at, body.speakers, ctx)
    )


@router.post("/conference/{slug}/token", response_model=TicketOut, tags=["conference"])
def token(slug: str, ctx: CtxDep, who: ParticipantDep) -> TicketOut:
    """Your room token for the session on the deployment's SFU: speakers publish, everyone
    else watches and chats; good from 15 minutes before the start until the end."""
    t = conference.ticket(slug, who, ctx)
    return TicketOut(
        kind=t.kind, url=t.url, room=t.room, token=t.token, speaker=t.speaker,
        not_before=t.not_before, expires_at=t.expires_at,
    )  # fmt: skip
