"""After a restore: ask every partner to send again what this node may have missed.

A database restored from a backup lacks what happened after the backup. Messages a partner
delivered since then are receipted on the partner's side (so its relay will not send them
again) but are gone here. The restored node therefore queues a signed `reconcile_request` to
each partner, naming the time of the backup; the partner's inbox queues again every message
to this node created or delivered since then (services/exchange/receive.py), and this node's
inbox applies those it lacks and answers the rest with their first receipts.

The backup's time is its newest audit entry's (every change is audited), less a margin for the
two clocks: the partner dates a delivery by its own clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from karakoram.domain.exchange.bodies import MessageType, ReconcileRequest
from karakoram.domain.exchange.expo_bodies import may_send
from karakoram.services.context import NodeContext
from karakoram.services.exchange.emit import emit_to
from karakoram.services.ports import UnitOfWork

#: how far the two nodes' clocks may differ; a wider margin only resends more
CLOCK_MARGIN = timedelta(minutes=10)
#: since when to ask when the backup holds no audit entry at all: everything
EVERYTHING = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ResendAsked:
    """Which partners were asked (queued in the outbox) to resend since when."""

    since: datetime
    partners: tuple[str, ...]


def backup_time(uow: UnitOfWork) -> datetime | None:
    """When the restored database was last written: its newest audit entry's time."""
    seq, _ = uow.audit.head()
    rows = uow.audit.entries(seq - 1, 1) if seq else []
    return datetime.fromisoformat(rows[0][1]) if rows else None


def ask_partners_to_resend(ctx: NodeContext, margin: timedelta = CLOCK_MARGIN) -> ResendAsked:
    """Queue a `reconcile_request` to every partner, in one transaction; none when the node
    takes no part in the exchange (no signing key). The relay delivers them."""
    config = ctx.exchange
    now = ctx.clock()
    with ctx.uow() as uow:
        last = backup_time(uow)
        since = EVERYTHING if last is None else last - margin
        if config is None:
            return ResendAsked(since, ())
        body = ReconcileRequest(since.isoformat(), now.isoformat())
        partners = [
            p
            for p in uow.exchange.partners()
            if may_send(p.kind, p.message_types, MessageType.RECONCILE_REQUEST)
        ]
        for partner in partners:
            emit_to(uow, config, now, partner, body)
        uow.commit()
    return ResendAsked(since, tuple(p.administration for p in partners))
