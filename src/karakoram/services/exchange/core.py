"""The exchange between administrations: emit, relay, receive, receipt.

Outbound messages are signed and written to the outbox in the same transaction as the change
that causes them. A relay delivers them with exponential backoff and jitter and marks one
delivered only with the partner's valid signed receipt. Inbound messages are verified, recorded
(message id unique) and applied in one transaction; a duplicate gets the original receipt.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from karakoram.domain.clearance import Action, DeclarationEvent
from karakoram.domain.declaration.model import (
    DeclarationRecord,
    DeclarationType,
    declaration_to_dict,
)
from karakoram.domain.exchange.envelope import (
    Envelope,
    MessageType,
    Refused,
    Window,
    check_addressing,
    parse_envelope,
)
from karakoram.services.ports import MessageCrypto, PeerTransport, UnitOfWork, UnitOfWorkFactory
from karakoram.services.records import (
    DuplicateMessage,
    InboxMessage,
    OutboxMessage,
    Partner,
    PartnerKey,
    PartnerRecord,
)


class DeliveryFailed(Exception):
    """The partner did not answer with a receipt (down, refused, timed out)."""


@dataclass
class ExchangeConfig:
    me: str
    crypto: MessageCrypto
    new_id: Callable[[], str]
    window: Window = field(default_factory=Window)
    max_attempts: int = 12
    #: messages sent to one partner in one request
    batch_size: int = 100
    backoff_base: float = 1.0
    backoff_cap: float = 600.0
    #: how long a claimed message is reserved for the relay that claimed it: longer than one
    #: pass can take (its requests time out), short enough that a killed relay's messages
    #: are soon sent again
    lease: timedelta = timedelta(minutes=2)
    rng: random.Random = field(default_factory=random.Random)

    def retry_delay(self, attempts: int) -> timedelta:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2**attempts)
        return timedelta(seconds=ceiling / 2 + self.rng.random() * ceiling / 2)


def counterpart_country(record: DeclarationRecord) -> str:
    d = record.declaration
    return d.importer.country if d.type is DeclarationType.EXPORT else d.exporter.country


def emit(
    uow: UnitOfWork,
    config: ExchangeConfig,
    now: datetime,
    record: DeclarationRecord,
    kind: MessageType,
    body: dict[str, Any],
) -> OutboxMessage | None:
    """Queue a signed message to the partner on the other side, if one shares this type."""
    country = counterpart_country(record)
    partner = next(
        (
            p
            for p in uow.exchange.partners()
            if p.country == country and kind.value in p.message_types
        ),
        None,
    )
    if partner is None:
        return None
    envelope = Envelope(
        config.new_id(),
        kind,
        config.me,
        partner.administration,
        now,
        {"ucr": record.declaration.ucr, "mrn": record.mrn},
        body,
    )
    message = OutboxMessage(
        envelope.id,
        partner.administration,
        kind.value,
        record.declaration.ucr,
        config.crypto.sign(envelope.as_dict()),
        "pending",
        0,
        now,
        now,
    )
    uow.exchange.enqueue(message)
    return message


def messages_for(
    record: DeclarationRecord, event: DeclarationEvent, uow: UnitOfWork
) -> list[tuple[MessageType, dict[str, Any]]]:
    """What the partner must hear about this change of a declaration."""
    at = event.at.isoformat()
    d = record.declaration
    parties = [d.exporter.identifier, d.importer.identifier]
    out: list[tuple[MessageType, dict[str, Any]]] = []
    if event.action in (Action.INSPECT.value, Action.CHECK_DOCUMENTS.value):
        control = uow.clearance.controls(record.mrn)[-1]
        out.append(
            (
                MessageType.CONTROL_RESULT,
                {
                    "kind": control.kind,
                    "result": control.result,
                    "findings": control.findings,
                    "at": at,
                    "parties": parties,
                },
            )
        )
    if d.type is DeclarationType.EXPORT:
        if event.action == Action.RELEASE.value:
            out.append(
                (
                    MessageType.EXPORT_PRE_ARRIVAL,
                    {"declaration": declaration_to_dict(d), "released_at": at},
                )
            )
        if event.to_state == "exited":
            out.append((MessageType.EXIT_CONFIRMATION, {"exited_at": at, "crossing": d.crossing}))
    else:
        outcome = {
            Action.RELEASE.value: "accepted",
            Action.SEIZE.value: "refused",
            Action.HOLD.value: "discrepancy",
        }.get(event.action)
        if outcome:
            body: dict[str, Any] = {
                "outcome": outcome,
                "reasons": [event.reason or ""],
                "at": at,
                "parties": parties,
            }
            if outcome == "accepted":  # what was cleared, for the exporting side's mirror report
                body |= {"declaration": declaration_to_dict(d), "released_at": at}
            out.append((MessageType.IMPORT_CLEARANCE_RESULT, body))
    return out


def publish(
    uow: UnitOfWork,
    config: ExchangeConfig | None,
    changes: Sequence[tuple[DeclarationRecord, DeclarationEvent]],
) -> None:
    """Store events and queue the messages they cause, in the caller's transaction."""
    uow.declarations.add_events((r.mrn, e) for r, e in changes)
    if config is None:
        return
    for record, event in changes:
        for kind, body in messages_for(record, event, uow):
            emit(uow, config, event.at, record, kind, body)


