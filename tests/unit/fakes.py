"""In-memory stand-ins for the storage ports, so handlers run in microseconds."""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from karakoram.domain.access import STAFF, Principal
from karakoram.domain.clearance import AWAITING_OFFICER, DeclarationEvent
from karakoram.domain.declaration.codes import CodeLists, HsNomenclature
from karakoram.domain.declaration.fingerprint import ConsignmentDraw
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.declaration.validation import NodeRules
from karakoram.domain.errors import StaleVersion
from karakoram.domain.notify import Endpoint
from karakoram.domain.representation import AeoEntry, Mandate
from karakoram.services.audit.chain import (
    GENESIS,
    AuditEntry,
    ChainedEntry,
    StoredRow,
    chain,
    time_text,
)
from karakoram.services.audit.checkpoints import Checkpoint
from karakoram.services.context import NodeContext
from karakoram.services.notify.records import Attempt, Delivery, DeliveryLogEntry
from karakoram.services.policy.documents import Parsers, PolicyCache
from karakoram.services.records import (
    DeclarationFilter,
    DuplicateLrn,
    OutboxMessage,
    Partner,
    PartnerCheckpoint,
    PartnerKey,
    PartnerTraffic,
    PolicyDocument,
    QueueEntry,
    StoredLrn,
    UserRecord,
)
from karakoram.services.reviews import ReviewRequest

COUNTRIES = frozenset({"CN", "PK", "US", "DE", "AF", "IN"})
CURRENCIES = frozenset({"CNY", "PKR", "USD", "EUR"})
SUBHEADINGS = frozenset({"847130", "854442", "740311", "520512", "120740", "080510"})


class FakeContractDrafts:
    """No contract signed at the expo: no drafts (services/contracts)."""

    def add(self, draft: Any) -> bool:
        return False

    def for_trader(self, trader: str) -> list[Any]:
        return []

    def by_ucr(self, ucr: str) -> None:
        return None

    def by_ucrs(self, ucrs: Any) -> dict[str, Any]:
        return {}

    def lodged(self, ucr: str, mrn: str) -> None:
        return None

    def contracts_of(self, mrns: Any) -> dict[str, Any]:
        return {}


class FakeStore:
    """What a database would hold: committed state only."""

    def __init__(self) -> None:
        self.declarations: dict[str, DeclarationRecord] = {}
        self.events: list[tuple[str, DeclarationEvent]] = []
        self.users: dict[int, UserRecord] = {}
        self.hs: dict[str, str] = {}
        self.rows: list = []  # (kind, mrn, record) for assessments, controls, payments
        self.docs: list[PolicyDocument] = []
        self.activations: list[tuple[str, int]] = []
        self.partners: dict[str, Partner] = {}
        self.keys: dict[str, list[PartnerKey]] = {}
        self.outbox: dict[str, OutboxMessage] = {}
        self.ids = itertools.count(1)
        self.commits = 0
        self.audit: list[ChainedEntry] = []
        self.checkpoints: list[Checkpoint] = []
        self.partner_checkpoints: list[PartnerCheckpoint] = []
        self.mandates: list[Mandate] = []
        self.aeo: list[AeoEntry] = []
        self.draws: dict[str, ConsignmentDraw] = {}
        self.notify_endpoints: list[Endpoint] = []
        self.notify_deliveries: dict[str, Delivery] = {}
        self.notify_attempts: list[tuple[str, Attempt]] = []
        self.reviews: list[ReviewRequest] = []
        #: UCRs on a presented inbound truck (the gate's trucks live in integration tests)
        self.presented: set[str] = set()


class FakeCargo:
    """The gate as the clearance handlers read it: which consignments were presented."""

    def __init__(self, work: FakeUnitOfWork) -> None:
        self._w = work

    def presented(self, ucr: str) -> bool:
        return ucr in self._w.store.presented

    def carrying(self, ucr: str) -> list[Any]:
        return []


