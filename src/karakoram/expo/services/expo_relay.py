"""The expo's relay to the customs nodes: the node's own delivery (a signed delivery proof per
attempt, batches to `POST /exchange/batch`, the node's signed receipt naming each message and
its digest) over the expo's outbox, with the node's backoff and dead letters
(`ExchangeConfig.retry_delay`, `max_attempts`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from karakoram.domain.exchange.envelope import Refused
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.deal_records import OutboundMessage
from karakoram.expo.services.inbox import exchange_of
from karakoram.services.exchange.config import DeliveryFailed, ExchangeConfig
from karakoram.services.exchange.delivery import sign_delivery
from karakoram.services.ports import PeerTransport
from karakoram.services.records import PartnerKey, PartnerRefusal
from karakoram.services.workers import Worker


@dataclass
class ExpoRelayStats:
    delivered: int = 0
    retried: int = 0
    dead: int = 0


def relay_once(ctx: ExpoContext, transport: PeerTransport, limit: int = 100) -> ExpoRelayStats:
    """Deliver what is due; a message is delivered only with the node's valid receipt."""
    config = exchange_of(ctx)
    now = ctx.clock()
    with ctx.uow() as uow:
        due = uow.due(now, limit)
        addresses = uow.node_addresses()
        keys = {
            r: [PartnerKey(k.kid, k.jwk, k.valid_from, k.valid_to) for k in uow.partner_keys(r)]
            for r in {m.recipient for m in due}
        }
    outcomes: dict[str, tuple[str | None, str]] = {}
    for recipient in sorted({m.recipient for m in due}):
        mine = [m for m in due if m.recipient == recipient]
        tokens = [m.token for m in mine]
        try:
            proof = sign_delivery(config, recipient, tokens, ctx.clock())
            receipts = transport.deliver_many(addresses[recipient], tokens, proof)
        except (DeliveryFailed, KeyError) as exc:
            outcomes.update({m.message_id: (None, f"DeliveryFailed: {exc}") for m in mine})
            continue
        for message, receipt in zip(mine, receipts, strict=True):
            outcomes[message.message_id] = _checked(message, receipt, keys[recipient], config, now)
    stats = ExpoRelayStats()
    with ctx.uow() as uow:
        for message in due:
            receipt, error = outcomes[message.message_id]
            if receipt is not None:
                uow.delivered(message.message_id, receipt, ctx.clock())
                stats.delivered += 1
                continue
            dead = message.attempts + 1 >= config.max_attempts
            retry = None if dead else ctx.clock() + config.retry_delay(message.attempts + 1)
            uow.failed(message.message_id, error, retry)
            stats.dead += dead
            stats.retried += not dead
        uow.commit()
    return stats


EXPO_RELAY = "expo relay"


def expo_relay_worker(
    ctx: ExpoContext, transport: PeerTransport, interval: float, limit: int = 100
) -> Worker:
    """The serving expo's relay: `relay_once` repeated, straight on while there is work,
    resting `interval` seconds when idle; under the node's supervision (a failing pass is
    logged and tried again after a back-off), ended at once by its stop event."""

    def step() -> bool:
        stats = relay_once(ctx, transport, limit)
        return stats.delivered + stats.retried + stats.dead >= limit

    return Worker(EXPO_RELAY, step, interval)


def _checked(
    message: OutboundMessage,
    receipt: str | PartnerRefusal | None,
    keys: list[PartnerKey],
    config: ExchangeConfig,
    now: datetime,
) -> tuple[str | None, str]:
    if receipt is None:
        return None, "Refused by the node (see its refusals)"
    if isinstance(receipt, PartnerRefusal):
        return None, f"Refused by the node: {receipt.code}: {receipt.detail}".rstrip(": ")
    try:
        decoded = config.crypto.decode(receipt)
        config.crypto.verify(decoded, keys, message.recipient, now)
        body = decoded.payload
        if body.get("message_id") != message.message_id:
            raise Refused("schema", "The receipt names another message.")
        if body.get("digest") != config.crypto.digest(message.token):
            raise Refused("schema", "The receipt's digest is not that of the message sent.")
    except Refused as exc:
        return None, f"Refused: {exc}"
    return receipt, ""