@dataclass(frozen=True, slots=True)
class Received:
    receipt: str
    duplicate: bool


#: tries of a batch that lost a race to a concurrent delivery of one of its messages
_BATCH_TRIES = 3


def receive(
    token: str, config: ExchangeConfig, uow_factory: UnitOfWorkFactory, now: datetime
) -> Received:
    """Verify, record and apply one inbound message; the same message again is a no-op."""
    (outcome,) = receive_many([token], config, uow_factory, lambda: now)
    if isinstance(outcome, Refused):
        raise outcome
    return outcome


def receive_many(
    tokens: Sequence[str],
    config: ExchangeConfig,
    uow_factory: UnitOfWorkFactory,
    clock: Callable[[], datetime],
) -> list[Received | Refused]:
    """Verify, record and apply a batch in one transaction, answering each message on its own.

    A refused message is recorded and answered with its reason while the others apply; a
    message already held (or twice in the batch) gets the first receipt and changes nothing.
    When a concurrent delivery records one of the ids first (`DuplicateMessage`, PostgreSQL
    with several workers), the whole batch is rolled back and tried again: the retry sees the
    winner's rows as held, so nothing is applied twice."""
    for _ in range(_BATCH_TRIES - 1):
        try:
            return _receive_batch(tokens, config, uow_factory, clock)
        except DuplicateMessage:
            continue
    return _receive_batch(tokens, config, uow_factory, clock)


def _receive_batch(
    tokens: Sequence[str],
    config: ExchangeConfig,
    uow_factory: UnitOfWorkFactory,
    clock: Callable[[], datetime],
) -> list[Received | Refused]:
    now = clock()
    with uow_factory() as uow:
        partners = _PartnerLookup(uow)
        checked = [_checked_inbound(token, config, partners, now) for token in tokens]
        held = uow.exchange.inbox_receipts([e.id for e in checked if isinstance(e, Envelope)])
        at = clock()  # as close to the commit as we can say it
        outcomes: list[Received | Refused] = []
        new_inbox: list[InboxMessage] = []
        new_records: list[PartnerRecord] = []
        for token, item in zip(tokens, checked, strict=True):
            if isinstance(item, Refused):
                sender = _claimed_sender(token, config)
                digest = config.crypto.digest(token)
                uow.exchange.add_refusal(sender, item.code, item.detail, digest, len(token), at)
                outcomes.append(item)
            elif item.id in held:
                outcomes.append(Received(held[item.id], duplicate=True))
            else:
                message = _inbox_message(token, item, config, at)
                held[item.id] = message.receipt
                new_inbox.append(message)
                new_records.append(_partner_record(message, item))
                outcomes.append(Received(message.receipt, duplicate=False))
        uow.exchange.add_inbox_many(new_inbox)
        uow.exchange.add_partner_records(new_records)
        uow.commit()
    return outcomes


