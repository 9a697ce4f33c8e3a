"""Delivery: the relay sends what is due, with backoff, and trusts only signed receipts.

A message is marked delivered only with the partner's valid signed receipt naming it and the
digest of what was sent; each attempt carries the relay's signed delivery proof (who, to whom,
`sent_at`, the messages' digests: `delivery.py`), signed afresh on every retry, so a message
held back by an outage is still accepted when it goes through. Anything else is a failure,
retried with exponential backoff and jitter until the message is given up as a dead letter.

A refusal that sending the same message again cannot cure (`PERMANENT_REFUSALS`: the partner
does not take its type from us, does not know us, or finds it malformed) makes the message a
dead letter at once, with the partner's reason: retrying it for hours would only hide the
cause. Once the cause is mended (the partner's agreement changed), an administrator replays
it (`overview.replay`) and it is delivered as any other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from karakoram.domain.exchange.envelope import Refused
from karakoram.services.exchange.config import (
    MAX_BATCH_BYTES_OUT,
    DeliveryFailed,
    ExchangeConfig,
)
from karakoram.services.exchange.delivery import sign_delivery
from karakoram.services.exchange.receive import check_not_revoked
from karakoram.services.ports import PeerTransport, UnitOfWork, UnitOfWorkFactory
from karakoram.services.records import OutboxMessage, PartnerKey, PartnerRefusal

#: the partner's refusal codes (services/exchange/receive.py) that the same message sent
#: again would get again: only people (an agreement, a registration, a fix) can change them
PERMANENT_REFUSALS = frozenset(
    {"not_shared", "unknown_sender", "wrong_recipient", "schema", "malformed", "conflict"}
)
#: how a failure that will not pass by retrying is marked in the outbox's error
PERMANENT_MARK = "Refused by the partner for good"


@dataclass
class RelayStats:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    #: (partner, "delivered" | "retried" | "dead") -> messages
    by_partner: Counter[tuple[str, str]] = field(default_factory=Counter)


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
        if not due:  # an idle poll reads nothing else
            return RelayStats()
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
        stats.by_partner.update((to, "delivered") for to in receipts_to(due, outcomes))
        back = {m.recipient for m, (r, _) in zip(due, outcomes, strict=True) if r and m.attempts}
        for recipient in back:  # before this pass's failures get their backoff
            uow.exchange.wake(recipient, clock())
        for message, (receipt, error) in zip(due, outcomes, strict=True):
            if receipt is None:
                _record_failure(uow, message, error, config, clock, stats)
        uow.commit()
    return stats


def receipts_to(
    due: list[OutboxMessage], outcomes: list[tuple[str | None, str | None]]
) -> list[str]:
    """The recipient of each message delivered with a receipt."""
    return [m.recipient for m, (r, _) in zip(due, outcomes, strict=True) if r]


def _deliver_all(
    due: list[OutboxMessage],
    bases: dict[str, str],
    keys: dict[str, list[PartnerKey]],
    config: ExchangeConfig,
    transport: PeerTransport,
    clock: Callable[[], datetime],
) -> list[tuple[str | None, str | None]]:
    """Send each partner its messages in batches; outcomes in the order of `due`.

    The batches go out one after the other from a sending thread while this one checks the
    receipts of those already answered: the partner works on the next batch while the
    receipts of the last are verified here (one request in flight at a time, as before)."""
    outcomes: dict[str, tuple[str | None, str | None]] = {}
    jobs: list[tuple[str, list[OutboxMessage]]] = []
    for recipient in dict.fromkeys(m.recipient for m in due):
        mine = [m for m in due if m.recipient == recipient]
        chunks = _batches(mine, config.batch_size, MAX_BATCH_BYTES_OUT // 2)
        jobs += [(recipient, chunk) for chunk in chunks]

    def send(recipient: str, chunk: list[OutboxMessage]) -> list[str | PartnerRefusal | None]:
        tokens = [m.token for m in chunk]
        proof = sign_delivery(config, recipient, tokens, clock())  # signed afresh per attempt
        return transport.deliver_many(bases[recipient], tokens, proof)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-send") as sender:
        answers = [sender.submit(send, recipient, chunk) for recipient, chunk in jobs]
        for (recipient, chunk), answer in zip(jobs, answers, strict=True):
            try:
                receipts = answer.result()
            except DeliveryFailed as exc:
                outcomes.update({m.message_id: (None, f"DeliveryFailed: {exc}") for m in chunk})
                continue
            now = clock()  # one reading per batch answered
            for message, receipt in zip(chunk, receipts, strict=True):
                outcomes[message.message_id] = _checked(
                    message, receipt, keys[recipient], config, now
                )
    return [outcomes[m.message_id] for m in due]


def _batches(messages: list[OutboxMessage], size: int, max_bytes: int) -> list[list[OutboxMessage]]:
    """Batches of at most `size` messages and about `max_bytes` (a message over it alone)."""
    found: list[list[OutboxMessage]] = []
    current: list[OutboxMessage] = []
    weight = 0
    for message in messages:
        if current and (len(current) >= size or weight + len(message.token) > max_bytes):
            found.append(current)
            current, weight = [], 0
        current.append(message)
        weight += len(message.token)
    return [*found, current] if current else found


def _checked(
    message: OutboxMessage,
    receipt: str | PartnerRefusal | None,
    keys: list[PartnerKey],
    config: ExchangeConfig,
    now: datetime,
) -> tuple[str | None, str | None]:
    if receipt is None:
        return None, "Refused by the partner (see its refusals)"
    if isinstance(receipt, PartnerRefusal):
        mark = PERMANENT_MARK if receipt.code in PERMANENT_REFUSALS else "Refused by the partner"
        return None, f"{mark}: {receipt.code}: {receipt.detail}".rstrip(": ")
    try:
        _check_receipt(receipt, message, keys, config, now)
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
    permanent = error is not None and error.startswith(PERMANENT_MARK)
    dead = permanent or attempts >= config.max_attempts
    retry_at = None if dead else clock() + config.retry_delay(attempts)
    uow.exchange.failed(message.message_id, error or "unknown", retry_at)
    stats.dead += dead
    stats.retried += not dead
    stats.by_partner[(message.recipient, "dead" if dead else "retried")] += 1


def _check_receipt(
    receipt: str,
    message: OutboxMessage,
    keys: list[PartnerKey],
    config: ExchangeConfig,
    now: datetime,
) -> None:
    decoded = config.crypto.decode(receipt)
    check_not_revoked(decoded.kid, keys, message.recipient, now)
    config.crypto.verify(decoded, keys, message.recipient, now)
    body = decoded.payload
    if body.get("message_id") != message.message_id:
        raise Refused("schema", "The receipt names another message.")
    if body.get("digest") != config.crypto.digest(message.token):
        raise Refused("schema", "The receipt's digest is not that of the message sent.")