class FakeDeclarations:
    def __init__(self, work: FakeUnitOfWork) -> None:
        self._w = work

    def get(self, mrn: str) -> DeclarationRecord | None:
        found = self._w.decl.get(mrn)
        return copy.copy(found) if found else None

    def get_by_lrn(self, owner: str, lrn: str) -> DeclarationRecord | None:
        return next(
            (
                copy.copy(r)
                for r in self._w.decl.values()
                if r.owner == owner and r.declaration.lrn == lrn
            ),
            None,
        )

    def stored_lrns(self, owner: str, lrns: Sequence[str]) -> dict[str, StoredLrn]:
        return {
            r.declaration.lrn: StoredLrn(r.mrn, r.digest)
            for r in self._w.decl.values()
            if r.owner == owner and r.declaration.lrn in set(lrns)
        }

    def add(self, records: Sequence[DeclarationRecord]) -> None:
        for record in records:
            if self.get_by_lrn(record.owner, record.declaration.lrn):
                raise DuplicateLrn(record.declaration.lrn)
            record.id = next(self._w.store.ids)
            self._w.decl[record.mrn] = copy.copy(record)

    def update(self, record: DeclarationRecord, expected_version: int) -> None:
        current = self._w.decl[record.mrn]
        if current.version != expected_version:
            raise StaleVersion(record.mrn, expected_version, current.version)
        self._w.decl[record.mrn] = copy.copy(record)

    def add_events(self, events: Iterable[tuple[str, DeclarationEvent]]) -> None:
        self._w.evts.extend(events)

    def events(self, mrn: str) -> list[DeclarationEvent]:
        return [e for m, e in self._w.evts if m == mrn]

    def find(
        self, flt: DeclarationFilter, viewer: Principal, after: int | None, limit: int
    ) -> list[DeclarationRecord]:
        rows = sorted(self._w.decl.values(), key=lambda r: r.id or 0, reverse=flt.newest_first)
        if viewer.role not in STAFF:
            rows = [
                r
                for r in rows
                if viewer.party == r.owner or viewer.party in r.declaration.party_identifiers()
            ]
        if flt.status:
            rows = [r for r in rows if r.status == flt.status]
        if after is not None:
            newer = flt.newest_first
            rows = [r for r in rows if ((r.id or 0) < after if newer else (r.id or 0) > after)]
        return rows[:limit]


class FakeUsers:
    def __init__(self, work: FakeUnitOfWork) -> None:
        self._w = work

    def add(
        self,
        name: str,
        role: str,
        party: str | None,
        key_id: str,
        key_hash: str,
        created_at: datetime,
    ) -> UserRecord:
        user = UserRecord(next(self._w.store.ids), name, role, party, key_id, key_hash, created_at)
        self._w.usr[user.id] = user
        return user

    def by_key_id(self, key_id: str) -> UserRecord | None:
        return next((u for u in self._w.usr.values() if u.key_id == key_id), None)

    def by_name(self, name: str) -> UserRecord | None:
        return next((u for u in self._w.usr.values() if u.name == name), None)

    def set_key(self, user_id: int, key_id: str, key_hash: str) -> None:
        old = self._w.usr[user_id]
        self._w.usr[user_id] = UserRecord(
            old.id, old.name, old.role, old.party, key_id, key_hash, old.created_at
        )

    def all(self) -> list[UserRecord]:
        return list(self._w.usr.values())


class FakeNomenclature:
    def __init__(self, work: FakeUnitOfWork) -> None:
        self._w = work

    def replace(self, edition: str, rows: Iterable[tuple[str, str, int, str]]) -> int:
        self._w.hs_rows = {c: d for c, d, _, _ in rows}
        self._w.hs_edition = edition
        return len(self._w.hs_rows)

    def subheadings(self) -> dict[str, str]:
        return {c: d for c, d in self._w.hs_rows.items() if len(c) == 6}

    def edition(self) -> str | None:
        return getattr(self._w, "hs_edition", None)