class _PartnerLookup:
    """Partners and their keys, read once per batch."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._seen: dict[str, tuple[Partner | None, list[PartnerKey]]] = {}

    def __call__(self, sender: str) -> tuple[Partner | None, list[PartnerKey]]:
        if sender not in self._seen:
            partner = self._uow.exchange.partner(sender)
            keys = self._uow.exchange.keys(sender) if partner else []
            self._seen[sender] = (partner, keys)
        return self._seen[sender]


def _checked_inbound(
    token: str, config: ExchangeConfig, partners: _PartnerLookup, now: datetime
) -> Envelope | Refused:
    try:
        return _verified(token, config, partners, now)
    except Refused as refused:
        return refused


def _verified(
    token: str, config: ExchangeConfig, partners: _PartnerLookup, now: datetime
) -> Envelope:
    claimed = config.crypto.peek(token)
    sender = str(claimed.get("sender", ""))
    partner, keys = partners(sender)
    if partner is None:
        raise Refused("unknown_sender", f"{sender or 'The sender'} is not a registered partner.")
    created = parse_envelope(claimed).created_at
    payload = config.crypto.verify(token, keys, sender, created)
    envelope = parse_envelope(payload)
    check_addressing(envelope, config.me, now, config.window)
    if envelope.type.value not in partner.message_types:
        raise Refused("not_shared", f"{envelope.type.value} is not shared with {sender}.")
    return envelope


def _inbox_message(
    token: str, envelope: Envelope, config: ExchangeConfig, at: datetime
) -> InboxMessage:
    digest = config.crypto.digest(token)
    receipt = config.crypto.sign(
        {
            "message_id": envelope.id,
            "digest": digest,
            "receiver": config.me,
            "received_at": at.isoformat(),
        }
    )
    return InboxMessage(
        envelope.id,
        envelope.sender,
        envelope.type.value,
        envelope.ucr,
        token,
        digest,
        receipt,
        envelope.created_at,
        at,
    )


def _partner_record(message: InboxMessage, envelope: Envelope) -> PartnerRecord:
    """Keep what the partner said, by UCR; facts accumulate, so order does not matter."""
    body = envelope.body
    declared = body.get("declaration", {})
    parties = body.get("parties") or [
        declared.get(role, {}).get("identifier", "") for role in ("exporter", "importer")
    ]
    return PartnerRecord(
        envelope.ucr,
        envelope.sender,
        envelope.type.value,
        message.message_id,
        envelope.references.get("mrn"),
        body,
        envelope.created_at,
        tuple(str(p)[:35] for p in parties if p),
    )


def _claimed_sender(token: str, config: ExchangeConfig) -> str | None:
    try:
        return str(config.crypto.peek(token).get("sender", ""))[:100] or None
    except Refused:
        return None


@dataclass
class RelayStats:
    delivered: int = 0
    retried: int = 0
    dead: int = 0


def relay_once(
    config: ExchangeConfig,
    transport: PeerTransport,
    uow_factory: UnitOfWorkFactory,
    clock: Callable[[], datetime],
    limit: int = 100,
) -> RelayStats:
    """Deliver the messages that are due; each is marked delivered only with a valid receipt.

    Messages are claimed in one short transaction (leased, so another relay leaves them alone),
    delivered with no transaction open, and the outcomes recorded in another: a slow partner
    never holds the database. A relay killed mid-batch leaves its leases to expire; the
    messages are then sent again and the partner answers duplicates with the first receipt.
    When a message that had failed gets through, the partner is back: its other messages
    waiting out their backoff are made due at once, so a backlog drains now rather than
    when each message's retry time comes."""
    with uow_factory() as uow:
        due = uow.exchange.claim_due(clock(), limit)
        uow.exchange.lease([m.message_id for m in due], clock() + config.lease)
        bases = {p.administration: p.base_url for p in uow.exchange.partners()}
        keys = {name: uow.exchange.keys(name) for name in bases}
        uow.commit()
    outcomes = _deliver_all(due, bases, keys, config, transport, clock)
    stats = RelayStats()
    with uow_factory() as uow:
        receipts = [(m.message_id, r) for m, (r, _) in zip(due, outcomes, strict=True) if r]
        uow.exchange.delivered_many(receipts, clock())
        stats.delivered = len(receipts)
        back = {m.recipient for m, (r, _) in zip(due, outcomes, strict=True) if r and m.attempts}
        for recipient in back:  # before this pass's failures get their backoff
            uow.exchange.wake(recipient, clock())
        for message, (receipt, error) in zip(due, outcomes, strict=True):
            if receipt is None:
                _record_failure(uow, message, error, config, clock, stats)
        uow.commit()
    return stats


