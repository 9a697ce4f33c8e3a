"""Messages between administrations: the envelope around a typed body (bodies.py), a token
decoded once, the size limit.

Signing and transport live in adapters; here is what a message *is*, and the checks every
inbound message passes before it may change anything. Refusal codes (stable):

| code | meaning |
|---|---|
| `malformed` | not a compact JWS, or its payload is not a JSON object |
| `too_large` | the body is over the size limit |
| `unknown_sender` | the sender is not a registered partner |
| `unknown_key` | no key with this id for the sender |
| `key_not_valid` | the key was not valid when the message was created |
| `bad_signature` | the signature does not verify |
| `wrong_recipient` | the message is addressed to another administration |
| `outside_clock_window` | created too long before (a replay) or after (a skewed clock) now |
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


@dataclass(frozen=True, slots=True)
class Window:
    """How old (replay) or how far ahead (skew) a message's creation time may be."""

    past: timedelta = timedelta(days=30)
    future: timedelta = timedelta(minutes=5)


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


def check_addressing(envelope: Envelope, me: str, now: datetime, window: Window) -> None:
    if envelope.recipient != me:
        raise Refused(
            "wrong_recipient", f"The message is for {envelope.recipient}, this node is {me}."
        )
    if envelope.created_at < now - window.past:
        raise Refused(
            "outside_clock_window",
            f"Created {envelope.created_at.isoformat()}, before the window of "
            f"{window.past} (a replay?).",
        )
    if envelope.created_at > now + window.future:
        raise Refused(
            "outside_clock_window",
            f"Created {envelope.created_at.isoformat()}, in the future beyond "
            f"{window.future}: check the sender's clock.",
        )
