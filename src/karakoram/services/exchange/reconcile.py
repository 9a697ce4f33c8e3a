"""Reconciliation: which of our messages a partner holds since a time, and sending the rest.

The asking node signs a query; the partner answers with the ids it holds from it
(`held_since`), and the asking node queues again what is missing (`resend_missing`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from karakoram.domain.exchange.bodies import ReconcileRequest
from karakoram.domain.exchange.envelope import Refused
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


def resend_after_restore(
    uow: UnitOfWork, sender: str, body: ReconcileRequest, at: datetime
) -> None:
    """The sender was restored from a backup: what we sent it since then may be lost there.
    Everything to it created or delivered since goes again; its inbox keeps each once."""
    since = datetime.fromisoformat(body.since)
    again = uow.exchange.sent_or_delivered_since(sender, since)
    uow.exchange.requeue(again, at)
    log.warning("%s was restored: %d messages since %s queued again", sender, len(again), since)


def held_since(
    token: str, config: ExchangeConfig, uow_factory: UnitOfWorkFactory, now: datetime
) -> list[str]:
    """For a partner's signed reconciliation query: the ids we hold from it since a time."""
    message = config.crypto.decode(token)
    sender = message.sender
    with uow_factory() as uow:
        if uow.exchange.partner(sender) is None:
            raise Refused("unknown_sender", f"{sender or 'The sender'} is not a partner.")
        config.crypto.verify(message, uow.exchange.keys(sender), sender, now)
        query = message.payload
        if query.get("recipient") != config.me or query.get("kind") != "reconcile":
            raise Refused("wrong_recipient", "Not a reconciliation query for this node.")
        since = datetime.fromisoformat(str(query["since"]))
        return uow.exchange.received_since(sender, since)


def reconciliation_query(
    config: ExchangeConfig, partner: str, since: datetime, now: datetime
) -> str:
    return config.crypto.sign(
        {
            "kind": "reconcile",
            "sender": config.me,
            "recipient": partner,
            "since": since.isoformat(),
            "created_at": now.isoformat(),
        }
    )


def resend_missing(
    partner: str,
    since: datetime,
    held: Sequence[str],
    uow_factory: UnitOfWorkFactory,
    now: datetime,
) -> list[str]:
    """Queue again every message sent to `partner` since `since` that it does not hold."""
    with uow_factory() as uow:
        missing = sorted(set(uow.exchange.sent_since(partner, since)) - set(held))
        if missing:
            uow.exchange.requeue(missing, now)
            uow.commit()
    return missing
