"""What a supervisor sees of the exchange: traffic per partner, whether each partner answers,
the backlog, dead letters (and replaying them), the latest messages and refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.errors import Conflict, NotFound
from karakoram.domain.exchange.partner_state import PartnerState, partner_state
from karakoram.services.context import NodeContext
from karakoram.services.exchange.partner_state import link_seen
from karakoram.services.records import (
    InboxMessage,
    OutboxMessage,
    Partner,
    PartnerTraffic,
)

#: who may look at the exchange and replay dead letters (as `POST /exchange/replay`)
WATCHERS = (Role.SUPERVISOR, Role.ADMINISTRATOR)
LATEST = 10
DEAD_SHOWN = 100


class Reach(StrEnum):
    REACHABLE = "reachable"
    FAILING = "failing"
    NO_CONTACT = "no_contact"


@dataclass(frozen=True, slots=True)
class PartnerLink:
    administration: str
    partner: Partner | None
    traffic: PartnerTraffic
    reach: Reach
    #: the latest receipt from it or message from it
    last_contact: datetime | None
    #: up, late or down (services/exchange/partner_state.py)
    state: PartnerState = PartnerState.UP


@dataclass(frozen=True, slots=True)
class ExchangeOverview:
    configured: bool
    links: list[PartnerLink]
    outbox: dict[str, int]
    received: int
    dead: list[OutboxMessage]
    latest_out: list[OutboxMessage]
    latest_in: list[InboxMessage]
    refusals: list[dict[str, Any]]


def reach(traffic: PartnerTraffic) -> Reach:
    """Failing while a message to it waits after a failed try, or when a message was given up
    after its last receipt; reachable when it has answered or written; else no contact yet."""
    given_up_since = traffic.dead and (
        traffic.last_delivered_at is None
        or (traffic.last_dead_at is not None and traffic.last_dead_at > traffic.last_delivered_at)
    )
    if traffic.failing or given_up_since:
        return Reach.FAILING
    if traffic.last_delivered_at or traffic.last_received_at:
        return Reach.REACHABLE
    return Reach.NO_CONTACT


def _last_contact(traffic: PartnerTraffic) -> datetime | None:
    times = [t for t in (traffic.last_delivered_at, traffic.last_received_at) if t]
    return max(times) if times else None


def overview(principal: Principal, ctx: NodeContext) -> ExchangeOverview:
    require_role(principal, *WATCHERS)
    now = ctx.clock()
    with ctx.uow() as uow:
        partners = {p.administration: p for p in uow.exchange.partners()}
        traffic = {t.partner: t for t in uow.exchange.traffic()}
        probes = uow.probes.probes()
        counts = uow.exchange.outbox_counts()
        dead = uow.exchange.dead_letters(DEAD_SHOWN)
        latest_out = uow.exchange.latest_outbox(LATEST)
        latest_in = uow.exchange.latest_inbox(LATEST)
        refusals = uow.exchange.refusals(LATEST)
    links = []
    for name in sorted(partners.keys() | traffic.keys()):
        seen = traffic.get(name, PartnerTraffic(name))
        state = partner_state(link_seen(seen, probes.get(name)), now)
        links.append(
            PartnerLink(name, partners.get(name), seen, reach(seen), _last_contact(seen), state)
        )
    return ExchangeOverview(
        ctx.exchange is not None,
        links,
        counts,
        sum(t.received for t in traffic.values()),
        dead,
        latest_out,
        latest_in,
        refusals,
    )


def replay(
    principal: Principal,
    ctx: NodeContext,
    message_id: str | None = None,
    *,
    dead_only: bool = True,
) -> int:
    """Put one dead letter (or, without an id, every one) back in the outbox, due now; the
    relay then delivers it as any other. Returns how many were requeued. With `dead_only`
    off, a named message is sent again whatever its status (one the partner lost)."""
    require_role(principal, *WATCHERS)
    with ctx.uow() as uow:
        if message_id is not None:
            message = uow.exchange.outbox(message_id)
            if message is None:
                raise NotFound(f"No outgoing message {message_id}.")
            if dead_only and message.status != "dead":
                raise Conflict(f"Message {message_id} is {message.status}, not a dead letter.")
        count = uow.exchange.requeue(None if message_id is None else [message_id], ctx.clock())
        uow.commit()
    return count
