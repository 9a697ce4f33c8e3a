"""Probing the partners on a schedule, so that a partner that is down is noticed even when
there is nothing to deliver to it (`domain/exchange/partner_state.py`)."""

from __future__ import annotations

import logging
from datetime import datetime

from karakoram.domain.exchange.envelope import Refused
from karakoram.domain.exchange.expo_bodies import PartnerKind
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import DeliveryFailed, configured
from karakoram.services.exchange.reconcile import reconciliation_query
from karakoram.services.ports import PeerTransport, UnitOfWork

log = logging.getLogger(__name__)


def probe_partners(ctx: NodeContext, peer: PeerTransport) -> dict[str, bool]:
    """Probe every partner once: a signed reconciliation query for the messages it holds from
    us since now (an empty answer, cheap on both sides; nothing is resent). Whether each
    answered is recorded; a partner that does not answer is not an error of this node.
    Returns who answered."""
    config = configured(ctx.exchange)
    with ctx.uow() as uow:  # the expo answers no reconciliation query
        partners = [p for p in uow.exchange.partners() if p.kind == PartnerKind.ADMINISTRATION]
    answered = {}
    for partner in partners:
        name, now = partner.administration, ctx.clock()
        try:
            peer.held(partner.base_url, reconciliation_query(config, name, now, now))
            error = None
        except (DeliveryFailed, Refused) as exc:
            error = f"{type(exc).__name__}: {exc}"
        with ctx.uow() as uow:
            if error is None:
                was = uow.probes.probes().get(name)
                if was is not None and was.failing_since is not None:
                    _back(uow, name, now)
                uow.probes.answered(name, now)
            else:
                uow.probes.failed(name, now, error)
            uow.commit()
        answered[name] = error is None
    return answered


#: dead letters looked at when a partner comes back
DEAD_LOOKED_AT = 100_000


def _back(uow: UnitOfWork, partner: str, now: datetime) -> None:
    """The partner answers again after an outage: what waits for it is due now, and what was
    given up because it could not be reached (not what it refused) goes again, so that an
    outage longer than the relay's retries loses nothing."""
    uow.exchange.wake(partner, now)
    unreachable = [
        m.message_id
        for m in uow.exchange.dead_letters(DEAD_LOOKED_AT)
        if m.recipient == partner and (m.last_error or "").startswith("DeliveryFailed")
    ]
    if unreachable:
        uow.exchange.requeue(unreachable, now)
        log.warning("%s answers again: %d dead letters queued again", partner, len(unreachable))
