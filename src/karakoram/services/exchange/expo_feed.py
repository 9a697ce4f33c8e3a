"""What this node tells the expo it registered as a partner (issue 18): a month's trade
summary and its tariff version, signed into the outbox like every message; the relay delivers
them. Only partners of kind `expo` sharing the type get them (and never anything else: see
`expo_bodies.may_send`, enforced by `emit_to`).

The summary reads the analytical copy (refresh it first: `karakoram stats refresh`), converts
into the currency of the exchange-rate table in force, and suppresses every cell fed by fewer
than three distinct traders. Sending the same month again sends a newer summary, which the expo
keeps instead of the older one."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.duties.schedule import ComponentKind, TariffSchedule
from karakoram.domain.errors import Conflict, FieldError, ValidationFailed
from karakoram.domain.exchange.bodies import Body
from karakoram.domain.exchange.expo_bodies import (
    MIN_TRADERS,
    PartnerKind,
    TariffPublished,
    TradeSummary,
)
from karakoram.domain.statistics.figures import Conversion
from karakoram.domain.statistics.periods import Period
from karakoram.domain.statistics.trade_summary import summary_cells
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import configured
from karakoram.services.exchange.emit import emit_to
from karakoram.services.statistics.analytical_copy import store_of
from karakoram.services.statistics.conversion import active_rates, conversion_rates

#: who may send the expo the node's figures
SENDERS = (Role.ANALYST, Role.SUPERVISOR, Role.ADMINISTRATOR)

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class FeedSent:
    #: the expos it was queued for, and the message ids
    expos: list[str]
    message_ids: list[str]
    #: cells sent with figures, and cells suppressed (summaries only)
    cells: int = 0
    suppressed: int = 0


def month_period(month: str) -> Period:
    """'2026-04' -> the days of April 2026; `ValidationFailed` for anything else."""
    found = _MONTH.fullmatch(month.strip())
    if found is None:
        raise ValidationFailed([FieldError("invalid_format", "/month", "A month as YYYY-MM.")])
    year, number = int(found[1]), int(found[2])
    last = calendar.monthrange(year, number)[1]
    return Period(date(year, number, 1), date(year, number, last))


def trade_summary(ctx: NodeContext, month: str) -> TradeSummary:
    """The month's summary as the expo gets it, from the analytical copy."""
    period = month_period(month)
    rates = active_rates(ctx)
    if rates is None:
        raise Conflict("No exchange-rate table is active: the summary's values need one.")
    currency = rates.base_currency
    needed = dict.fromkeys({currency, *rates.rates}, (period.start, period.end))
    factors = conversion_rates(rates, currency, needed, Conversion.RELEASE_DATE, lenient=True)
    cells = store_of(ctx).trade_cells(period, factors)
    body = summary_cells(cells, ctx.rules.country, MIN_TRADERS)
    return TradeSummary(month.strip(), currency, tuple(body), MIN_TRADERS, ctx.clock().isoformat())


def send_trade_summary(principal: Principal, ctx: NodeContext, month: str) -> FeedSent:
    """Queue the month's summary to every expo partner that shares it."""
    require_role(principal, *SENDERS)
    body = trade_summary(ctx, month)
    sent = _queue(ctx, body)
    suppressed = sum(1 for c in body.cells if c.get("suppressed"))
    return FeedSent(sent.expos, sent.message_ids, len(body.cells) - suppressed, suppressed)


def _percent(fraction: Decimal) -> str:
    """0.05 -> '5'; 0.125 -> '12.5'."""
    text = format(fraction.scaleb(2).normalize(), "f")
    return text


def tariff_lines(schedule: TariffSchedule) -> list[dict[str, object]]:
    """Per tariff line, the ad valorem customs duty (MFN, and under each agreement: its rate
    replaces the MFN rate component by component), in per cent."""
    duties = [c.code for c in schedule.components if c.kind is ComponentKind.CUSTOMS_DUTY]
    out: list[dict[str, object]] = []
    for line in schedule.lines:
        mfn = sum((line.rates[c].ad_valorem for c in duties if c in line.rates), Decimal(0))
        preferential = {
            agreement: _percent(
                sum(
                    (
                        (rates.get(c) or line.rates[c]).ad_valorem
                        for c in duties
                        if c in line.rates or c in rates
                    ),
                    Decimal(0),
                )
            )
            for agreement, rates in sorted(line.preferential.items())
        }
        out.append(
            {"hs_prefix": line.hs_prefix, "mfn": _percent(mfn), "preferential": preferential}
        )
    return out


def tariff_published(ctx: NodeContext) -> TariffPublished:
    """The tariff version in force as the expo gets it. Each agreement covers the countries
    of this node's partner administrations (the goods' origins its preference is for)."""
    with ctx.uow() as uow:
        policy = ctx.policy.current(uow)
        origins = sorted(
            {
                p.country
                for p in uow.exchange.partners()
                if p.kind == PartnerKind.ADMINISTRATION and p.country != ctx.rules.country
            }
        )
    if policy.tariff is None or policy.tariff_version is None:
        raise Conflict("No tariff schedule is in force: activate one first.")
    lines = tariff_lines(policy.tariff)
    agreements = sorted({a for line in policy.tariff.lines for a in line.preferential})
    return TariffPublished(
        str(policy.tariff_version),
        policy.tariff.name,
        tuple(lines),
        {a: list(origins) for a in agreements},
        ctx.clock().isoformat(),
    )


def send_tariff(principal: Principal, ctx: NodeContext) -> FeedSent:
    """Queue the tariff version in force to every expo partner that shares it."""
    require_role(principal, *SENDERS)
    return _queue(ctx, tariff_published(ctx))


def _queue(ctx: NodeContext, body: Body) -> FeedSent:
    config = configured(ctx.exchange)
    now = ctx.clock()
    with ctx.uow() as uow:
        expos = [
            p
            for p in uow.exchange.partners()
            if p.kind == PartnerKind.EXPO and body.type.value in p.message_types
        ]
        if not expos:
            raise Conflict(
                f"No expo partner shares {body.type.value}: register the expo with "
                "`karakoram partners add --kind expo`."
            )
        sent = [emit_to(uow, config, now, p, body) for p in expos]
        uow.commit()
    return FeedSent([p.administration for p in expos], [m.message_id for m in sent])
