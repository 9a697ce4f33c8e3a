"""Add imported rates to a rate table, and write a table back as the documented CSV.

An import adds the rates a downloaded file brings to the table in force: a new (currency, date)
is added, the same rate again changes nothing, another rate for a (currency, date) the table
has replaces it (a corrected publication). When nothing is added or changed the import is a
repetition and the caller stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from karakoram.domain.duties.exchange_rates import ExchangeRates


@dataclass(frozen=True, slots=True)
class MergeCounts:
    added: int
    changed: int
    unchanged: int

    @property
    def anything_new(self) -> bool:
        return bool(self.added or self.changed)


def merge_rates(
    current: ExchangeRates | None, imported: ExchangeRates
) -> tuple[ExchangeRates, MergeCounts]:
    """`current` (None: no table yet) with `imported`'s rates added or replacing its own."""
    table: dict[str, dict[date, Decimal]] = {
        c: dict(entries) for c, entries in (current.rates.items() if current else ())
    }
    added = changed = unchanged = 0
    for currency, entries in imported.rates.items():
        days = table.setdefault(currency, {})
        for day, rate in entries:
            if day not in days:
                added += 1
            elif days[day] == rate:
                unchanged += 1
            else:
                changed += 1
            days[day] = rate
    base = current.base_currency if current else imported.base_currency
    max_age = current.max_age_days if current else imported.max_age_days
    rates = {c: tuple(sorted(days.items())) for c, days in table.items()}
    return ExchangeRates(base, rates, max_age), MergeCounts(added, changed, unchanged)


def rates_csv(rates: ExchangeRates, comments: tuple[str, ...] = ()) -> str:
    """The table in the documented CSV (`date,currency,rate`), by date then currency."""
    rows = sorted(
        (day, currency, rate) for currency, entries in rates.rates.items() for day, rate in entries
    )
    head = [f"# {line}" for line in comments] + ["date,currency,rate"]
    body = [f"{day.isoformat()},{currency},{_plain(rate)}" for day, currency, rate in rows]
    return "\n".join(head + body) + "\n"


def _plain(rate: Decimal) -> str:
    """A rate without exponent or trailing zeros after the point (7.10 -> 7.1, 1E+2 -> 100)."""
    return format(rate.normalize(), "f")
