"""The ports: what services need from the outside world, as Protocols the adapters implement.

Storage (the unit of work and its repositories), secret hashing, the analytical copy, message
signing and the partner transport. Adapters satisfy them structurally; tests use the fakes in
tests/unit/fakes.py. Types named here come from the service modules that own them, imported for
type checking only, so that those modules may import their ports from here.

This file is over 400 lines because it is the one page where every port is read side by side:
Protocols of one-line signatures, which split across files would hide what an adapter must do.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, time
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from karakoram.domain.access import Principal
from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration.fingerprint import ConsignmentDraw
from karakoram.domain.declaration.model import (
    Declaration,
    DeclarationRecord,
)
from karakoram.domain.declaration.release_note import ReleaseStatement
from karakoram.domain.exchange.envelope import DecodedMessage
from karakoram.domain.exchange.partner_state import Probe
from karakoram.domain.gate.discrepancies import Declared, Discrepancy
from karakoram.domain.gate.pre_arrival import CheckStatus, PreArrivalCheck
from karakoram.domain.joint_inspection import JointInspection
from karakoram.domain.representation import AeoEntry, Mandate
from karakoram.domain.risk.detectors import RiskSignal
from karakoram.domain.statistics.periods import Period
from karakoram.domain.statistics.trade_summary import TradeCell

if TYPE_CHECKING:
    from karakoram.domain.gate.cargo_report import CargoReport
    from karakoram.services.audit.chain import StoredRow
    from karakoram.services.audit.checkpoints import Checkpoint
    from karakoram.services.auth_records import AttemptRecord, SessionRecord
    from karakoram.services.contracts.records import ContractDraftRepository
    from karakoram.services.gate.records import (
        CargoReportRecord,
        DiscrepancyRecord,
        FallbackEntryRecord,
        FallbackKeyRecord,
        Readiness,
        SlotBooking,
    )
    from karakoram.services.notify.records import NotificationRepository
    from karakoram.services.records import (
        ArrivalRecord,
        AssessmentRecord,
        ControlRecord,
        DeclarationFilter,
        InboxMessage,
        OutboxMessage,
        Partner,
        PartnerCargoReport,
        PartnerCheckpoint,
        PartnerKey,
        PartnerRecord,
        PartnerRefusal,
        PartnerTraffic,
        PaymentRecord,
        PolicyDocument,
        QueueEntry,
        StoredLrn,
        StoredSubject,
        UploadJob,
        UserRecord,
    )
    from karakoram.services.reviews import ReviewRepository
    from karakoram.services.statistics.analytical_copy import Changes, SourceRows, Watermarks
    from karakoram.services.statistics.conversion import RateRows
    from karakoram.services.statistics.shapes import (
        Aggregate,
        BulletinQuery,
        MirrorQuery,
        TrsQuery,
    )
    from karakoram.services.trader_keys import TraderCertificateRepository

#: a slot of one direction at one crossing: (crossing, direction, day, start)
SlotKey = tuple[str, str, date, time]
#: trucks booked per (day, start)
SlotCounts = dict[tuple[date, time], int]


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
    def first_declarations(self, identifiers: Collection[str]) -> dict[str, int]:
        """The id of each identifier's first declaration (as exporter or importer); those
        without one left out. A back-test asks it: a trader is new to a declaration lodged
        before any other of its own, as live assessment found it (services/history.py)."""
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


class AuthRepository(Protocol):
    """Web sessions and failed authentication attempts (services/sessions.py, throttle.py)."""

    def add_session(self, session: SessionRecord) -> None: ...
    def session(self, digest: str) -> SessionRecord | None: ...
    def touch_session(self, digest: str, at: datetime) -> None: ...
    def delete_session(self, digest: str) -> None: ...
    def delete_sessions_of(self, user_id: int) -> int: ...
    def delete_expired_sessions(self, seen_before: datetime, created_before: datetime) -> int: ...
    def attempts(self, scopes: Sequence[str]) -> list[AttemptRecord]:
        """The stored attempts of `scopes`, locked for update until the transaction ends."""
        ...

    def save_attempt(self, attempt: AttemptRecord) -> None: ...
    def clear_attempts(self, scopes: Sequence[str]) -> int: ...


class NomenclatureRepository(Protocol):
    def replace(self, edition: str, rows: Iterable[tuple[str, str, int, str]]) -> int: ...
    def subheadings(self) -> dict[str, str]: ...
    def edition(self) -> str | None:
        """The edition the stored nomenclature was loaded as (None when there is none)."""
        ...


class ArrivalRepository(Protocol):
    def add(self, arrival: ArrivalRecord) -> ArrivalRecord | None:
        """Store it; None when that UCR's arrival at that office is already recorded."""
        ...

    def get(self, ucr: str, office: str) -> ArrivalRecord | None: ...