class FakeClearance:
    def __init__(self, work: FakeUnitOfWork) -> None:
        self._w = work

    def add_assessments(self, pairs):
        for record, assessment in pairs:
            self._w.rows.append(("assessment", record.mrn, assessment))

    def _of(self, kind, mrn):
        return [row for k, m, row in self._w.rows if k == kind and m == mrn]

    def assessments(self, mrn):
        return self._of("assessment", mrn)

    def add_control(self, mrn, c):
        self._w.rows.append(("control", mrn, c))

    def controls(self, mrn):
        return self._of("control", mrn)

    def add_payment(self, mrn, p):
        if any(x.reference == p.reference for x in self._of("payment", mrn)):
            return False
        self._w.rows.append(("payment", mrn, p))
        return True

    def payments(self, mrn):
        return self._of("payment", mrn)

    def queue(self, channel, office, waiting_before, limit):
        rows = [
            r
            for r in self._w.decl.values()
            if r.status in AWAITING_OFFICER
            and (channel is None or r.channel == channel)
            and (office is None or r.declaration.office_of_lodgement == office)
            and (waiting_before is None or r.updated_at <= waiting_before)
        ]
        rows.sort(key=lambda r: (r.updated_at, r.id))
        return [
            QueueEntry(
                r.mrn,
                r.status,
                r.channel,
                r.declaration.type.value,
                r.declaration.office_of_lodgement,
                r.owner,
                r.lodged_at,
                r.updated_at,
            )
            for r in rows[:limit]
        ]

    def unit_values(self, hs6, limit):
        found = [
            v
            for r in sorted(self._w.decl.values(), key=lambda r: -(r.id or 0))
            for item, v in zip(r.declaration.items, r.unit_values, strict=False)
            if item.hs_code.startswith(hs6)
        ]
        return found[:limit]

    def first_declarations(self, identifiers):
        found = {}
        for r in self._w.decl.values():
            for party in (r.declaration.exporter, r.declaration.importer):
                if party.identifier in identifiers:
                    found[party.identifier] = min(r.id, found.get(party.identifier, r.id))
        return found

    def trader_known(self, identifier):
        return any(
            identifier in (r.declaration.exporter.identifier, r.declaration.importer.identifier)
            for r in self._w.decl.values()
        )


class FakePolicy:
    def __init__(self, work: FakeUnitOfWork) -> None:
        self._w = work

    def add(self, kind, name, source, actor, at):
        version = 1 + max((d.version for d in self._w.docs if d.kind == kind), default=0)
        doc = PolicyDocument(kind, version, name, source, "draft", actor, at)
        self._w.docs.append(doc)
        return doc

    def get(self, kind, version):
        return next((d for d in self._w.docs if d.kind == kind and d.version == version), None)

    def active(self, kind):
        return next((d for d in self._w.docs if d.kind == kind and d.status == "active"), None)

    def all(self, kind):
        return [d for d in self._w.docs if d.kind == kind]

    def activate(self, kind, version, actor, reason, at):
        self._w.docs = [
            dataclasses.replace(d, status="retired")
            if d.kind == kind and d.status == "active"
            else d
            for d in self._w.docs
        ]
        self._w.docs = [
            dataclasses.replace(d, status="active")
            if d.kind == kind and d.version == version
            else d
            for d in self._w.docs
        ]
        self._w.activations.append((kind, version))

    def activation_history(self, kind):
        return [v for k, v in self._w.activations if k == kind]

    def active_versions(self):
        return {d.kind: d.version for d in self._w.docs if d.status == "active"}


class FakeExchange:
    """Partners, their keys and the outbox; enough for the partner and outbox use cases."""

    def __init__(self, work: FakeUnitOfWork) -> None:
        self._w = work

    def add_partner(self, partner: Partner, at: datetime) -> None:
        self._w.partner_rows[partner.administration] = partner

    def partner(self, administration: str) -> Partner | None:
        return self._w.partner_rows.get(administration)

    def partners(self) -> list[Partner]:
        return list(self._w.partner_rows.values())

    def set_message_types(self, administration: str, types: Sequence[str]) -> None:
        p = self._w.partner_rows[administration]
        self._w.partner_rows[administration] = dataclasses.replace(p, message_types=tuple(types))

    def add_key(self, administration: str, key: PartnerKey) -> None:
        rows = self._w.key_rows
        rows[administration] = [*rows.get(administration, []), key]

    def end_keys(self, administration: str, valid_to: datetime, keep: str) -> None:
        self._w.key_rows[administration] = [
            dataclasses.replace(k, valid_to=valid_to) if k.kid != keep and k.valid_to is None else k
            for k in self._w.key_rows.get(administration, [])
        ]

    def keys(self, administration: str) -> list[PartnerKey]:
        return list(self._w.key_rows.get(administration, []))

    def enqueue(self, message: OutboxMessage) -> None:
        self._w.outbox_rows[message.message_id] = message

    def outbox(self, message_id: str) -> OutboxMessage | None:
        return self._w.outbox_rows.get(message_id)

    def traffic(self) -> list[PartnerTraffic]:
        counts: dict[str, dict[str, int]] = {}
        for m in self._w.outbox_rows.values():
            c = counts.setdefault(m.recipient, {"sent": 0, "delivered": 0, "pending": 0, "dead": 0})
            c["sent"] += 1
            if m.status in c:
                c[m.status] += 1
        return [PartnerTraffic(name, **c) for name, c in counts.items()]

    def outbox_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in self._w.outbox_rows.values():
            counts[m.status] = counts.get(m.status, 0) + 1
        return counts

    def dead_letters(self, limit: int) -> list[OutboxMessage]:
        return [m for m in self._w.outbox_rows.values() if m.status == "dead"][:limit]

    def sent_since(self, recipient: str, since: datetime) -> list[str]:
        rows = self._w.outbox_rows.values()
        return [m.message_id for m in rows if m.recipient == recipient and m.created_at >= since]

    def sent_or_delivered_since(self, recipient: str, since: datetime) -> list[str]:
        return [
            m.message_id
            for m in self._w.outbox_rows.values()
            if m.recipient == recipient
            and (m.created_at >= since or (m.delivered_at is not None and m.delivered_at >= since))
        ]

    def requeue(self, message_ids: Sequence[str] | None, now: datetime) -> int:
        rows = self._w.outbox_rows
        chosen = [
            m
            for m in rows.values()
            if (m.status == "dead" if message_ids is None else m.message_id in message_ids)
        ]
        for m in chosen:
            rows[m.message_id] = dataclasses.replace(
                m, status="pending", attempts=0, next_attempt_at=now
            )
        return len(chosen)


