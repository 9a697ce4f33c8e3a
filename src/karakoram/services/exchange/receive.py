"""Inbound: verify, record and apply partners' messages; a duplicate gets the first receipt.

Each token is decoded once at the edge (`MessageCrypto.decode`); the sender's key is found
from that value, the envelope is parsed from its payload once, and the signature is checked
against it. A refused message is recorded with its reason, and nothing of it is applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from karakoram.domain.exchange.envelope import (
    DecodedMessage,
    Envelope,
    Refused,
    check_addressing,
    parse_envelope,
)
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.ports import UnitOfWork, UnitOfWorkFactory
from karakoram.services.records import (
    DuplicateMessage,
    InboxMessage,
    Partner,
    PartnerKey,
    PartnerRecord,
)


@dataclass(frozen=True, slots=True)
class Received:
    receipt: str
    duplicate: bool


@dataclass(frozen=True, slots=True)
class _Checked:
    """One inbound token after the checks: its envelope, or why it was refused (and who
    claimed to send it, when the token could be read at all)."""

    token: str
    outcome: Envelope | Refused
    claimed_sender: str | None = None


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
        checked = [_check(token, config, partners, now) for token in tokens]
        envelopes = [c.outcome for c in checked if isinstance(c.outcome, Envelope)]
        held = uow.exchange.inbox_receipts([e.id for e in envelopes])
        at = clock()  # as close to the commit as we can say it
        outcomes: list[Received | Refused] = []
        new_inbox: list[InboxMessage] = []
        new_records: list[PartnerRecord] = []
        for item in checked:
            if isinstance(item.outcome, Refused):
                refused = item.outcome
                digest = config.crypto.digest(item.token)
                uow.exchange.add_refusal(
                    item.claimed_sender, refused.code, refused.detail, digest, len(item.token), at
                )
                outcomes.append(refused)
            elif item.outcome.id in held:
                outcomes.append(Received(held[item.outcome.id], duplicate=True))
            else:
                message = _inbox_message(item.token, item.outcome, config, at)
                held[item.outcome.id] = message.receipt
                new_inbox.append(message)
                new_records.append(_partner_record(message, item.outcome))
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


def _check(token: str, config: ExchangeConfig, partners: _PartnerLookup, now: datetime) -> _Checked:
    """Decode `token` once, then run every check on that value."""
    try:
        message = config.crypto.decode(token)
    except Refused as refused:
        return _Checked(token, refused)
    try:
        return _Checked(token, _verified(message, config, partners, now))
    except Refused as refused:
        return _Checked(token, refused, message.sender[:100] or None)


def _verified(
    message: DecodedMessage, config: ExchangeConfig, partners: _PartnerLookup, now: datetime
) -> Envelope:
    """The envelope of a message that passes every check, in the order of the refusal codes
    a partner sees: unknown sender, schema, key and signature, addressing, agreement."""
    sender = message.sender
    partner, keys = partners(sender)
    if partner is None:
        raise Refused("unknown_sender", f"{sender or 'The sender'} is not a registered partner.")
    envelope = parse_envelope(message.payload)
    config.crypto.verify(message, keys, sender, envelope.created_at)
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
    return PartnerRecord(
        envelope.ucr,
        envelope.sender,
        envelope.type.value,
        message.message_id,
        envelope.references.get("mrn"),
        envelope.body.as_dict(),
        envelope.created_at,
        tuple(p[:35] for p in envelope.body.named_parties if p),
    )
