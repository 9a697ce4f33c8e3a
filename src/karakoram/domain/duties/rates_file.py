"""Read the exchange rates an administration publishes (CSV) into an `ExchangeRates` table.

Columns `date,currency,rate` (ISO date; rate = units of the base currency per one unit of
`currency`), one row per line. The reader lists every problem at once (`ValidationFailed`); the
error codes are documented in `karakoram.domain.duties`. Pointers are JSON pointers: `/rows/0/rate`
is the rate of the first data row (the header, blank lines and `#` comment lines are not rows;
messages give the line number in the file as well).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.domain.duties.file_problems import Problems, currency_code, positive_rate
from karakoram.domain.errors import FieldError, ValidationFailed

_CSV_COLUMNS = ("date", "currency", "rate")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_rates_csv(
    text: str,
    base_currency: str,
    currencies: frozenset[str] | None = None,
    max_age_days: int = 45,
) -> ExchangeRates:
    """Exchange rates from CSV `text` (columns date,currency,rate), in units of `base_currency`."""
    p = Problems()
    rows = _csv_rows(text)
    if not rows:
        raise ValidationFailed(
            [FieldError("required", "/header", "The header date,currency,rate is missing.")]
        )
    columns = _header(p, rows[0][1])
    p.raise_if_any()
    by_currency: dict[str, dict[date, Decimal]] = {}
    first_line: dict[tuple[str, date], int] = {}
    for index, (number, cells) in enumerate(rows[1:]):
        row = dict(zip(columns, cells, strict=False))
        entry = _rate_row(p, row, f"/rows/{index}", number, base_currency, currencies)
        if entry is not None and _first(p, entry, f"/rows/{index}/date", number, first_line):
            by_currency.setdefault(entry[0], {})[entry[1]] = entry[2]
    p.raise_if_any()
    rates = {c: tuple(sorted(by_day.items())) for c, by_day in by_currency.items()}
    return ExchangeRates(base_currency, rates, max_age_days)


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of each line that is neither blank nor a # comment."""
    return [
        (number, next(csv.reader([line])))
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _first(
    p: Problems,
    entry: tuple[str, date, Decimal],
    ptr: str,
    number: int,
    first_line: dict[tuple[str, date], int],
) -> bool:
    """Whether `entry` is the first rate for its currency and date (recording where it was)."""
    currency, day, _ = entry
    if (currency, day) in first_line:
        p.fail(
            "duplicate_rate",
            ptr,
            f"Line {number} gives a second {currency} rate for {day}; "
            f"line {first_line[currency, day]} already gave one.",
        )
        return False
    first_line[currency, day] = number
    return True


def _header(p: Problems, cells: list[str]) -> list[str]:
    columns = [cell.strip().lower() for cell in cells]
    for column in _CSV_COLUMNS:
        if column not in columns:
            p.fail("required", "/header", f"The header has no {column} column.")
    for column in columns:
        if column not in _CSV_COLUMNS:
            p.fail("unknown_field", "/header", f"{column!r} is not a column (date,currency,rate).")
    return columns


def _rate_row(
    p: Problems,
    row: Mapping[str, str],
    ptr: str,
    number: int,
    base_currency: str,
    currencies: frozenset[str] | None,
) -> tuple[str, date, Decimal] | None:
    """(currency, date, rate) of one CSV row, or None after recording its problems."""
    before = len(p.errors)
    cells = {column: row.get(column, "").strip() for column in _CSV_COLUMNS}
    for column, cell in cells.items():
        if not cell:
            p.fail("required", f"{ptr}/{column}", f"Line {number}: {column} is empty.")
    day = _iso_date(p, cells["date"], f"{ptr}/date", number)
    currency = currency_code(p, cells["currency"], f"{ptr}/currency", currencies)
    if currency and currency == base_currency:
        p.fail(
            "base_currency",
            f"{ptr}/currency",
            f"Line {number}: {currency} is the base currency; its rate is always 1.",
        )
    value = positive_rate(p, cells["rate"], f"{ptr}/rate", number, "rate")
    if len(p.errors) > before or day is None or value is None:
        return None
    return currency, day, value


def _iso_date(p: Problems, text: str, ptr: str, number: int) -> date | None:
    if not text:
        return None
    try:
        if _ISO_DATE.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    p.fail("invalid_date", ptr, f"Line {number}: {text!r} is not a date (YYYY-MM-DD).")
    return None