class SlotRepository(Protocol):
    """Crossing slots (services/gate/slots.py): bookings and each slot's guarded count."""

    def take(self, key: SlotKey, capacity: int) -> bool:
        """One more truck in the slot if it has room; False when it is full."""
        ...

    def give_back(self, key: SlotKey) -> None: ...
    def counts(self, crossing: str, direction: str, first: date, last: date) -> SlotCounts: ...
    def add(self, booking: SlotBooking) -> SlotBooking | None:
        """Store it; None when its owner, carrier and reference are booked already."""
        ...

    def find(self, owner: str, carrier: str, reference: str) -> SlotBooking | None: ...
    def update(self, booking: SlotBooking, by: str) -> None:
        """Store its new slot, status, reason and answer time (`by`: who, for the audit)."""
        ...

    def on_day(self, crossing: str, day: date) -> list[SlotBooking]: ...
    def readiness(self, ucrs: Collection[str]) -> dict[str, Readiness]: ...


class AuditRepository(Protocol):
    """The hash-chained audit log (services/audit): changes recorded during a unit of work are
    chained and appended by its `commit`, in the same transaction."""

    def record(self, kind: str, subject: str, actor: str, data: Mapping[str, Any]) -> None: ...
    def head(self) -> tuple[int, str]:
        """The last entry's sequence number and hash, as the head row records them."""
        ...

    def entries(self, after: int, limit: int) -> Sequence[StoredRow]:
        """Stored entries by sequence number, from `after` + 1."""
        ...

    def add_checkpoint(self, checkpoint: Checkpoint) -> None: ...
    def checkpoints(self) -> list[Checkpoint]: ...
    def add_partner_checkpoints(self, checkpoints: Sequence[PartnerCheckpoint]) -> None:
        """Keep partners' checkpoints; one already held (administration, size, head) is
        left as it is. Rows are never updated or deleted."""
        ...

    def partner_checkpoints(self, administration: str) -> list[PartnerCheckpoint]:
        """The checkpoints held of `administration`'s chain, by size."""

    def trail(
        self, subject: str | None, actor: str | None, before: int | None, limit: int
    ) -> Sequence[StoredRow]:
        """Entries of a subject and/or an actor, newest first, below seq `before`."""
        ...

    def of_subject(self, subject: str) -> list[tuple[int, bytes, str]]:
        """The entries of one subject in chain order: seq, canonical bytes, hash."""
        ...

    def with_prefix(self, prefix: str) -> list[tuple[int, str, bytes, str]]:
        """The entries whose subject starts with `prefix`, in chain order: seq, subject,
        canonical bytes, hash."""
        ...


class RegisterRepository(Protocol):
    """Mandates, the AEO register and consignment draws (issue 13)."""

    def add_mandate(self, mandate: Mandate) -> Mandate: ...
    def mandates(self, representative: str | None = None) -> list[Mandate]:
        """Every mandate, or those given to `representative`, oldest first."""
        ...

    def end_mandate(self, mandate_id: int, valid_to: datetime) -> Mandate | None: ...
    def add_aeo(self, entry: AeoEntry) -> AeoEntry: ...
    def aeo_entries(self, identifiers: Collection[str] | None = None) -> list[AeoEntry]:
        """Every register entry, or those of `identifiers`, oldest first."""
        ...

    def end_aeo(self, entry_id: int, valid_to: datetime) -> AeoEntry | None: ...
    def end_aeo_source(self, source: str, valid_to: datetime) -> int:
        """End every entry of `source` still in force; how many."""
        ...

    def record_draw(self, draw: ConsignmentDraw) -> None:
        """Store (or replace, on an amendment) a declaration's fingerprint and window."""
        ...

    def draws(self, fingerprint: str, since: datetime) -> list[ConsignmentDraw]:
        """Draws of `fingerprint` recorded at or after `since`, oldest first."""
        ...

    def draws_of(self, mrns: Collection[str]) -> dict[str, ConsignmentDraw]:
        """The stored draws of these declarations, by MRN (one never assessed has none)."""
        ...

    def cancelled_selections(
        self, since: datetime, until: datetime, fingerprint: str | None = None
    ) -> list[tuple[ConsignmentDraw, str, datetime]]:
        """Draws recorded in [since, until] (of `fingerprint` only, when given) of declarations
        now cancelled after a non-green selection, each with that channel and when it was
        cancelled, oldest first."""
        ...


