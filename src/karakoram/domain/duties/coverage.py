"""How far an exchange-rate table reaches: whether each currency has a usable rate on every day
of a window (today and the next days), and when its latest rate stops being usable.

A rate is usable on a day when it is the latest on or before that day and at most the table's
`max_age_days` old (`ExchangeRates.rate`); so a table covers a currency up to its latest rate's
date plus `max_age_days`, unless an earlier gap (two rates further apart) interrupts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from karakoram.domain.duties.exchange_rates import ExchangeRates


class CoverageState(StrEnum):
    CURRENT = "current"  # a usable rate on every day of the window
    ENDING = "ending"  # usable today, not on every day of the window
    NOT_CURRENT = "not_current"  # no usable rate today


@dataclass(frozen=True, slots=True)
class RateCoverage:
    """One currency of a rate table, over the window `today` .. `today + horizon_days`."""

    currency: str
    state: CoverageState
    #: the date of the latest rate in the table (None: the table has none for the currency)
    latest: date | None
    #: the last day the latest rate is usable (its date plus the table's maximum age)
    usable_until: date | None
    #: the first day of the window without a usable rate (None when every day has one)
    first_gap: date | None


def rate_coverage(
    rates: ExchangeRates, currency: str, today: date, horizon_days: int
) -> RateCoverage:
    """Whether `currency` has a usable rate on `today` and each of the next `horizon_days`."""
    entries = rates.rates.get(currency, ())
    latest = entries[-1][0] if entries else None
    until = latest + timedelta(days=rates.max_age_days) if latest else None
    if currency == rates.base_currency:
        return RateCoverage(currency, CoverageState.CURRENT, latest, until, None)
    window = (today + timedelta(days=n) for n in range(horizon_days + 1))
    gap = next((day for day in window if not rates.has_rate(currency, day)), None)
    if gap is None:
        state = CoverageState.CURRENT
    else:
        state = CoverageState.NOT_CURRENT if gap == today else CoverageState.ENDING
    return RateCoverage(currency, state, latest, until, gap)


def table_coverage(
    rates: ExchangeRates, today: date, horizon_days: int, also: frozenset[str] = frozenset()
) -> list[RateCoverage]:
    """Every currency of the table, and those in `also` (a currency the node needs, such as the
    rule set's), sorted by currency code."""
    currencies = (set(rates.rates) | set(also)) - {rates.base_currency}
    return [rate_coverage(rates, c, today, horizon_days) for c in sorted(currencies)]
