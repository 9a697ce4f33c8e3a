"""Messages between administrations: the envelope around a typed body (bodies.py), a token
decoded once, the size limit.

Signing and transport live in adapters; here is what a message *is*, and the checks every
inbound message passes before it may change anything.

Time: a message's signed `created_at` is signed once by its author and never windowed (a
message held back by an outage stays valid; its key must have been valid then and not be
revoked now). Each delivery attempt instead carries a `Delivery`, signed by the sending relay:
who sends to whom, `sent_at`, and the digests of the messages it carries. The receiver accepts
a delivery only when `sent_at` is within `DELIVERY_SKEW` of its own clock and the key that
signed it was valid (and not revoked) at `sent_at`; a captured delivery replayed later is
stale. Refusal codes (stable):

| code | meaning |
|---|---|
| `malformed` | not a compact JWS, or its payload is not a JSON object |
| `too_large` | the body is over the size limit |
| `unknown_sender` | the sender is not a registered partner |
| `unknown_key` | no key with this id for the sender |
| `key_not_valid` | the key was not valid when the message was created |
| `key_revoked` | the key was revoked: nothing signed with it is accepted any more |
| `bad_signature` | the signature does not verify |
| `wrong_recipient` | the message is addressed to another administration |
| `delivery_missing` | the request carries no signed delivery proof |
| `delivery_malformed` | the delivery proof lacks a field or has one of the wrong type |
| `delivery_stale` | the delivery's `sent_at` is more than `DELIVERY_SKEW` from this node's clock |
| `delivery_key_not_valid` | the delivery's key was not valid, or was revoked, at `sent_at` |
| `not_in_delivery` | the message is not among the delivery's digests, or another sent it |
| `schema` | the envelope or body does not have the fields its type requires |
| `not_shared` | the partner agreement does not cover this message type |
| `bad_checkpoint` | an audit checkpoint whose token is not the sender's own signature over it |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from karakoram.domain.errors import KarakoramError
from karakoram.domain.exchange.bodies import Body, MalformedBody, MessageType, parse_body

SCHEMA_VERSION = 1
#: the largest message (a compact JWS) a node accepts, in bytes
MAX_MESSAGE_BYTES = 1_000_000


class Refused(KarakoramError):
    """An inbound message that is not accepted; nothing was applied."""

    title = "Message refused"

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True, slots=True)
class Envelope:
    id: str
    type: MessageType
    sender: str
    recipient: str
    created_at: datetime
    references: dict[str, str]
    body: Body
    schema_version: int = SCHEMA_VERSION

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type.value,
            "schema_version": self.schema_version,
            "sender": self.sender,
            "recipient": self.recipient,
            "created_at": self.created_at.isoformat(),
            "references": self.references,
            "body": self.body.as_dict(),
        }

    @property
    def ucr(self) -> str:
        return self.references.get("ucr", "")


@dataclass(frozen=True, slots=True)
class DecodedMessage:
    """A compact JWS read once at the edge: its header and payload, not yet trusted.

    Verification checks the signature of this value (`MessageCrypto.verify`) rather than
    decoding the token again; `parsed` is the signing adapter's own reading of the token."""

    token: str
    header: dict[str, Any]
    payload: dict[str, Any]
    parsed: object = field(default=None, compare=False, repr=False)

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return None if kid is None else str(kid)

    @property
    def sender(self) -> str:
        """Who the payload says sent it (empty when it says nothing); true once verified."""
        return str(self.payload.get("sender", ""))


#: how far a delivery's `sent_at` may be from the receiver's clock, either way
DELIVERY_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery attempt as the sending relay signed it (not the messages' authorship)."""

    sender: str
    recipient: str
    sent_at: datetime
    #: the digests (SHA-256 of the exact JWS) of the messages the attempt carries
    digests: frozenset[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "delivery",
            "sender": self.sender,
            "recipient": self.recipient,
            "sent_at": self.sent_at.isoformat(),
            "digests": sorted(self.digests),
        }


def parse_delivery(data: Mapping[str, Any]) -> Delivery:
    """A delivery from its signed payload; `Refused('delivery_malformed')` says what is wrong."""
    if data.get("kind") != "delivery":
        raise Refused("delivery_malformed", "That token is not a delivery proof.")
    sender, recipient, digests = data.get("sender"), data.get("recipient"), data.get("digests")
    if not isinstance(sender, str) or not isinstance(recipient, str):
        raise Refused("delivery_malformed", "The delivery must name its sender and recipient.")
    if not isinstance(digests, list) or not all(isinstance(d, str) for d in digests):
        raise Refused("delivery_malformed", "The delivery's digests must be a list of strings.")
    try:
        sent_at = datetime.fromisoformat(str(data.get("sent_at")))
    except ValueError as exc:
        raise Refused("delivery_malformed", f"Bad sent_at: {exc}.") from exc
    if sent_at.tzinfo is None:
        raise Refused("delivery_malformed", "sent_at must carry a time zone.")
    return Delivery(sender, recipient, sent_at, frozenset(digests))


def check_delivery(delivery: Delivery, me: str, now: datetime, skew: timedelta) -> None:
    """`Refused` unless the delivery is for this node and was sent within `skew` of `now`."""
    if delivery.recipient != me:
        raise Refused(
            "wrong_recipient", f"The delivery is for {delivery.recipient}, this node is {me}."
        )
    if abs(delivery.sent_at - now) > skew:
        raise Refused(
            "delivery_stale",
            f"Sent at {delivery.sent_at.isoformat()}, more than {skew} from this node's clock "
            f"({now.isoformat()}): a replay, or one of the two clocks is wrong.",
        )


def parse_envelope(data: Any) -> Envelope:
    """An envelope from a verified payload; `Refused('schema')` lists what is wrong."""
    if not isinstance(data, Mapping):
        raise Refused("malformed", "The payload is not a JSON object.")
    problems = [
        f"{key} is missing"
        for key in ("id", "type", "sender", "recipient", "created_at", "references", "body")
        if key not in data
    ]
    if problems:
        raise Refused("schema", "; ".join(problems) + ".")
    try:
        kind = MessageType(data["type"])
        created = datetime.fromisoformat(str(data["created_at"]))
    except ValueError as exc:
        raise Refused("schema", f"Bad type or created_at: {exc}.") from exc
    if created.tzinfo is None:
        raise Refused("schema", "created_at must carry a time zone.")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise Refused(
            "schema", f"schema_version {data.get('schema_version')!r} is not {SCHEMA_VERSION}."
        )
    references, body = data["references"], data["body"]
    if not isinstance(references, dict) or not isinstance(body, dict):
        raise Refused("schema", "references and body must be objects.")
    try:
        typed = parse_body(kind, body)
    except MalformedBody as exc:
        raise Refused("schema", exc.detail) from exc
    return Envelope(
        str(data["id"]),
        kind,
        str(data["sender"]),
        str(data["recipient"]),
        created,
        {str(k): str(v) for k, v in references.items()},
        typed,
    )


def check_addressing(envelope: Envelope, me: str) -> None:
    """The message is for this node. Its `created_at` is not windowed: the delivery is."""
    if envelope.recipient != me:
        raise Refused(
            "wrong_recipient", f"The message is for {envelope.recipient}, this node is {me}."
        )