class CargoRepository(Protocol):
    """Cargo reports (services/gate)."""

    def add(self, record: CargoReportRecord) -> CargoReportRecord | None:
        """Store a new report; None when the carrier's reference exists already."""
        ...

    def get(self, report_id: int) -> CargoReportRecord | None: ...
    def by_reference(self, carrier: str, reference: str) -> CargoReportRecord | None: ...
    def carrying(self, ucr: str) -> list[CargoReportRecord]:
        """The reports that list consignment `ucr`, oldest first."""
        ...

    def update_status(
        self, record: CargoReportRecord, expected_version: int, by: str
    ) -> CargoReportRecord:
        """Store the new state unless the report changed since `expected_version`."""
        ...

    def declared(self, ucrs: Sequence[str], plates: Sequence[str], type_: str) -> list[Declared]:
        """The declarations of type `type_` covering `ucrs` or, still open, naming one of the
        truck's `plates`: as the write-off compares them."""
        ...

    def set_discrepancies(
        self, record: CargoReportRecord, found: Sequence[Discrepancy], by: str
    ) -> None: ...
    def discrepancies(self, report_id: int) -> list[DiscrepancyRecord]:
        """What the write-off found, in its order, each with its resolution if settled."""
        ...

    def resolve(self, report_id: int, settled: DiscrepancyRecord) -> bool:
        """Record how a discrepancy was settled; False when it was settled already."""
        ...

    def presented(self, ucr: str) -> bool:
        """Whether consignment `ucr` is on an inbound report presented or cleared."""
        ...

    def amend(
        self, record: CargoReportRecord, report: CargoReport, at: datetime, by: str
    ) -> CargoReportRecord:
        """Store the corrected report unless the record changed since it was read."""
        ...


class FallbackRepository(Protocol):
    """Fallback keys and the entries taken in from fallback files (services/gate/fallback)."""

    def add_key(self, key: FallbackKeyRecord) -> None: ...
    def key(self, kid: str) -> FallbackKeyRecord | None: ...
    def revoke_key(self, kid: str, at: datetime, by: str) -> None: ...
    def entries(self, kid: str) -> list[FallbackEntryRecord]:
        """The entries of key `kid` taken in so far, in order."""
        ...

    def add_entry(self, entry: FallbackEntryRecord) -> bool:
        """Record an entry taken in; False when that key's entry `seq` was taken already."""
        ...

    def captured(self, references: Sequence[str]) -> dict[str, datetime]:
        """Of `references` (MRNs, UCRs), those captured offline, with their capture time."""
        ...


class PreArrivalRepository(Protocol):
    """Imports assessed while the partner was down, checked again when its data arrives."""

    def open(self, check: PreArrivalCheck) -> bool:
        """Open a check; False when the import has one already."""
        ...

    def pending(self, ucr: str) -> list[PreArrivalCheck]: ...
    def pending_many(self, ucrs: Sequence[str]) -> dict[str, list[PreArrivalCheck]]:
        """`pending` of several UCRs in one read (a received batch): those with any."""
        ...

    def settle(self, check: PreArrivalCheck) -> bool:
        """Store a pending check's outcome; False when it was settled already."""
        ...

    def listed(self, status: CheckStatus | None, limit: int) -> list[PreArrivalCheck]: ...
    def of(self, mrn: str) -> PreArrivalCheck | None: ...


class PartnerProbeRepository(Protocol):
    """The latest probe of each partner (operational, not audited)."""

    def probes(self) -> dict[str, Probe]: ...
    def answered(self, administration: str, at: datetime) -> None: ...
    def failed(self, administration: str, at: datetime, error: str) -> None: ...


class PartnerCargoRepository(Protocol):
    """Cargo reports the partner's node sent (trucks coming to this side)."""

    def add(self, record: PartnerCargoReport) -> bool:
        """Keep one; False when its message was kept already."""
        ...

    def carrying(self, ucr: str) -> list[PartnerCargoReport]: ...
    def latest(self, limit: int) -> list[PartnerCargoReport]: ...


