"""The partner's state (up, late, down) as this node sees it from its relay and inbox
(`domain/exchange/partner_state.py`)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.exchange.expo_bodies import PartnerKind
from karakoram.domain.exchange.partner_state import LinkSeen, PartnerState, Probe, partner_state
from karakoram.services.context import NodeContext
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import PartnerTraffic


@dataclass(frozen=True, slots=True)
class PartnerStatus:
    administration: str
    country: str
    state: PartnerState
    oldest_pending_at: datetime | None
    failing: int
    last_answer_at: datetime | None


def link_seen(traffic: PartnerTraffic, probe: Probe | None = None) -> LinkSeen:
    """What the relay, the inbox and the probes saw of one partner, as the state rule reads
    it."""
    probe = probe or Probe()
    answers = [
        t for t in (traffic.last_delivered_at, traffic.last_received_at, probe.last_ok_at) if t
    ]
    last = max(answers) if answers else None
    given_up = bool(traffic.dead) and (
        traffic.last_delivered_at is None
        or (traffic.last_dead_at is not None and traffic.last_dead_at > traffic.last_delivered_at)
    )
    failing_since = probe.failing_since
    return LinkSeen(traffic.oldest_pending_at, traffic.failing, last, given_up, failing_since)


def partner_statuses(
    uow: UnitOfWork, now: datetime, administrations_only: bool = False
) -> list[PartnerStatus]:
    """Every registered partner's state at `now`, by administration (with
    `administrations_only`, not the expo's)."""
    traffic = {t.partner: t for t in uow.exchange.traffic()}
    probes = uow.probes.probes()
    found = []
    for partner in sorted(uow.exchange.partners(), key=lambda p: p.administration):
        if administrations_only and partner.kind != PartnerKind.ADMINISTRATION:
            continue
        seen = traffic.get(partner.administration, PartnerTraffic(partner.administration))
        link = link_seen(seen, probes.get(partner.administration))
        found.append(
            PartnerStatus(
                partner.administration,
                partner.country,
                partner_state(link, now),
                link.oldest_pending_at,
                link.failing,
                link.last_answer_at,
            )
        )
    return found


#: per unit of work, whether each country's partner is down: read once per transaction (a bulk
#: lodgement of imports without pre-arrival data does not scan the outbox per import)
_DOWN: weakref.WeakKeyDictionary[UnitOfWork, dict[str, bool]] = weakref.WeakKeyDictionary()


def country_partner_down(uow: UnitOfWork, country: str, now: datetime) -> bool:
    """Whether the partner administration of `country` is down at `now` (as first read in
    this unit of work)."""
    known = _DOWN.setdefault(uow, {})
    if country not in known:
        known[country] = any(
            s.country == country and s.state is PartnerState.DOWN
            for s in partner_statuses(uow, now, administrations_only=True)
        )
    return known[country]


def partner_states(principal: Principal, ctx: NodeContext) -> list[PartnerStatus]:
    """Each partner's state now, for a supervisor or an administrator (the exchange's watchers)."""
    require_role(principal, Role.SUPERVISOR, Role.ADMINISTRATOR)
    now = ctx.clock()
    with ctx.uow() as uow:
        return partner_statuses(uow, now)
