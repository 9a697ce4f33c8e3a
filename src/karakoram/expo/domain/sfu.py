"""Room tokens for the expo's conference programme (talks, panels, product launches), which an
SFU configured per deployment carries: the claims a LiveKit or a Jitsi (prosody token auth)
server reads, built here; the adapter signs them (HS256 with the deployment's API secret).
Speakers publish; the audience watches, listens and writes in the chat. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class SfuKind(StrEnum):
    LIVEKIT = "livekit"
    JITSI = "jitsi"


@dataclass(frozen=True, slots=True)
class ConferenceSession:
    id: int
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    #: participant ids who speak (publish audio, video and screen)
    speakers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Seat:
    """Who gets a token: the participant's id and name, and whether it speaks."""

    identity: str
    name: str
    speaker: bool


#: a token is good from a little before the session until it ends (late joiners included)
EARLY = timedelta(minutes=15)


def window(session: ConferenceSession, now: datetime) -> tuple[datetime, datetime]:
    return max(now, session.starts_at - EARLY), session.ends_at


def livekit_claims(
    api_key: str, room: str, seat: Seat, not_before: datetime, expires: datetime
) -> dict[str, Any]:
    """LiveKit's access token: iss the API key, sub the identity, the `video` grant."""
    return {
        "iss": api_key,
        "sub": seat.identity,
        "name": seat.name,
        "nbf": int(not_before.timestamp()),
        "exp": int(expires.timestamp()),
        "video": {
            "room": room,
            "roomJoin": True,
            "canPublish": seat.speaker,
            "canPublishData": True,
            "canSubscribe": True,
        },
    }


def jitsi_claims(
    app_id: str, domain: str, room: str, seat: Seat, not_before: datetime, expires: datetime
) -> dict[str, Any]:
    """Jitsi Meet's token (prosody mod_auth_token): aud "jitsi", iss the app id, sub the
    deployment's domain, the room, the user in `context`; speakers are moderators."""
    return {
        "aud": "jitsi",
        "iss": app_id,
        "sub": domain,
        "room": room,
        "nbf": int(not_before.timestamp()),
        "exp": int(expires.timestamp()),
        "moderator": seat.speaker,
        "context": {"user": {"id": seat.identity, "name": seat.name}},
    }
