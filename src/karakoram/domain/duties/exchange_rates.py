"""A published exchange-rate table, and the rate in force on a given day."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from karakoram.domain.errors import FieldError, ValidationFailed


@dataclass(frozen=True, slots=True)
class ExchangeRates:
    """A published rate table: units of `base_currency` per one unit of each currency."""

    base_currency: str
    #: currency -> (date, rate) pairs sorted by date
    rates: Mapping[str, tuple[tuple[date, Decimal], ...]]
    #: a rate older than this (before the assessment date) is not used
    max_age_days: int = 45

    def rate(self, currency: str, on: date) -> tuple[Decimal, date]:
        """The latest rate on or before `on` and its date; ValidationFailed if none usable."""
        if currency == self.base_currency:
            return Decimal(1), on
        entries = self.rates.get(currency, ())
        found = bisect_right(entries, on, key=lambda entry: entry[0])
        if found == 0:
            raise _missing_rate(f"There is no {currency} rate on or before {on}.")
        day, value = entries[found - 1]
        age = (on - day).days
        if age > self.max_age_days:
            raise _missing_rate(
                f"The latest {currency} rate is from {day}, {age} days before {on}; "
                f"rates older than {self.max_age_days} days are not used."
            )
        return value, day

    def usable_until(self) -> date | None:
        """The last day on which every currency of the table still has a usable rate (its
        latest rate plus `max_age_days`); None for a table without rates."""
        ends = [entries[-1][0] for entries in self.rates.values() if entries]
        return min(ends) + timedelta(days=self.max_age_days) if ends else None

    def has_rate(self, currency: str, on: date) -> bool:
        try:
            self.rate(currency, on)
        except ValidationFailed:
            return False
        return True


def _missing_rate(message: str) -> ValidationFailed:
    return ValidationFailed([FieldError("missing_exchange_rate", "/invoice/currency", message)])
