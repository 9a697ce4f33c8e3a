"""The rows a received message leaves besides what it changes (apply.py): its inbox row with
the signed receipt, the partner's record of it, and a partner's own key revocation."""

from __future__ import annotations

import logging
from datetime import datetime

from karakoram.domain.exchange import bodies as b
from karakoram.domain.exchange.envelope import Envelope
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import InboxMessage, PartnerRecord

log = logging.getLogger("karakoram.services.exchange.receive")


def inbox_message(
    token: str, digest: str, envelope: Envelope, config: ExchangeConfig, at: datetime
) -> InboxMessage:
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


def partner_record(message: InboxMessage, envelope: Envelope) -> PartnerRecord:
    """Keep what the partner said, by UCR; facts accumulate, so order does not matter."""
    return PartnerRecord(
        envelope.ucr,
        envelope.sender,
        envelope.type.value,
        message.message_id,
        envelope.references.get("mrn"),
        envelope.body.recorded(),
        envelope.created_at,
        tuple(p[:35] for p in envelope.body.named_parties if p),
    )


def apply_key_revocation(uow: UnitOfWork, envelope: Envelope, at: datetime) -> None:
    """A partner ended one of its own keys: end it here at once (an earlier revocation's time
    stands; a time in the future is now)."""
    if not isinstance(envelope.body, b.KeyRevoked):
        return
    try:
        when = min(datetime.fromisoformat(envelope.body.revoked_at), at)
    except (TypeError, ValueError):  # no zone, or not a time: at once
        when = at
    if uow.exchange.revoke_key(envelope.sender, envelope.body.kid, when):
        log.warning("%s revoked its key %s at %s", envelope.sender, envelope.body.kid, when)