class UnitOfWork(Protocol):
    declarations: DeclarationRepository
    users: UserRepository
    auth: AuthRepository
    nomenclature: NomenclatureRepository
    clearance: ClearanceRepository
    policy: PolicyRepository
    exchange: ExchangeRepository
    arrivals: ArrivalRepository
    audit: AuditRepository
    register: RegisterRepository
    uploads: UploadJobRepository
    cargo: CargoRepository
    fallback: FallbackRepository
    joint: JointRepository
    notifications: NotificationRepository
    reviews: ReviewRepository
    trader_certs: TraderCertificateRepository
    slots: SlotRepository
    pre_arrival: PreArrivalRepository
    probes: PartnerProbeRepository
    partner_cargo: PartnerCargoRepository
    contract_drafts: ContractDraftRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class JointRepository(Protocol):
    """Joint inspections (domain/joint_inspection.py), by proposal id."""

    def add(self, j: JointInspection, at: datetime) -> bool:
        """Store a new proposal; False when its id is stored already."""
        ...

    def update(self, j: JointInspection, at: datetime) -> None: ...
    def get(self, proposal_id: str) -> JointInspection | None: ...
    def of_ucr(self, ucr: str) -> list[JointInspection]: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
    #: a unit of work that only reads and cannot commit (no write lock, no turn on SQLite)
    def reader(self) -> UnitOfWork: ...


class ExchangeRepository(Protocol):
    def add_partner(self, partner: Partner, at: datetime) -> None: ...
    def partner(self, administration: str) -> Partner | None: ...
    def partners(self) -> list[Partner]: ...
    def set_message_types(self, administration: str, types: Sequence[str]) -> None:
        """The message types now shared with the partner (both ways)."""
        ...

    def add_key(self, administration: str, key: PartnerKey) -> None: ...
    def end_keys(self, administration: str, valid_to: datetime, keep: str) -> None: ...
    def keys(self, administration: str) -> list[PartnerKey]: ...
    def revoke_key(self, administration: str, kid: str, at: datetime) -> bool: ...
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
    def sent_or_delivered_since(self, recipient: str, since: datetime) -> list[str]: ...
    def inbox_message(self, message_id: str) -> InboxMessage | None: ...
    def inbox_receipts(self, message_ids: Sequence[str]) -> dict[str, str]: ...
    def inbox_held(self, message_ids: Sequence[str]) -> dict[str, tuple[str, str]]: ...
    def add_inbox_many(self, messages: Sequence[InboxMessage]) -> None: ...
    def delivered_many(self, receipts: Sequence[tuple[str, str]], at: datetime) -> None: ...
    def wake(self, recipient: str, now: datetime) -> int: ...
    def received_since(self, sender: str, since: datetime) -> list[str]: ...
    def add_refusal(
        self, sender: str | None, code: str, detail: str, digest: str, size: int, at: datetime
    ) -> None: ...
    def refusals(self, limit: int) -> list[dict[str, Any]]: ...
    def count_refusal(self, sender: str, code: str, hour: datetime) -> int: ...
    def refusal_counts(self, since: datetime) -> list[tuple[str, str, int]]: ...
    def add_partner_records(self, records: Sequence[PartnerRecord]) -> None: ...
    def partner_records(self, ucr: str) -> list[PartnerRecord]: ...
    def partner_records_of(self, parties: set[str], limit: int) -> list[PartnerRecord]: ...
    def traffic(self) -> list[PartnerTraffic]:
        """Counts and latest times of messages out and in, per partner (read-only)."""
        ...

    def latest_outbox(self, limit: int) -> list[OutboxMessage]: ...
    def queued_since(self, recipient: str, type: str, since: datetime) -> int:
        """How many messages of `type` were queued for `recipient` at or after `since`."""
        ...

    def latest_inbox(self, limit: int) -> list[InboxMessage]: ...


class SecretHasher(Protocol):
    """A slow, salted password hash (argon2 in production)."""

    def hash(self, secret: str) -> str: ...
    def verify(self, hashed: str, secret: str) -> bool: ...