class FakeAuditLog:
    """Records what services tell it; `commit` chains the entries onto the store's list."""

    def __init__(self, work: FakeUnitOfWork) -> None:
        self._w = work
        self.pending: list[AuditEntry] = []

    def record(self, kind: str, subject: str, actor: str, data: Mapping[str, Any]) -> None:
        self.pending.append(AuditEntry(kind, subject, actor, {"changes": [dict(data)]}))

    def append_pending(self, at: datetime) -> None:
        if self.pending:
            seq, last = self.head()
            self._w.store.audit.extend(chain(self.pending, seq, last, at))
        self.pending = []

    def head(self) -> tuple[int, str]:
        entries = self._w.store.audit
        return (entries[-1].seq, entries[-1].hash) if entries else (0, GENESIS)

    def entries(self, after: int, limit: int) -> list[StoredRow]:
        chosen = [e for e in self._w.store.audit if e.seq > after][:limit]
        return [
            (e.seq, time_text(e.at), e.actor, e.kind, e.subject, e.canonical, e.hash)
            for e in chosen
        ]

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._w.store.checkpoints.append(checkpoint)

    def checkpoints(self) -> list[Checkpoint]:
        return list(self._w.store.checkpoints)

    def add_partner_checkpoints(self, checkpoints: Sequence[PartnerCheckpoint]) -> None:
        held = self._w.store.partner_checkpoints
        for c in checkpoints:
            if not any(
                (h.administration, h.size, h.head) == (c.administration, c.size, c.head)
                for h in held
            ):
                held.append(c)

    def partner_checkpoints(self, administration: str) -> list[PartnerCheckpoint]:
        held = self._w.store.partner_checkpoints
        return sorted((c for c in held if c.administration == administration), key=lambda c: c.size)

    def of_subject(self, subject: str) -> list[tuple[int, bytes, str]]:
        return [(e.seq, e.canonical, e.hash) for e in self._w.store.audit if e.subject == subject]

    def with_prefix(self, prefix: str) -> list[tuple[int, str, bytes, str]]:
        chosen = [e for e in self._w.store.audit if e.subject.startswith(prefix)]
        return [(e.seq, e.subject, e.canonical, e.hash) for e in chosen]


