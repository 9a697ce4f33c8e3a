"""Read exchange rates from an SDMX-CSV file into an `ExchangeRates` table in the node's currency.

SDMX-CSV is the CSV layout of SDMX 2.1 (SDMX-CSV 1.0: first column `DATAFLOW`) and SDMX 3.0
(SDMX-CSV 2.0: `STRUCTURE`, `STRUCTURE_ID`, `ACTION`), as central banks export it (the ECB's
exchange-rate data set EXR, for one). One observation a row; columns are found by name, in any
order; a header cell "ID: label" (an export with labels) counts as ID; other columns are ignored.

| column | read as |
|---|---|
| `CURRENCY` | the quoted currency (ISO 4217) |
| `CURRENCY_DENOM` | the currency it is quoted against |
| `TIME_PERIOD` | `YYYY-MM-DD` (daily) or `YYYY-MM` (monthly, dated the first of the month) |
| `OBS_VALUE` | units of `CURRENCY` per one unit of `CURRENCY_DENOM` |
| `FREQ` (optional) | `D` or `M`, matching `TIME_PERIOD` |
| `EXR_TYPE` (optional) | `SP00` (spot) only |
| `OBS_STATUS` (optional) | `M` or `L` (missing) with an empty or `NaN` value: the row is skipped |
| `ACTION` (optional) | `I`, `A`, `R` or empty; `D` (delete) is refused |

A row quoted against the node's currency gives `1 / OBS_VALUE`; the node's currency quoted
against another gives that other's rate, `OBS_VALUE`; any other pair is converted through the
same day's quote of the node's currency against the same denominator (a cross rate: an ECB file
with CNY and USD against EUR gives a CNY node its EUR and USD rates). Derived rates keep 10
significant digits. Blank lines and lines starting with `#` are skipped. Errors (all at once, with
the line number in the message, pointer `/rows/N/column`, N counting data rows from 0): `required`,
`unknown_currency`, `invalid_date`, `malformed_rate`, `not_positive`, `duplicate_rate`,
`unsupported_frequency`, `unsupported_series`, `unsupported_action`, `same_currency`,
`no_cross_rate`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal

from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.domain.duties.file_problems import Problems, currency_code, positive_rate
from karakoram.domain.errors import FieldError, ValidationFailed

REQUIRED = ("CURRENCY", "CURRENCY_DENOM", "TIME_PERIOD", "OBS_VALUE")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_SIGNIFICANT = Context(prec=10)


@dataclass(frozen=True, slots=True)
class _Quote:
    """One observation: units of `currency` per one `denom` on `day`, from line `line`."""

    line: int
    ptr: str
    currency: str
    denom: str
    day: date
    value: Decimal


def parse_sdmx_rates(
    text: str,
    base_currency: str,
    currencies: frozenset[str] | None = None,
    max_age_days: int = 45,
) -> ExchangeRates:
    """Exchange rates (units of `base_currency` per unit) from SDMX-CSV `text`."""
    lines = [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise ValidationFailed([FieldError("required", "/header", "The file has no header.")])
    delimiter = ";" if ";" in lines[0][1] and "," not in lines[0][1] else ","
    rows = csv.reader(io.StringIO("\n".join(line for _, line in lines)), delimiter=delimiter)
    header = [cell.split(":", 1)[0].strip().upper() for cell in next(rows)]
    p = Problems()
    for column in REQUIRED:
        if column not in header:
            p.fail("required", "/header", f"The header has no {column} column.")
    p.raise_if_any()
    quotes = []
    for index, cells in enumerate(rows):
        row = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        quote = _quote(p, row, lines[index + 1][0], f"/rows/{index}", currencies)
        if quote is not None:
            quotes.append(quote)
    table = _in_base(p, quotes, base_currency)  # the good rows' problems, listed too
    p.raise_if_any()
    rates = {c: tuple(sorted(by_day.items())) for c, by_day in table.items()}
    return ExchangeRates(base_currency, rates, max_age_days)


def _quote(
    p: Problems, row: dict[str, str], line: int, ptr: str, currencies: frozenset[str] | None
) -> _Quote | None:
    """The observation of one row, or None when it is skipped or after recording its problems."""
    before = len(p.errors)
    value_text = row.get("OBS_VALUE", "")
    if row.get("OBS_STATUS", "").upper() in ("M", "L") and value_text in ("", "NaN"):
        return None  # a missing observation, as SDMX marks it
    _check_series(p, row, line, ptr)
    for column in REQUIRED:
        if not row.get(column):
            p.fail("required", f"{ptr}/{column}", f"Line {line}: {column} is empty.")
    checked = len(p.errors)
    currency = currency_code(p, row.get("CURRENCY", ""), f"{ptr}/CURRENCY", currencies)
    denom = currency_code(p, row.get("CURRENCY_DENOM", ""), f"{ptr}/CURRENCY_DENOM", currencies)
    p.errors[checked:] = [
        FieldError(e.code, e.pointer, f"Line {line}: {e.message}") for e in p.errors[checked:]
    ]
    if currency and currency == denom:
        p.fail("same_currency", f"{ptr}/CURRENCY_DENOM", f"Line {line}: {currency} against itself.")
    day = _period(p, row, line, ptr)
    value = positive_rate(p, value_text, f"{ptr}/OBS_VALUE", line, "OBS_VALUE")
    if len(p.errors) > before or day is None or value is None:
        return None
    return _Quote(line, ptr, currency, denom, day, value)


def _check_series(p: Problems, row: dict[str, str], line: int, ptr: str) -> None:
    freq = row.get("FREQ", "").upper()
    if freq not in ("", "D", "M"):
        p.fail(
            "unsupported_frequency",
            f"{ptr}/FREQ",
            f"Line {line}: frequency {freq!r}; only daily (D) and monthly (M) rates are read.",
        )
    kind = row.get("EXR_TYPE", "").upper()
    if kind not in ("", "SP00"):
        p.fail(
            "unsupported_series",
            f"{ptr}/EXR_TYPE",
            f"Line {line}: EXR_TYPE {kind!r}; only spot rates (SP00) are read.",
        )
    action = row.get("ACTION", "").upper()
    if action not in ("", "I", "A", "R"):
        p.fail(
            "unsupported_action",
            f"{ptr}/ACTION",
            f"Line {line}: ACTION {action!r}; a file that deletes rates is not imported "
            "(a table version is never changed: load a corrected file instead).",
        )


def _period(p: Problems, row: dict[str, str], line: int, ptr: str) -> date | None:
    text, freq = row.get("TIME_PERIOD", ""), row.get("FREQ", "").upper()
    if not text or freq not in ("", "D", "M"):
        return None  # an unsupported frequency is reported once, by _check_series
    try:
        if _DAY.match(text) and freq in ("", "D"):
            return date.fromisoformat(text)
        if _MONTH.match(text) and freq in ("", "M"):
            return date.fromisoformat(text + "-01")
    except ValueError:
        pass
    shape = {"D": "YYYY-MM-DD", "M": "YYYY-MM"}.get(freq, "YYYY-MM-DD or YYYY-MM")
    p.fail(
        "invalid_date", f"{ptr}/TIME_PERIOD", f"Line {line}: {text!r} is not a period ({shape})."
    )
    return None


def _in_base(p: Problems, quotes: list[_Quote], base: str) -> dict[str, dict[date, Decimal]]:
    """Each quote as units of `base` per unit of a currency; every problem recorded in `p`."""
    base_per = {(q.denom, q.day): q.value for q in quotes if q.currency == base}
    table: dict[str, dict[date, Decimal]] = {}
    first: dict[tuple[str, date], int] = {}
    for q in quotes:
        if q.currency == base:
            currency, rate = q.denom, q.value
        elif q.denom == base:
            currency, rate = q.currency, _SIGNIFICANT.divide(Decimal(1), q.value)
        elif (q.denom, q.day) in base_per:
            currency = q.currency
            rate = _SIGNIFICANT.divide(base_per[q.denom, q.day], q.value)
        else:
            p.fail(
                "no_cross_rate",
                f"{q.ptr}/CURRENCY_DENOM",
                f"Line {q.line}: {q.currency} is quoted against {q.denom}, and the file has no "
                f"{base} rate against {q.denom} for {q.day} to convert it into {base}.",
            )
            continue
        if (currency, q.day) in first:
            p.fail(
                "duplicate_rate",
                f"{q.ptr}/TIME_PERIOD",
                f"Line {q.line} gives a second {currency} rate for {q.day}; "
                f"line {first[currency, q.day]} already gave one.",
            )
            continue
        first[currency, q.day] = q.line
        table.setdefault(currency, {})[q.day] = rate
    return table
