"""The ports the services need from storage, and the unit of work that commits them together.

A unit of work rolls back unless `commit()` is called, so a handler that raises halfway leaves
nothing behind (cosmicpython's pattern; later the outbox rows join the same commit).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

from karakoram.domain.access import Principal
from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration import DeclarationRecord
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


class ClearanceRepository(Protocol):
    def add_assessments(
        self, pairs: Sequence[tuple[DeclarationRecord, AssessmentRecord]]
    ) -> None: ...
    def assessments(self, mrn: str) -> list[AssessmentRecord]: ...
    def add_control(self, mrn: str, c: ControlRecord) -> None: ...
    def controls(self, mrn: str) -> list[ControlRecord]: ...
    def add_payment(self, mrn: str, p: PaymentRecord) -> bool: ...
    def payments(self, mrn: str) -> list[PaymentRecord]: ...
    def queue(
        self, channel: str | None, office: str | None, waiting_before: datetime | None, limit: int
    ) -> list[QueueEntry]: ...
    def unit_values(self, hs6: str, limit: int) -> list[float]: ...
    def trader_known(self, identifier: str) -> bool: ...
    def known_traders(self, identifiers: Collection[str]) -> set[str]:
        """Those of `identifiers` that `trader_known` holds for, in one query per chunk."""
        ...


class PolicyRepository(Protocol):
    def add(
        self, kind: str, name: str, source: str, actor: str, at: datetime
    ) -> PolicyDocument: ...
    def get(self, kind: str, version: int) -> PolicyDocument | None: ...
    def active(self, kind: str) -> PolicyDocument | None: ...
    def all(self, kind: str) -> list[PolicyDocument]: ...
    def activate(
        self, kind: str, version: int, actor: str, reason: str | None, at: datetime
    ) -> None: ...
    def activation_history(self, kind: str) -> list[int]: ...
    def active_versions(self) -> dict[str, int]: ...


class DeclarationRepository(Protocol):
    def get(self, mrn: str) -> DeclarationRecord | None: ...
    def get_by_lrn(self, owner: str, lrn: str) -> DeclarationRecord | None: ...
    def stored_lrns(self, owner: str, lrns: Sequence[str]) -> dict[str, StoredLrn]: ...
    def add(self, records: Sequence[DeclarationRecord]) -> None: ...
    def update(self, record: DeclarationRecord, expected_version: int) -> None: ...
    def add_events(self, events: Iterable[tuple[str, DeclarationEvent]]) -> None: ...
    def events(self, mrn: str) -> list[DeclarationEvent]: ...
    def find(
        self, flt: DeclarationFilter, viewer: Principal, after: int | None, limit: int
    ) -> list[DeclarationRecord]: ...
    def risk_subjects(
        self, flt: DeclarationFilter, after: int | None, limit: int, upto: int | None = None
    ) -> list[StoredSubject]:
        """What `find` gives staff, in the same order, reduced to what risk reads
        (read-only, for back-tests: no whole declarations rebuilt); ids up to `upto`."""
        ...

    def risk_span(self, flt: DeclarationFilter) -> tuple[int, int] | None:
        """The first and last id `flt` selects, None when it selects none (back-tests split
        their work by id)."""
        ...


class UserRepository(Protocol):
    def add(
        self,
        name: str,
        role: str,
        party: str | None,
        key_id: str,
        key_hash: str,
        created_at: datetime,
    ) -> UserRecord: ...
    def by_key_id(self, key_id: str) -> UserRecord | None: ...
    def by_name(self, name: str) -> UserRecord | None: ...
    def set_key(self, user_id: int, key_id: str, key_hash: str) -> None: ...
    def set_password(self, user_id: int, password_hash: str) -> None:
        """Store the hash and raise the user's session stamp (ending password sessions)."""
        ...

    def deactivate(self, user_id: int) -> None:
        """Revoke the user (its key and password stop working) and raise its session stamp."""
        ...

    def by_id(self, user_id: int) -> UserRecord | None: ...
    def all(self) -> list[UserRecord]: ...