class FakeRegister:
    """Mandates, the AEO register and consignment draws."""

    def __init__(self, work: FakeUnitOfWork) -> None:
        self._w = work

    def add_mandate(self, mandate: Mandate) -> Mandate:
        added = dataclasses.replace(mandate, id=next(self._w.store.ids))
        self._w.mandate_rows.append(added)
        return added

    def mandates(self, representative: str | None = None) -> list[Mandate]:
        rows = self._w.mandate_rows
        return [m for m in rows if representative is None or m.representative == representative]

    def end_mandate(self, mandate_id: int, valid_to: datetime) -> Mandate | None:
        rows = self._w.mandate_rows
        self._w.mandate_rows = [
            dataclasses.replace(m, valid_to=valid_to) if m.id == mandate_id else m for m in rows
        ]
        return next((m for m in self._w.mandate_rows if m.id == mandate_id), None)

    def add_aeo(self, entry: AeoEntry) -> AeoEntry:
        added = dataclasses.replace(entry, id=next(self._w.store.ids))
        self._w.aeo_rows.append(added)
        return added

    def aeo_entries(self, identifiers: Iterable[str] | None = None) -> list[AeoEntry]:
        wanted = None if identifiers is None else set(identifiers)
        return [e for e in self._w.aeo_rows if wanted is None or e.identifier in wanted]

    def end_aeo(self, entry_id: int, valid_to: datetime) -> AeoEntry | None:
        rows = self._w.aeo_rows
        self._w.aeo_rows = [
            dataclasses.replace(e, valid_to=valid_to) if e.id == entry_id else e for e in rows
        ]
        return next((e for e in self._w.aeo_rows if e.id == entry_id), None)

    def end_aeo_source(self, source: str, valid_to: datetime) -> int:
        ended = 0
        rows = []
        for e in self._w.aeo_rows:
            if e.source == source and (e.valid_to is None or e.valid_to > valid_to):
                e = dataclasses.replace(e, valid_to=valid_to)
                ended += 1
            rows.append(e)
        self._w.aeo_rows = rows
        return ended

    def record_draw(self, draw: ConsignmentDraw) -> None:
        self._w.draw_rows[draw.mrn] = draw

    def draws(self, fingerprint: str, since: datetime) -> list[ConsignmentDraw]:
        found = [
            d for d in self._w.draw_rows.values() if d.fingerprint == fingerprint and d.at >= since
        ]
        return sorted(found, key=lambda d: (d.at, d.mrn))

    def draws_of(self, mrns: Iterable[str]) -> dict[str, ConsignmentDraw]:
        return {m: self._w.draw_rows[m] for m in mrns if m in self._w.draw_rows}

    def cancelled_selections(
        self, since: datetime, until: datetime, fingerprint: str | None = None
    ) -> list[tuple[ConsignmentDraw, str, datetime]]:
        out = []
        for d in sorted(self._w.draw_rows.values(), key=lambda d: (d.at, d.mrn)):
            if fingerprint is not None and d.fingerprint != fingerprint:
                continue
            record = self._w.declarations.get(d.mrn)
            selected = record is not None and record.channel not in (None, "green")
            if since <= d.at <= until and selected and record.status == "cancelled":
                out.append((d, record.channel, record.updated_at))
        return out