class HsEntry(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def level(self) -> int: ...
    @property
    def section(self) -> str: ...


class AnalyticsSource(Protocol):
    def changes(self, since: Watermarks, max_events: int | None = None) -> Changes: ...


class AnalyticsStore(Protocol):
    def exclusive(self) -> AbstractContextManager[None]: ...

    def watermarks(self) -> Watermarks: ...

    def apply(
        self,
        upto: Watermarks,
        items: Mapping[str, list[Any]],
        declarations: Mapping[str, list[Any]],
        partner_items: Sequence[Mapping[str, Any]],
    ) -> None: ...

    def apply_rows(
        self, upto: Watermarks, rows: SourceRows, partner_items: Sequence[Mapping[str, Any]]
    ) -> tuple[int, int]:
        """Like `apply`, deriving the items and declarations from the source's rows; returns
        how many of each it took in."""
        ...

    def bulletin(
        self, query: BulletinQuery, periods: Sequence[Period], rates: RateRows
    ) -> list[Aggregate]: ...

    def trs(self, query: TrsQuery, now: datetime) -> list[dict[str, Any]]: ...

    def trade_cells(self, period: Period, rates: RateRows) -> list[TradeCell]: ...

    def mirror_currency_days(self, period: Period) -> dict[str, tuple[date, date]]: ...

    def mirror(self, query: MirrorQuery, rates: RateRows) -> dict[str, Any]: ...


class MessageCrypto(Protocol):
    """Signing and verification (Ed25519 JWS in production)."""

    def sign(self, payload: dict[str, Any]) -> str: ...
    def decode(self, token: str) -> DecodedMessage:
        """The token's header and payload, read once and not yet trusted; `Refused` when it is
        too large or not a signed JSON object."""
        ...

    def verify(
        self, message: DecodedMessage, keys: list[PartnerKey], signer: str, at: datetime
    ) -> None:
        """`Refused` unless one of `signer`'s `keys`, valid at `at`, signed `message`."""
        ...

    def digest(self, token: str) -> str: ...


class PeerTransport(Protocol):
    """How this node reaches a partner's exchange endpoints; raises `DeliveryFailed`
    (services.exchange.config) when the partner does not answer as it should."""

    def deliver(self, base_url: str, token: str, delivery: str) -> str: ...

    def deliver_many(
        self, base_url: str, tokens: Sequence[str], delivery: str
    ) -> list[str | PartnerRefusal | None]:
        """A receipt per message, the partner's refusal (its code) for one it refused, or None
        for one it answered otherwise; `delivery` is the relay's signed proof of this attempt
        (services.exchange.delivery)."""
        ...

    def held(self, base_url: str, query: str) -> list[str]:
        """Ids of our messages the partner holds, for a signed reconciliation query."""
        ...

    def checkpoints(self, base_url: str, query: str) -> list[str]:
        """The tokens of our audit checkpoints the partner holds, for a signed query."""
        ...


class SignalSource(Protocol):
    """Feeds outside evidence (the partner's mirror data, its control results) into risk."""

    def signals(self, declaration: Declaration) -> Sequence[RiskSignal]: ...


class UploadJobRepository(Protocol):
    """Upload jobs (issue 14). Every change after `add` names the worker's `attempt` and
    changes nothing (returns False) once another worker has taken the job."""

    def add(self, job: UploadJob, content: bytes) -> None: ...
    def get(self, job_id: str) -> UploadJob | None: ...
    def content(self, job_id: str) -> bytes: ...
    def claim(self, now: datetime, lease_until: datetime) -> UploadJob | None: ...
    def progress(self, job_id: str, attempt: int, done: int, lease_until: datetime) -> bool: ...
    def record(
        self,
        job_id: str,
        attempt: int,
        start: int,
        lines: Sequence[Mapping[str, Any]],
        lease_until: datetime,
    ) -> bool: ...
    def finish(
        self, job_id: str, attempt: int, status: str, at: datetime, error: str | None = None
    ) -> bool: ...
    def release(self, job_id: str, attempt: int) -> None: ...
    def lines(self, job_id: str) -> list[dict[str, Any]]: ...


class TokenVerifier(Protocol):
    """Reads and checks a compact JWS (a `MessageCrypto` is one); used alone where a token is
    verified with a given public key and no signing key (the offline release-note check)."""

    def decode(self, token: str) -> DecodedMessage: ...
    def verify(
        self, message: DecodedMessage, keys: list[PartnerKey], signer: str, at: datetime
    ) -> None: ...


class ReleaseNoteRenderer(Protocol):
    """The release note as a PDF: the statement's text (in the three scripts the note is
    printed in) and a QR code holding `qr_text`."""

    def render(self, statement: ReleaseStatement, qr_text: str) -> bytes: ...


class AttachmentStore(Protocol):
    """Attachments' bytes kept by content (SHA-256 in hex): the same bytes twice are kept once.
    In the database on PostgreSQL, in a folder beside the file on SQLite (bootstrap chooses)."""

    def put(self, sha256: str, content: bytes) -> None:
        """Keep `content` under its hash; nothing happens when it is kept already."""
        ...

    def get(self, sha256: str) -> bytes | None: ...