class NomenclatureRepository(Protocol):
    def replace(self, edition: str, rows: Iterable[tuple[str, str, int, str]]) -> int: ...
    def subheadings(self) -> dict[str, str]: ...


@dataclass(frozen=True, slots=True)
class ArrivalRecord:
    """A truck carrying a consignment (UCR) arrived at a border office."""

    ucr: str
    office: str
    at: datetime
    recorded_by: str
    id: int | None = None


class ArrivalRepository(Protocol):
    def add(self, arrival: ArrivalRecord) -> ArrivalRecord | None:
        """Store it; None when that UCR's arrival at that office is already recorded."""
        ...

    def get(self, ucr: str, office: str) -> ArrivalRecord | None: ...


class UnitOfWork(Protocol):
    declarations: DeclarationRepository
    users: UserRepository
    nomenclature: NomenclatureRepository
    clearance: ClearanceRepository
    policy: PolicyRepository
    exchange: ExchangeRepository
    arrivals: ArrivalRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


@dataclass(frozen=True, slots=True)
class PartnerKey:
    kid: str
    jwk: dict[str, Any]
    valid_from: datetime
    valid_to: datetime | None


@dataclass(frozen=True, slots=True)
class Partner:
    administration: str
    name: str
    country: str
    base_url: str
    message_types: tuple[str, ...]


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


class ExchangeRepository(Protocol):
    def add_partner(self, partner: Partner, at: datetime) -> None: ...
    def partner(self, administration: str) -> Partner | None: ...
    def partners(self) -> list[Partner]: ...
    def add_key(self, administration: str, key: PartnerKey) -> None: ...
    def end_keys(self, administration: str, valid_to: datetime, keep: str) -> None: ...
    def keys(self, administration: str) -> list[PartnerKey]: ...
    def enqueue(self, message: OutboxMessage) -> None: ...
    def claim_due(self, now: datetime, limit: int) -> list[OutboxMessage]: ...
    def lease(self, message_ids: Sequence[str], until: datetime) -> None: ...
    def delivered(self, message_id: str, receipt: str, at: datetime) -> None: ...
    def failed(self, message_id: str, error: str, retry_at: datetime | None) -> None: ...
    def outbox(self, message_id: str) -> OutboxMessage | None: ...
    def outbox_counts(self) -> dict[str, int]: ...
    def dead_letters(self, limit: int) -> list[OutboxMessage]: ...
    def requeue(self, message_ids: Sequence[str] | None, now: datetime) -> int: ...
    def sent_since(self, recipient: str, since: datetime) -> list[str]: ...
    def inbox_message(self, message_id: str) -> InboxMessage | None: ...
    def inbox_receipts(self, message_ids: Sequence[str]) -> dict[str, str]: ...
    def add_inbox_many(self, messages: Sequence[InboxMessage]) -> None: ...
    def delivered_many(self, receipts: Sequence[tuple[str, str]], at: datetime) -> None: ...
    def wake(self, recipient: str, now: datetime) -> int: ...
    def received_since(self, sender: str, since: datetime) -> list[str]: ...
    def add_refusal(
        self, sender: str | None, code: str, detail: str, digest: str, size: int, at: datetime
    ) -> None: ...
    def refusals(self, limit: int) -> list[dict[str, Any]]: ...
    def add_partner_records(self, records: Sequence[PartnerRecord]) -> None: ...
    def partner_records(self, ucr: str) -> list[PartnerRecord]: ...
    def partner_records_of(self, parties: set[str], limit: int) -> list[PartnerRecord]: ...
    def traffic(self) -> list[PartnerTraffic]:
        """Counts and latest times of messages out and in, per partner (read-only)."""
        ...

    def latest_outbox(self, limit: int) -> list[OutboxMessage]: ...
    def latest_inbox(self, limit: int) -> list[InboxMessage]: ...
