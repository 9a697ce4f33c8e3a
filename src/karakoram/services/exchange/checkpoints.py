"""Inbound audit checkpoints: a partner's signed checkpoint of its own chain is kept only when
the token it carries is the sender's own signature over the size, head and time the message
states (refusal code `bad_checkpoint` otherwise: nothing of the message is kept)."""

from __future__ import annotations

from datetime import datetime

from karakoram.domain.exchange.bodies import AuditCheckpoint
from karakoram.domain.exchange.envelope import Envelope, Refused
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.records import PartnerCheckpoint, PartnerKey

BAD_CHECKPOINT = "bad_checkpoint"


def check_checkpoint(
    envelope: Envelope, body: AuditCheckpoint, keys: list[PartnerKey], config: ExchangeConfig
) -> None:
    """`Refused('bad_checkpoint')` unless `body.token` is signed by one of the sender's keys,
    valid when the checkpoint was made, over exactly the body's size, head and time."""
    sender = envelope.sender
    try:
        at = datetime.fromisoformat(body.at)
        inner = config.crypto.decode(body.token)
        config.crypto.verify(inner, keys, sender, at)
    except ValueError as exc:
        raise Refused(
            BAD_CHECKPOINT, f"The checkpoint's time {body.at!r} is not ISO 8601."
        ) from exc
    except Refused as exc:
        raise Refused(
            BAD_CHECKPOINT,
            f"The checkpoint's token is not {sender}'s signature ({exc.code}: {exc.detail})",
        ) from exc
    signed = inner.payload
    stated = {
        "type": "audit_checkpoint",
        "administration": sender,
        "size": body.size,
        "head": body.head,
        "at": body.at,
    }
    differ = sorted(k for k, v in stated.items() if signed.get(k) != v)
    if differ:
        raise Refused(
            BAD_CHECKPOINT,
            f"The checkpoint's token does not sign what the message states ({', '.join(differ)}).",
        )


def witnessed(
    envelope: Envelope, body: AuditCheckpoint, received_at: datetime
) -> PartnerCheckpoint:
    """What is kept of a checked checkpoint message."""
    return PartnerCheckpoint(
        envelope.sender,
        body.size,
        body.head,
        datetime.fromisoformat(body.at),
        body.token,
        received_at,
    )
