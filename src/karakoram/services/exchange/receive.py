"""Inbound: verify, record and apply partners' messages; a duplicate gets the first receipt.

Each token is decoded once at the edge (`MessageCrypto.decode`); the sender's key is found
from that value, the envelope is parsed from its payload once, and the signature is checked
against it. A refused message is counted and, when its sender was authenticated or as a
sample of the rest, recorded with its reason; nothing of it is applied. A message id names one
message: the same id again with the same bytes gets the first receipt (whatever its age), with
other signed content it is refused as a conflict.

Every request carries the sending relay's signed delivery proof (`delivery.py`), checked
before any message in it: a stale or unproven request is refused whole (and recorded). A
message's own `created_at` is never windowed; its key must have been valid then and not be
revoked now.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from karakoram.domain.exchange import bodies as b
from karakoram.domain.exchange.contract_signed import CONTRACT_REFUSALS
from karakoram.domain.exchange.envelope import (
    DecodedMessage,
    Delivery,
    Envelope,
    Refused,
    check_addressing,
    parse_envelope,
)
from karakoram.domain.exchange.expo_bodies import may_receive
from karakoram.domain.exchange.keys import ClientIdentity
from karakoram.domain.gate.pre_arrival import PreArrivalCheck
from karakoram.services.contracts.drafts import contract_refusal
from karakoram.services.exchange.apply import apply_received
from karakoram.services.exchange.checkpoints import check_checkpoint, witnessed
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.exchange.delivery import check_client, check_in_delivery, verified_delivery
from karakoram.services.exchange.inbound_rows import (
    apply_key_revocation,
    inbox_message,
    partner_record,
)
from karakoram.services.exchange.reconcile import resend_after_restore
from karakoram.services.observe import NoObservations, Observations
from karakoram.services.ports import UnitOfWork, UnitOfWorkFactory
from karakoram.services.records import (
    DuplicateMessage,
    InboxMessage,
    Partner,
    PartnerCheckpoint,
    PartnerKey,
    PartnerRecord,
)
from karakoram.services.slot_partner import received_slot_message

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Received:
    receipt: str
    duplicate: bool


@dataclass(frozen=True, slots=True)
class _Checked:
    """One inbound token checked: its envelope, the first receipt, or why it was refused."""

    token: str
    outcome: Envelope | Received | Refused
    claimed_sender: str | None = None


_CONTRACT = b.ContractRegistered
_PRE_ARRIVAL = b.MessageType.EXPORT_PRE_ARRIVAL.value
#: refusals a sender cannot cause without its key: each is recorded and logged
AUTHENTICATED = frozenset(
    {"conflict", "wrong_recipient", "delivery_stale", "not_shared", "bad_checkpoint"}
    | {"not_our_trader", "unknown_trader"}
    | CONTRACT_REFUSALS
)
#: refusals of anything else recorded in full per hour, code and claimed sender; then counted
SAMPLE_PER_HOUR = 5

#: tries of a batch that lost a race to a concurrent delivery of one of its messages
_BATCH_TRIES = 3


def receive(
    token: str,
    delivery: str | None,
    config: ExchangeConfig,
    uow_factory: UnitOfWorkFactory,
    now: datetime,
    client: ClientIdentity | None = None,
    observe: Observations | None = None,
) -> Received:
    """Verify, record and apply one inbound message; the same message again is a no-op."""
    (outcome,) = receive_many(
        [token], delivery, config, uow_factory, lambda: now, client, observe=observe
    )
    if isinstance(outcome, Refused):
        raise outcome
    return outcome


def receive_many(
    tokens: Sequence[str],
    delivery: str | None,
    config: ExchangeConfig,
    uow_factory: UnitOfWorkFactory,
    clock: Callable[[], datetime],
    client: ClientIdentity | None = None,
    observe: Observations | None = None,
) -> list[Received | Refused]:
    """Verify, record and apply a batch in one transaction, answering each message on its own.

    A refused message is recorded and answered with its reason while the others apply; a
    message already held (or twice in the batch) gets the first receipt and changes nothing.
    When a concurrent delivery records one of the ids first (`DuplicateMessage`, PostgreSQL
    with several workers), the whole batch is rolled back and tried again: the retry sees the
    winner's rows as held, so nothing is applied twice.

    `delivery` is the sending relay's signed proof of this attempt; when it does not hold
    (`delivery_*` codes) the whole request is refused, recorded, and nothing applied; so is
    one whose TLS `client` certificate is not the one bound to the sender, when the node
    binds partners to certificates (`client_certificate_*`). `observe` is told how many
    messages were accepted, duplicates or refused, and why."""
    observe = observe or NoObservations()
    try:
        outcomes = _receive_with_retries(tokens, (delivery, client), config, uow_factory, clock)
    except Refused as refused:  # the whole request
        observe.received("refused", refused.code, len(tokens))
        raise
    counts = Counter(
        ("refused", o.code)
        if isinstance(o, Refused)
        else ("duplicate" if o.duplicate else "accepted", "")
        for o in outcomes
    )
    for (kind, code), n in counts.items():  # once per kind in the batch, not per message
        observe.received(kind, code, n)
    return outcomes


def _receive_with_retries(
    tokens: Sequence[str],
    proof: tuple[str | None, ClientIdentity | None],
    config: ExchangeConfig,
    uow_factory: UnitOfWorkFactory,
    clock: Callable[[], datetime],
) -> list[Received | Refused]:
    for _ in range(_BATCH_TRIES - 1):
        try:
            return _receive_batch(tokens, proof, config, uow_factory, clock)
        except DuplicateMessage:
            continue
    return _receive_batch(tokens, proof, config, uow_factory, clock)


def _receive_batch(
    tokens: Sequence[str],
    given: tuple[str | None, ClientIdentity | None],
    config: ExchangeConfig,
    uow_factory: UnitOfWorkFactory,
    clock: Callable[[], datetime],
) -> list[Received | Refused]:
    now = clock()
    with uow_factory() as uow:
        partners = _PartnerLookup(uow)
        proof = _proven(uow, given, config, partners, now)
        decoded = [_decode(token, config) for token in tokens]
        ids = [d.payload.get("id") for d in decoded if isinstance(d, DecodedMessage)]
        held = uow.exchange.inbox_held([i for i in ids if isinstance(i, str)])
        pending = _pending_checks(uow, decoded)
        at = clock()  # as close to the commit as we can say it
        outcomes: list[Received | Refused] = []
        new_inbox: list[InboxMessage] = []
        new_records: list[PartnerRecord] = []
        new_checkpoints: list[PartnerCheckpoint] = []
        for token, message in zip(tokens, decoded, strict=True):
            digest = config.crypto.digest(token)
            item = _check(token, message, digest, held, proof, (config, partners, now))
            if isinstance(item.outcome, Envelope) and isinstance(item.outcome.body, _CONTRACT):
                contract = item.outcome.body
                refused = contract_refusal(uow, config.me, contract, config.contracts)
                item = _Checked(token, refused or item.outcome, item.outcome.sender)
            if isinstance(item.outcome, Refused):
                _record_refusal(uow, item, digest, partners, at)
                outcomes.append(item.outcome)
            elif isinstance(item.outcome, Received):
                outcomes.append(item.outcome)
            else:
                inbound = inbox_message(token, digest, item.outcome, config, at)
                held[item.outcome.id] = (inbound.receipt, inbound.digest)
                new_inbox.append(inbound)
                body = item.outcome.body
                if isinstance(body, b.AuditCheckpoint):  # a witness of the partner's history
                    new_checkpoints.append(witnessed(item.outcome, body, at))
                elif isinstance(body, b.ReconcileRequest):
                    resend_after_restore(uow, item.outcome.sender, body, at)
                else:
                    new_records.append(partner_record(inbound, item.outcome))
                    _apply(uow, item.outcome, (partners, pending), at, config)
                    apply_key_revocation(uow, item.outcome, at)
                    received_slot_message(uow, config, item.outcome, at)
                outcomes.append(Received(inbound.receipt, duplicate=False))
        uow.exchange.add_inbox_many(new_inbox)
        uow.exchange.add_partner_records(new_records)
        uow.audit.add_partner_checkpoints(new_checkpoints)
        uow.commit()
    return outcomes


def _record_refusal(
    uow: UnitOfWork, item: _Checked, digest: str, partners: _PartnerLookup, at: datetime
) -> None:
    """Count every refusal; record (and log) it in full when its sender was authenticated,
    or while its hour, code and claimed sender have fewer than `SAMPLE_PER_HOUR`, so junk
    costs one counter update instead of a row each. Senders that are not partners share
    one count."""
    refused = item.outcome
    assert isinstance(refused, Refused)
    claimed = item.claimed_sender
    known = claimed is not None and partners(claimed)[0] is not None
    hour = at.replace(minute=0, second=0, microsecond=0)
    n = uow.exchange.count_refusal(claimed if known and claimed else "", refused.code, hour)
    if refused.code in AUTHENTICATED or n <= SAMPLE_PER_HOUR:
        uow.exchange.add_refusal(claimed, refused.code, refused.detail, digest, len(item.token), at)
        log.warning(
            "refused a message from %s: %s (%s)", claimed or "?", refused.code, refused.detail
        )


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


def _proven(
    uow: UnitOfWork,
    given: tuple[str | None, ClientIdentity | None],
    config: ExchangeConfig,
    partners: _PartnerLookup,
    now: datetime,
) -> Delivery:
    """The request's delivery proof, from the client bound to its sender; or `Refused`,
    raised after recording why (committed)."""
    delivery, client = given
    try:
        proven = verified_delivery(delivery, config, partners, now)
        check_client(proven, client, config)
        return proven
    except Refused as refused:
        token = delivery or ""
        decoded = _decode(token, config)
        claimed = decoded.sender[:100] or None if isinstance(decoded, DecodedMessage) else None
        _record_refusal(
            uow, _Checked(token, refused, claimed), config.crypto.digest(token), partners, now
        )
        uow.commit()
        raise


def _decode(token: str, config: ExchangeConfig) -> DecodedMessage | Refused:
    try:
        return config.crypto.decode(token)
    except Refused as refused:
        return refused


def _check(
    token: str,
    message: DecodedMessage | Refused,
    digest: str,
    held: dict[str, tuple[str, str]],
    proof: Delivery,
    given: tuple[ExchangeConfig, _PartnerLookup, datetime],
) -> _Checked:
    """Run every check on the value decoded once. A message the delivery lists that is held
    already, byte for byte, is answered with its first receipt before any key check: a sender
    retrying after weeks gets it, and nothing is applied again."""
    config, partners, now = given
    if isinstance(message, Refused):
        return _Checked(token, message)
    try:
        check_in_delivery(proof, message.sender, digest)
    except Refused as refused:
        return _Checked(token, refused, message.sender[:100] or None)
    first = held.get(str(message.payload.get("id")))
    if first is not None and first[1] == digest:
        return _Checked(token, Received(first[0], duplicate=True))
    try:
        return _Checked(token, _verified(message, first, config, partners, now))
    except Refused as refused:
        return _Checked(token, refused, message.sender[:100] or None)


def _verified(
    message: DecodedMessage,
    held: tuple[str, str] | None,
    config: ExchangeConfig,
    partners: _PartnerLookup,
    now: datetime,
) -> Envelope:
    """The envelope of a message that passes every check, in the order of the refusal codes
    a partner sees: unknown sender, schema, key and signature, conflict with a message held
    under the same id, addressing, agreement."""
    sender = message.sender
    partner, keys = partners(sender)
    if partner is None:
        raise Refused("unknown_sender", f"{sender or 'The sender'} is not a registered partner.")
    envelope = parse_envelope(message.payload)
    check_not_revoked(message.kid, keys, sender, now)
    config.crypto.verify(message, keys, sender, envelope.created_at)
    if held is not None:
        raise Refused(
            "conflict",
            f"Message {envelope.id} was received before with other content "
            f"(digest {held[1][:16]}...): an id names one message.",
        )
    check_addressing(envelope, config.me)
    if not may_receive(partner.kind, partner.message_types, envelope.type):
        raise Refused("not_shared", f"{envelope.type.value} is not shared with {sender}.")
    if isinstance(envelope.body, b.AuditCheckpoint):
        check_checkpoint(envelope, envelope.body, keys, config)
    return envelope


def check_not_revoked(kid: str | None, keys: list[PartnerKey], signer: str, now: datetime) -> None:
    """`Refused` when `kid` of `signer` was revoked: from then on nothing signed with it is
    accepted, whatever date the message gives itself."""
    key = next((k for k in keys if k.kid == kid), None)
    if key is not None and key.revoked_at is not None and key.revoked_at <= now:
        raise Refused(
            "key_revoked", f"Key {kid} of {signer} was revoked at {key.revoked_at.isoformat()}."
        )


def _apply(
    uow: UnitOfWork,
    envelope: Envelope,
    read: tuple[_PartnerLookup, dict[str, list[PreArrivalCheck]]],
    at: datetime,
    c: ExchangeConfig,
) -> None:
    """What a message changes besides the partner's record of it (exchange/apply.py)."""
    partners, pending = read
    partner, _ = partners(envelope.sender)
    assert partner is not None, "applied only after the sender was verified"
    apply_received(uow, c, envelope, partner.country, at, pending)


def _pending_checks(
    uow: UnitOfWork, decoded: Sequence[DecodedMessage | Refused]
) -> dict[str, list[PreArrivalCheck]]:
    """The pending pre-arrival checks of the UCRs the batch's pre-arrival messages name, in
    one read (each message's own would be one statement each); only read here, applied once
    the message is verified."""
    ucrs = set()
    for message in decoded:
        if isinstance(message, DecodedMessage) and message.payload.get("type") == _PRE_ARRIVAL:
            references = message.payload.get("references")
            if isinstance(references, dict) and "ucr" in references:
                ucrs.add(str(references["ucr"]))
    if not ucrs:
        return {}
    found = uow.pre_arrival.pending_many(sorted(ucrs))
    return {ucr: found.get(ucr, []) for ucr in ucrs}
