"""What the services read and write through the unit of work: plain records, and the two races
the storage reports (a duplicate LRN, a duplicate message id). The ports themselves are in
`karakoram.services.ports`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from karakoram.domain.gate.cargo_report import CargoReport
from karakoram.domain.risk.facts import RiskSubject


class DuplicateLrn(Exception):
    """The store already holds this trader's LRN (a concurrent lodgement won the race)."""


class DuplicateMessage(Exception):
    """The inbox already holds a message id (a concurrent delivery of it won the race)."""


@dataclass(frozen=True, slots=True)
class StoredLrn:
    mrn: str
    digest: str


@dataclass(frozen=True, slots=True)
class DeclarationFilter:
    status: str | None = None
    type: str | None = None
    trader: str | None = None
    hs_prefix: str | None = None
    lodged_from: datetime | None = None
    lodged_to: datetime | None = None
    #: exact references (an officer's search); `vehicle` compared as `plate_key` compares
    mrn: str | None = None
    ucr: str | None = None
    lrn: str | None = None
    vehicle: str | None = None
    channel: str | None = None
    #: newest first (a page then continues below the cursor) instead of oldest first
    newest_first: bool = False


@dataclass(frozen=True, slots=True)
class StoredSubject:
    """A stored declaration as a back-test reads it: what risk needs, and the channel given."""

    id: int
    mrn: str
    lodged_at: datetime
    channel: str | None
    subject: RiskSubject


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    name: str
    role: str
    party: str | None
    key_id: str
    key_hash: str
    created_at: datetime
    active: bool = True
    password_hash: str | None = None
    #: a web session signed in by password is valid only while this is unchanged
    session_stamp: int = 0


@dataclass(frozen=True, slots=True)
class AssessmentRecord:
    """One assessment of a declaration: the risk decision and the duties, as stored."""

    kind: str  # automatic | override
    channel: str
    score: int
    draw: float
    total_due: Decimal
    currency: str
    risk: dict[str, Any]
    duties: dict[str, Any]
    actor: str
    assessed_at: datetime
    rule_set_version: int | None = None
    tariff_version: int | None = None
    rates_version: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ControlRecord:
    """A documents check or a physical inspection, with what it found."""

    kind: str  # documents | inspection
    result: str  # compliant | discrepancy | prohibited
    findings: dict[str, Any]
    officer: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    reference: str
    kind: str  # payment | guarantee
    amount: Decimal
    currency: str
    recorded_by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class QueueEntry:
    mrn: str
    status: str
    channel: str | None
    type: str
    office: str
    trader: str
    lodged_at: datetime
    waiting_since: datetime


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """A versioned rule set, tariff schedule or exchange-rate table, as loaded."""

    kind: str  # rules | tariff | rates
    version: int
    name: str
    source: str
    status: str  # draft | active | retired
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ArrivalRecord:
    """A truck carrying a consignment (UCR) arrived at a border office."""

    ucr: str
    office: str
    at: datetime
    recorded_by: str
    id: int | None = None


@dataclass(frozen=True, slots=True)
class PartnerKey:
    kid: str
    jwk: dict[str, Any]
    valid_from: datetime
    valid_to: datetime | None
    #: when the key was revoked: no delivery signed with it is accepted after that
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Partner:
    administration: str
    name: str
    country: str
    base_url: str
    message_types: tuple[str, ...]
    #: administration | expo (domain/exchange/expo_bodies.PartnerKind)
    kind: str = "administration"


@dataclass(frozen=True, slots=True)
class PartnerRefusal:
    """The partner's answer for one message it refused: its refusal code and why."""

    code: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    message_id: str
    recipient: str
    type: str
    ucr: str
    token: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_error: str | None = None
    receipt: str | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InboxMessage:
    message_id: str
    sender: str
    type: str
    ucr: str
    token: str
    digest: str
    receipt: str
    created_at: datetime
    received_at: datetime


@dataclass(frozen=True, slots=True)
class PartnerRecord:
    ucr: str
    sender: str
    type: str
    message_id: str
    mrn: str | None
    body: dict[str, Any]
    created_at: datetime
    parties: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PartnerTraffic:
    """What passed between this node and one partner, for the supervisor's exchange page."""

    partner: str
    sent: int = 0
    delivered: int = 0
    pending: int = 0
    #: pending messages whose last delivery attempt failed
    failing: int = 0
    dead: int = 0
    received: int = 0
    last_sent_at: datetime | None = None
    #: when the partner last gave a receipt
    last_delivered_at: datetime | None = None
    last_received_at: datetime | None = None
    oldest_pending_at: datetime | None = None
    #: when the last try of the latest dead letter was due (about when it was given up)
    last_dead_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PartnerCheckpoint:
    """A partner's signed checkpoint of its own audit chain (size, head hash, time, and its
    JWS over them), kept as a witness: the partner later asks for these to check its history."""

    administration: str
    size: int
    head: str
    at: datetime
    token: str
    received_at: datetime


class JobStatus(StrEnum):
    """Where an upload job is: waiting for a worker, being imported, or finished."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class UploadJob:
    """A large upload imported in the background (issue 14); the file's bytes stay in the
    store, read on their own (`UploadJobRepository.content`)."""

    id: str
    user_id: int
    user_name: str
    role: str
    party: str | None
    format: str
    partial: bool
    status: JobStatus
    lines_total: int
    lines_done: int = 0
    #: raised each time a worker takes the job; a worker whose attempt is no longer the job's
    #: changes nothing more
    attempt: int = 0
    lease_until: datetime | None = None
    error: str | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PartnerCargoReport:
    """A truck coming from the partner's side: the cargo report its carrier lodged there, as
    the partner's node sent it (read-only here)."""

    sender: str
    message_id: str
    carrier: str
    report: CargoReport
    lodged_at: datetime
    received_at: datetime
    id: int | None = None