class FakeNotifications:
    """Traders' notification endpoints, the notification outbox and its attempts."""

    def __init__(self, work: FakeUnitOfWork) -> None:
        self._w = work

    def add_endpoint(self, endpoint: Endpoint) -> Endpoint:
        added = dataclasses.replace(endpoint, id=next(self._w.store.ids))
        self._w.endpoint_rows.append(added)
        return added

    def endpoints(self, parties: Collection[str]) -> list[Endpoint]:
        return [e for e in self._w.endpoint_rows if e.party in parties]

    def remove_endpoint(self, party: str, endpoint_id: int, by: str, at: datetime) -> bool:
        before = len(self._w.endpoint_rows)
        self._w.endpoint_rows = [
            e for e in self._w.endpoint_rows if not (e.id == endpoint_id and e.party == party)
        ]
        return len(self._w.endpoint_rows) < before

    def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        self._w.delivery_rows.update({d.id: d for d in deliveries})

    def claim(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[tuple[Delivery, Endpoint]]:
        rows = self._w.delivery_rows
        due = sorted(
            (d for d in rows.values() if d.status == "pending" and d.next_attempt_at <= now),
            key=lambda d: d.next_attempt_at,
        )[:limit]
        endpoints = {e.id: e for e in self._w.endpoint_rows}
        for d in due:
            rows[d.id] = dataclasses.replace(d, next_attempt_at=lease_until)
        return [(d, endpoints[d.endpoint_id]) for d in due]

    def record(self, delivery: Delivery, attempt: Attempt) -> None:
        self._w.delivery_rows[delivery.id] = delivery
        self._w.attempt_rows.append((delivery.id, attempt))

    def log(self, party: str, limit: int) -> list[DeliveryLogEntry]:
        endpoints = {e.id: e for e in self._w.endpoint_rows if e.party == party}
        mine = [d for d in self._w.delivery_rows.values() if d.endpoint_id in endpoints]
        mine.sort(key=lambda d: d.created_at, reverse=True)
        return [
            DeliveryLogEntry(
                d, endpoints[d.endpoint_id], [a for i, a in self._w.attempt_rows if i == d.id]
            )
            for d in mine[:limit]
        ]


class FakeReviews:
    """Traders' review requests."""

    def __init__(self, work: FakeUnitOfWork) -> None:
        self._w = work

    def add(self, request: ReviewRequest) -> ReviewRequest:
        added = dataclasses.replace(request, id=next(self._w.store.ids))
        self._w.review_rows.append(added)
        return added

    def get(self, request_id: int) -> ReviewRequest | None:
        return next((r for r in self._w.review_rows if r.id == request_id), None)

    def of_declarations(self, mrns: list[str]) -> list[ReviewRequest]:
        return [r for r in self._w.review_rows if r.mrn in mrns]

    def pending(self, limit: int) -> list[ReviewRequest]:
        waiting = [r for r in self._w.review_rows if r.answered_at is None]
        return sorted(waiting, key=lambda r: r.asked_at, reverse=True)[:limit]

    def answer(self, request: ReviewRequest) -> bool:
        rows = self._w.review_rows
        if not any(r.id == request.id and r.answered_at is None for r in rows):
            return False
        self._w.review_rows = [request if r.id == request.id else r for r in rows]
        return True


class FakeUnitOfWork:
    """Works on private copies of the store; `commit` publishes them, anything else drops them."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.declarations = FakeDeclarations(self)
        self.users = FakeUsers(self)
        self.nomenclature = FakeNomenclature(self)
        self.clearance = FakeClearance(self)
        self.policy = FakePolicy(self)
        self.exchange = FakeExchange(self)
        self.audit = FakeAuditLog(self)
        self.register = FakeRegister(self)
        self.notifications = FakeNotifications(self)
        self.reviews = FakeReviews(self)
        self.cargo = FakeCargo(self)
        self.contract_drafts = FakeContractDrafts()
        self.rollback()

    def __enter__(self) -> Self:
        self.rollback()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        s = self.store
        s.declarations, s.events = dict(self.decl), list(self.evts)
        s.users, s.hs = dict(self.usr), dict(self.hs_rows)
        s.rows, s.docs, s.activations = list(self.rows), list(self.docs), list(self.activations)
        s.partners, s.keys = dict(self.partner_rows), dict(self.key_rows)
        s.outbox = dict(self.outbox_rows)
        s.mandates, s.aeo = list(self.mandate_rows), list(self.aeo_rows)
        s.draws = dict(self.draw_rows)
        s.notify_endpoints, s.notify_deliveries = list(self.endpoint_rows), dict(self.delivery_rows)
        s.notify_attempts = list(self.attempt_rows)
        s.reviews = list(self.review_rows)
        s.commits += 1
        self.audit.append_pending(datetime(2026, 5, 4, 8, 0, tzinfo=UTC) + timedelta(s.commits))

    def rollback(self) -> None:
        s = self.store
        self.decl = dict(s.declarations)
        self.evts = list(s.events)
        self.usr = dict(s.users)
        self.hs_rows = dict(s.hs)
        self.rows, self.docs = list(s.rows), list(s.docs)
        self.activations = list(s.activations)
        self.partner_rows, self.key_rows = dict(s.partners), dict(s.keys)
        self.outbox_rows = dict(s.outbox)
        self.audit.pending = []
        self.mandate_rows, self.aeo_rows = list(s.mandates), list(s.aeo)
        self.draw_rows = dict(s.draws)
        self.endpoint_rows, self.delivery_rows = list(s.notify_endpoints), dict(s.notify_deliveries)
        self.attempt_rows = list(s.notify_attempts)
        self.review_rows = list(s.reviews)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 5, 4, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def fake_context(
    store: FakeStore | None = None, clock: Clock | None = None, nomenclature: bool = True
) -> NodeContext:
    store = store or FakeStore()
    codes = CodeLists(
        COUNTRIES, CURRENCIES, HsNomenclature("test", SUBHEADINGS) if nomenclature else None
    )
    rules = NodeRules(
        country="CN", offices=frozenset({"CNKJB", "CNKSG"}), crossings=frozenset({"KHUNJERAB"})
    )
    return NodeContext(
        "CN-URC",
        rules,
        codes,
        lambda: FakeUnitOfWork(store),
        clock or Clock(),
        currency="CNY",
        selection_key=b"test-selection-key",
        policy=PolicyCache(Parsers(CURRENCIES, "CNY")),
    )
