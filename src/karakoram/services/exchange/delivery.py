"""The delivery proof: per attempt, the sending relay signs who sends what to whom, and when.

The relay signs a `Delivery` beside every request it makes (`sign_delivery`); the receiver
checks it before any message it carries (`verified_delivery`): signed by one of the sender's
keys valid and not revoked at its `sent_at`, addressed to this node, and sent within
`ExchangeConfig.delivery_skew` of this node's clock. Only then are the messages' own signatures
checked, at their `created_at`, which is never windowed: a message held back by an outage is
accepted when it finally arrives, and a captured request replayed later is refused as stale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from karakoram.domain.exchange.envelope import (
    Delivery,
    Refused,
    check_delivery,
    parse_delivery,
)
from karakoram.domain.exchange.keys import ClientIdentity
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.records import Partner, PartnerKey

#: the header (single message) or batch field that carries the delivery proof
DELIVERY_HEADER = "X-Karakoram-Delivery"

PartnerLookup = Callable[[str], tuple[Partner | None, list[PartnerKey]]]


def sign_delivery(
    config: ExchangeConfig, recipient: str, tokens: Sequence[str], sent_at: datetime
) -> str:
    """The signed proof of one delivery attempt of `tokens` to `recipient` at `sent_at`."""
    digests = frozenset(config.crypto.digest(t) for t in tokens)
    return config.crypto.sign(Delivery(config.me, recipient, sent_at, digests).as_dict())


def verified_delivery(
    token: str | None, config: ExchangeConfig, partners: PartnerLookup, now: datetime
) -> Delivery:
    """The delivery `token` proves; `Refused` with a `delivery_*` code (or `unknown_sender`,
    `bad_signature`, `wrong_recipient`) when it proves nothing."""
    if not token:
        raise Refused(
            "delivery_missing",
            f"No delivery proof: the sending relay signs each attempt ({DELIVERY_HEADER} "
            "header, or the batch's `delivery` field).",
        )
    try:
        decoded = config.crypto.decode(token.strip())
    except Refused as exc:
        raise Refused("delivery_malformed", f"The delivery proof: {exc.detail}") from exc
    delivery = parse_delivery(decoded.payload)
    partner, keys = partners(delivery.sender)
    if partner is None:
        raise Refused("unknown_sender", f"{delivery.sender} is not a registered partner.")
    key = next((k for k in keys if k.kid == decoded.kid), None)
    # revoked by now refuses too: whoever holds a stolen key can back-date sent_at a little
    if (
        key is not None
        and key.revoked_at is not None
        and key.revoked_at <= max(now, delivery.sent_at)
    ):
        raise Refused(
            "delivery_key_not_valid",
            f"Key {key.kid} of {delivery.sender} was revoked at {key.revoked_at.isoformat()}.",
        )
    try:
        config.crypto.verify(decoded, keys, delivery.sender, delivery.sent_at)
    except Refused as exc:
        if exc.code in ("key_not_valid", "key_revoked"):
            raise Refused("delivery_key_not_valid", exc.detail) from exc
        raise
    check_delivery(delivery, config.me, now, config.delivery_skew)
    return delivery


def check_client(delivery: Delivery, client: ClientIdentity | None, config: ExchangeConfig) -> None:
    """When the node binds partners to TLS client certificates, `Refused` unless `client` is
    the one bound to the delivery's (verified) sender."""
    if not config.client_bindings:
        return
    if client is None:
        raise Refused(
            "client_certificate_required",
            "This node takes deliveries only over mutual TLS: send them to its partner "
            "listener with your client certificate.",
        )
    binding = config.client_bindings.get(delivery.sender)
    if binding is None or not binding.matches(client):
        raise Refused(
            "client_certificate_mismatch",
            f"The client certificate ({client.subject[:120]}) is not the one {delivery.sender} "
            "is bound to here.",
        )


def check_in_delivery(delivery: Delivery, sender: str, digest: str) -> None:
    """`Refused('not_in_delivery')` unless the delivery names this message and its sender."""
    if sender != delivery.sender:
        raise Refused(
            "not_in_delivery",
            f"{delivery.sender} delivers only its own messages; this one names {sender[:40]}.",
        )
    if digest not in delivery.digests:
        raise Refused("not_in_delivery", "The delivery proof does not list this message.")
