"""Currency conversion for statistics: the factors reports convert invoice values with.

Each currency is converted at the rate of the day (the latest published on or before it) or
at the monthly average of the daily rates, as the report asks; the rate table is the one in
force in the node's policy.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.domain.statistics.figures import Conversion
from karakoram.services.context import NodeContext

#: (currency, day) -> factor converting that currency into the report currency
RateRows = list[tuple[str, date, Decimal]]

FACTOR_PLACES = Decimal("1e-12")


def active_rates(ctx: NodeContext) -> ExchangeRates | None:
    """The exchange-rate table in force, which statistics convert with."""
    with ctx.uow() as work:
        return ctx.policy.current(work).rates


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _monthly_average(rates: ExchangeRates, currency: str, year: int, month: int) -> Decimal:
    days = calendar.monthrange(year, month)[1]
    total = sum(
        (rates.rate(currency, date(year, month, d))[0] for d in range(1, days + 1)), Decimal(0)
    )
    return total / days


def _rate_of(rates: ExchangeRates, conversion: Conversion) -> Callable[[str, date], Decimal]:
    """A currency's rate on a day as `conversion` takes it (monthly averages computed once)."""
    monthly: dict[tuple[str, int, int], Decimal] = {}

    def rate(cur: str, day: date) -> Decimal:
        if conversion is Conversion.RELEASE_DATE:
            return rates.rate(cur, day)[0]
        key = (cur, day.year, day.month)
        if key not in monthly:
            monthly[key] = _monthly_average(rates, cur, day.year, day.month)
        return monthly[key]

    return rate


def conversion_rates(
    rates: ExchangeRates | None,
    currency: str,
    needed: Mapping[str, tuple[date, date]],
    conversion: Conversion,
    *,
    lenient: bool = False,
) -> RateRows:
    """Factors from each needed currency into `currency`, per day of the needed range.
    A day without a usable rate is an error, or (`lenient`) left out for the engine to report
    if any goods item needs it."""
    if rates is None:
        if set(needed) <= {currency}:
            return [(c, day, Decimal(1)) for c, (a, b) in needed.items() for day in _days(a, b)]
        raise ValidationFailed(
            [FieldError("missing_exchange_rate", "/currency", "No exchange-rate table is active.")]
        )
    rate = _rate_of(rates, conversion)
    rows: RateRows = []
    for cur, (first, last) in sorted(needed.items()):
        for day in _days(first, last):
            try:
                factor = rate(cur, day) / rate(currency, day) if cur != currency else Decimal(1)
            except ValidationFailed as exc:
                if lenient:
                    continue
                message = exc.errors[0].message if exc.errors else str(exc)
                raise ValidationFailed(
                    [
                        FieldError(
                            "missing_exchange_rate",
                            "/currency",
                            f"Cannot convert {cur} into {currency} for {day}: {message}",
                        )
                    ]
                ) from exc
            rows.append((cur, day, factor.quantize(FACTOR_PLACES)))
    return rows
