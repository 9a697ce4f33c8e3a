"""The conference programme: the organiser puts sessions (talks, panels, product launches)
with their times and speakers; any verified participant gets a room token for one from a
little before it starts until it ends, for the deployment's SFU (LiveKit or Jitsi). Speakers
publish, everyone else watches and chats. The same slug again replaces the session."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from karakoram.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from karakoram.expo.domain.sfu import ConferenceSession, Seat, window
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.records import Participant

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class NoSfu(Conflict):
    code = "no_sfu"


class SessionOver(Conflict):
    code = "session_over"


@dataclass(frozen=True, slots=True)
class Ticket:
    kind: str
    url: str
    room: str
    token: str
    speaker: bool
    not_before: datetime
    expires_at: datetime


def put_session(
    slug: str, title: str, starts: datetime, ends: datetime, speakers: list[int],
    ctx: ExpoContext,
) -> ConferenceSession:  # fmt: skip
    errors = []
    if not SLUG.match(slug):
        errors.append(FieldError("invalid_slug", "/slug", "Lower-case letters, digits, '-'."))
    if not title.strip() or len(title) > 200:
        errors.append(FieldError("invalid_title", "/title", "1 to 200 characters."))
    if starts.tzinfo is None or ends.tzinfo is None or ends <= starts:
        errors.append(
            FieldError("invalid_times", "/ends_at", "Times with offsets, end after start.")
        )
    with ctx.uow() as uow:
        for i, pid in enumerate(speakers):
            if uow.participant_by_id(pid) is None:
                errors.append(
                    FieldError("unknown_participant", f"/speakers/{i}", "No such participant.")
                )
        if errors:
            raise ValidationFailed(errors)
        # stored in UTC: SQLite keeps no offset
        starts, ends = starts.astimezone(UTC), ends.astimezone(UTC)
        speakers_once = tuple(dict.fromkeys(speakers))
        saved = uow.save_session(
            ConferenceSession(0, slug, title.strip(), starts, ends, speakers_once)
        )
        uow.commit()
    return saved


def programme(ctx: ExpoContext) -> list[ConferenceSession]:
    with ctx.uow() as uow:
        return uow.conference_sessions()


def ticket(slug: str, who: Participant, ctx: ExpoContext) -> Ticket:
    """A room token for `who` in the session `slug`."""
    with ctx.uow() as uow:
        session = uow.conference_session(slug)
    if session is None:
        raise NotFound(f"No conference session {slug!r}.")
    if ctx.sfu is None:
        raise NoSfu("This expo has no SFU configured for its conference programme.")
    now = ctx.clock()
    if session.ends_at <= now:
        raise SessionOver(f"The session {slug!r} ended at {session.ends_at.isoformat()}.")
    not_before, expires = window(session, now)
    seat = Seat(f"p{who.id}", who.name, who.id in session.speakers)
    room = f"expo-{slug}"
    token = ctx.sfu.token(room, seat, not_before, expires)
    return Ticket(ctx.sfu.kind, ctx.sfu.url, room, token, seat.speaker, not_before, expires)
