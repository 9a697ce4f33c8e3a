"""What the expo stores, as the services read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class DuplicateRef(Exception):
    """The store already holds this participant's listing ref (a concurrent request won)."""


class DuplicatePicture(Exception):
    """The listing holds this picture already (a concurrent request stored it first)."""


class DuplicateParticipant(Exception):
    """The store already holds this trader of this node (a concurrent registration won)."""


@dataclass(frozen=True, slots=True)
class PartnerKey:
    """A customs node's public key, by which the expo verifies its attestations."""

    kid: str
    jwk: dict[str, Any]
    valid_from: datetime
    valid_to: datetime | None


@dataclass(frozen=True, slots=True)
class ExpoPartner:
    administration: str
    country: str
    name: str


@dataclass(frozen=True, slots=True)
class Participant:
    """A trader verified by its node's attestation (a visitor without one is no participant)."""

    id: int
    issuer: str
    trader_id: str
    name: str
    country: str
    aeo: bool
    aeo_level: str | None
    attested_at: datetime
    expires_at: datetime
    registered_at: datetime


class Response(StrEnum):
    """A participant's answer to a suggestion."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    MEETING_REQUESTED = "meeting_requested"


@dataclass(frozen=True, slots=True)
class Suggestion:
    id: int
    exhibitor_id: int
    buyer_id: int
    offer_id: int
    seek_id: int
    score: float
    reasons: list[str]
    exhibitor_response: Response
    buyer_response: Response
    computed_at: datetime


class DuplicateRequest(Exception):
    """The store already holds a meeting request on this suggestion (a concurrent one won)."""


class RequestStatus(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class Availability:
    """When a participant can meet: its zone, and its windows in UTC; and where its meeting
    invitations are e-mailed (None: nowhere)."""

    participant_id: int
    zone: str
    windows: list[tuple[datetime, datetime]]
    email: str | None = None


@dataclass(frozen=True, slots=True)
class MeetingRequestRecord:
    id: int
    suggestion_id: int
    requester_id: int
    counterpart_id: int
    score: float
    status: RequestStatus
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Meeting:
    """A scheduled meeting (UTC), with its two participants and the minutes of its room."""

    id: int
    request_id: int
    requester_id: int
    counterpart_id: int
    starts_at: datetime
    ends_at: datetime
    score: float
    minutes: str

    @property
    def people(self) -> tuple[int, int]:
        return (self.requester_id, self.counterpart_id)


class DuplicateEntry(Exception):
    """Another message took this place in the thread (or this ref) first."""


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    """One message of a business discussion: `body` is what its hash covers."""

    suggestion_id: int
    seq: int
    author_id: int
    ref: str
    body: dict[str, Any]
    prev_hash: str
    hash: str
    receipt: str


@dataclass(frozen=True, slots=True)
class InvitationMail:
    """One meeting's invitation to one participant, in the outbox until the SMTP server took
    it (`sent`) or every attempt failed (`dead`)."""

    id: int
    meeting_id: int
    participant_id: int
    address: str
    status: str
    attempts: int
    last_error: str | None
    due_at: datetime


@dataclass(frozen=True, slots=True)
class NodeMessage:
    """A message a customs node delivered, as the expo keeps it with its signed receipt."""

    message_id: str
    sender: str
    type: str
    digest: str
    token: str
    receipt: str
    created_at: datetime
    received_at: datetime
