"""The expo's inbox for the customs nodes it trusts: the exchange's own checks and envelope
(DESIGN.md, "The exchange between administrations"), reused from the node.

A request carries the sending relay's signed delivery proof, checked first (signed by the
node's key, addressed to the expo, `sent_at` within the clock window): otherwise the whole
request is refused. Each message is then checked on its own: signed by the sender's key valid
when it was created, addressed to the expo, of a type a node may send the expo
(`trade_summary`, `tariff_published`, `clearance_result`, `key_revoked`). Its id is recorded
once and what it says applied in the same transaction, and the expo answers with its signed
receipt; the same message again gets the first receipt and changes nothing, another message
under a held id is refused as a conflict.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from karakoram.domain.exchange.bodies import KeyRevoked
from karakoram.domain.exchange.envelope import (
    DecodedMessage,
    Delivery,
    Envelope,
    Refused,
    check_addressing,
    parse_envelope,
)
from karakoram.domain.exchange.expo_bodies import (
    ALWAYS_TO_EXPO,
    NODE_TO_EXPO,
    ClearanceResult,
    PartnerKind,
    TariffPublished,
    TradeSummary,
)
from karakoram.expo.domain.market import NodeSummary, NodeTariff
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.deal_records import ResultRecord
from karakoram.expo.services.ports import ExpoUnitOfWork
from karakoram.expo.services.records import NodeMessage
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.exchange.delivery import check_in_delivery, verified_delivery
from karakoram.services.records import Partner, PartnerKey

log = logging.getLogger(__name__)

#: what a node may send the expo
ACCEPTED = NODE_TO_EXPO | ALWAYS_TO_EXPO


@dataclass(frozen=True, slots=True)
class Answer:
    """One message's outcome: the expo's receipt, or why it was refused."""

    receipt: str | None = None
    duplicate: bool = False
    refused: Refused | None = None


class _Nodes:
    """The trusted nodes and their keys, read once per request, as the exchange's checks
    take them (the node's records)."""

    def __init__(self, uow: ExpoUnitOfWork) -> None:
        self._uow = uow
        self._known = {p.administration: p for p in uow.partners()}
        self._seen: dict[str, tuple[Partner | None, list[PartnerKey]]] = {}

    def __call__(self, sender: str) -> tuple[Partner | None, list[PartnerKey]]:
        if sender not in self._seen:
            found = self._known.get(sender)
            if found is None:
                self._seen[sender] = (None, [])
            else:
                keys = [
                    PartnerKey(k.kid, k.jwk, k.valid_from, k.valid_to)
                    for k in self._uow.partner_keys(sender)
                ]
                partner = Partner(
                    found.administration, found.name, found.country, "", (),
                    PartnerKind.ADMINISTRATION.value,
                )  # fmt: skip
                self._seen[sender] = (partner, keys)
        return self._seen[sender]


def exchange_of(ctx: ExpoContext) -> ExchangeConfig:
    if ctx.exchange is None:
        raise Refused("malformed", "This expo takes no messages: it has no signing key.")
    return ctx.exchange


def receive_batch(delivery: str | None, tokens: list[str], ctx: ExpoContext) -> list[Answer]:
    """Check, record and apply a node's messages in one transaction; an answer for each.
    `Refused` (nothing applied) when the delivery proof does not hold."""
    config = exchange_of(ctx)
    now = ctx.clock()
    with ctx.uow() as uow:
        nodes = _Nodes(uow)
        proof = verified_delivery(delivery, config, nodes, now)
        answers = []
        for token in tokens:
            try:
                answers.append(_one(token, proof, nodes, config, uow, now))
            except Refused as refused:
                log.warning("refused a message from %s: %s", proof.sender, refused.code)
                answers.append(Answer(refused=refused))
        uow.commit()
    return answers


def _one(
    token: str,
    proof: Delivery,
    nodes: _Nodes,
    config: ExchangeConfig,
    uow: ExpoUnitOfWork,
    now: datetime,
) -> Answer:
    message: DecodedMessage = config.crypto.decode(token)
    digest = config.crypto.digest(token)
    check_in_delivery(proof, message.sender, digest)
    held = uow.inbox_message(str(message.payload.get("id")))
    if held is not None and held.digest == digest:
        return Answer(held.receipt, duplicate=True)
    partner, keys = nodes(message.sender)
    if partner is None:
        raise Refused("unknown_sender", f"{message.sender[:40]} is no node this expo trusts.")
    envelope = parse_envelope(message.payload)
    config.crypto.verify(message, keys, message.sender, envelope.created_at)
    if held is not None:
        raise Refused("conflict", f"Message {envelope.id} was received before with other content.")
    check_addressing(envelope, config.me)
    if envelope.type not in ACCEPTED:
        raise Refused("not_shared", f"The expo takes no {envelope.type.value} messages.")
    receipt = config.crypto.sign(
        {"message_id": envelope.id, "digest": digest, "receiver": config.me,
         "received_at": now.isoformat()}
    )  # fmt: skip
    record = NodeMessage(
        envelope.id, envelope.sender, envelope.type.value, digest, token, receipt,
        envelope.created_at, now,
    )  # fmt: skip
    uow.add_inbox(record)
    _apply(uow, envelope, partner.country, record)
    return Answer(receipt)


def _apply(uow: ExpoUnitOfWork, envelope: Envelope, country: str, record: NodeMessage) -> None:
    body = envelope.body
    if isinstance(body, TradeSummary):
        summary = NodeSummary(envelope.sender, country, body.month, body.cells)
        uow.save_summary(summary, body.currency, record)
    elif isinstance(body, TariffPublished):
        agreements = {k: tuple(v) for k, v in body.agreements.items()}
        tariff = NodeTariff(envelope.sender, country, body.version, body.lines, agreements)
        uow.save_tariff(tariff, body.name, record)
    elif isinstance(body, ClearanceResult):
        result = ResultRecord(
            envelope.id, envelope.sender, body.ucr, body.declaration_type, body.status,
            Decimal(body.value), body.currency, datetime.fromisoformat(body.at),
        )  # fmt: skip
        uow.add_clearance_result(result)
    elif isinstance(body, KeyRevoked):
        try:
            when = min(datetime.fromisoformat(body.revoked_at), record.received_at)
        except (TypeError, ValueError):
            when = record.received_at
        uow.end_partner_key(envelope.sender, body.kid, when)