def _deliver_all(
    due: list[OutboxMessage],
    bases: dict[str, str],
    keys: dict[str, list[PartnerKey]],
    config: ExchangeConfig,
    transport: PeerTransport,
    clock: Callable[[], datetime],
) -> list[tuple[str | None, str | None]]:
    """Send each partner its messages in batches; outcomes in the order of `due`."""
    outcomes: dict[str, tuple[str | None, str | None]] = {}
    for recipient in {m.recipient for m in due}:
        mine = [m for m in due if m.recipient == recipient]
        for start in range(0, len(mine), config.batch_size):
            chunk = mine[start : start + config.batch_size]
            try:
                receipts = transport.deliver_many(bases[recipient], [m.token for m in chunk])
            except DeliveryFailed as exc:
                outcomes.update({m.message_id: (None, f"DeliveryFailed: {exc}") for m in chunk})
                continue
            for message, receipt in zip(chunk, receipts, strict=True):
                outcomes[message.message_id] = _checked(
                    message, receipt, keys[recipient], config, clock
                )
    return [outcomes[m.message_id] for m in due]


def _checked(
    message: OutboxMessage,
    receipt: str | None,
    keys: list[PartnerKey],
    config: ExchangeConfig,
    clock: Callable[[], datetime],
) -> tuple[str | None, str | None]:
    if receipt is None:
        return None, "Refused by the partner (see its refusals)"
    try:
        _check_receipt(receipt, message, keys, config, clock())
    except Refused as exc:
        return None, f"Refused: {exc}"
    return receipt, None


def _record_failure(
    uow: UnitOfWork,
    message: OutboxMessage,
    error: str | None,
    config: ExchangeConfig,
    clock: Callable[[], datetime],
    stats: RelayStats,
) -> None:
    attempts = message.attempts + 1
    dead = attempts >= config.max_attempts
    retry_at = None if dead else clock() + config.retry_delay(attempts)
    uow.exchange.failed(message.message_id, error or "unknown", retry_at)
    stats.dead += dead
    stats.retried += not dead


def _check_receipt(
    receipt: str,
    message: OutboxMessage,
    keys: list[PartnerKey],
    config: ExchangeConfig,
    now: datetime,
) -> None:
    body = config.crypto.verify(receipt, keys, message.recipient, now)
    if body.get("message_id") != message.message_id:
        raise Refused("schema", "The receipt names another message.")
    if body.get("digest") != config.crypto.digest(message.token):
        raise Refused("schema", "The receipt's digest is not that of the message sent.")


def held_since(
    token: str, config: ExchangeConfig, uow_factory: UnitOfWorkFactory, now: datetime
) -> list[str]:
    """For a partner's signed reconciliation query: the ids we hold from it since a time."""
    claimed = config.crypto.peek(token)
    sender = str(claimed.get("sender", ""))
    with uow_factory() as uow:
        if uow.exchange.partner(sender) is None:
            raise Refused("unknown_sender", f"{sender or 'The sender'} is not a partner.")
        query = config.crypto.verify(token, uow.exchange.keys(sender), sender, now)
        if query.get("recipient") != config.me or query.get("kind") != "reconcile":
            raise Refused("wrong_recipient", "Not a reconciliation query for this node.")
        since = datetime.fromisoformat(str(query["since"]))
        return uow.exchange.received_since(sender, since)


def reconciliation_query(
    config: ExchangeConfig, partner: str, since: datetime, now: datetime
) -> str:
    return config.crypto.sign(
        {
            "kind": "reconcile",
            "sender": config.me,
            "recipient": partner,
            "since": since.isoformat(),
            "created_at": now.isoformat(),
        }
    )


def resend_missing(
    partner: str,
    since: datetime,
    held: Sequence[str],
    uow_factory: UnitOfWorkFactory,
    now: datetime,
) -> list[str]:
    """Queue again every message sent to `partner` since `since` that it does not hold."""
    with uow_factory() as uow:
        missing = sorted(set(uow.exchange.sent_since(partner, since)) - set(held))
        if missing:
            uow.exchange.requeue(missing, now)
            uow.commit()
    return missing
