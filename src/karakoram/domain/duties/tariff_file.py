"""Read the files an administration publishes: a tariff schedule (TOML) and exchange rates (CSV).

Both readers list every problem at once (`ValidationFailed`); the error codes are documented in
`karakoram.domain.duties.schedule`. Pointers are JSON pointers into the parsed file:
`/lines/3/rates/CD` is the CD rate of the fourth `[[lines]]` entry; `/rows/0/rate` is the rate
of the first data row of the CSV (the header, blank lines and `#` comment lines are not rows;
messages give the line number in the file as well).

A tariff schedule:

    name = "Pakistan import tariff"
    currency = "PKR"
    applies_to = ["IM"]            # declaration types it is levied on
    example = false                # true for the example files shipped with Karakoram

    [rounding]
    places = 0
    mode = "half_up"               # half_up, half_even, half_down, up, down, ceiling, floor

    [[components]]                 # in compounding order
    code = "CD"
    name = "Customs duty"
    kind = "customs_duty"          # customs_duty, additional, vat, withholding, excise
    base = ["customs_value"]       # customs_value and/or codes of earlier components

    [[lines]]
    hs_prefix = "8471"             # "" is the default line
    description = "Computers"      # optional
    rates = { CD = "5%", ST = "18%" }
    preferential = { CPFTA = { CD = "0%" } }

Exchange rates: columns `date,currency,rate` (ISO date; rate = units of the base currency per
one unit of `currency`), one row per line.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from karakoram.domain.declaration.codes import UNITS
from karakoram.domain.declaration.model import DeclarationType
from karakoram.domain.duties.schedule import (
    CUSTOMS_VALUE,
    ROUNDING_MODES,
    Component,
    ComponentKind,
    ExchangeRates,
    Rate,
    Rounding,
    TariffLine,
    TariffSchedule,
    parse_rate,
)
from karakoram.domain.errors import FieldError, ValidationFailed

_SCHEDULE_KEYS = frozenset(
    {"name", "currency", "applies_to", "example", "rounding", "components", "lines"}
)
_ROUNDING_KEYS = frozenset({"places", "mode"})
_COMPONENT_KEYS = frozenset({"code", "name", "kind", "base"})
_LINE_KEYS = frozenset({"hs_prefix", "description", "rates", "preferential"})
_CSV_COLUMNS = ("date", "currency", "rate")
_MAX_PLACES = 8

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,15}$")
_AGREEMENT = re.compile(r"^[A-Z][A-Z0-9_-]{0,34}$")
_PREFIX = re.compile(r"^(\d{2,10})?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RATE_HELP = 'write it as text such as "5%", "12.50/kg", "3/NAR" or "5% + 12.50/kg"'


class _Problems:
    """Collects field errors so a reader can report all of them at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, code: str, pointer: str, message: str) -> None:
        self.errors.append(FieldError(code, pointer, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    def unknown_keys(self, data: Mapping[str, Any], allowed: frozenset[str], ptr: str) -> None:
        for key in data:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.fail("unknown_field", f"{ptr}/{key}", f"{key} is not expected here ({known}).")

    def text(self, data: Mapping[str, Any], key: str, ptr: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail("required", f"{ptr}/{key}", f"{key} is required.")
            return ""
        if not isinstance(value, str):
            self.fail("invalid_type", f"{ptr}/{key}", f"{key} must be text (in quotes).")
            return ""
        return value.strip()

    def table(self, data: Mapping[str, Any], key: str, ptr: str) -> Mapping[str, Any]:
        value = data.get(key)
        if value is None:
            self.fail("required", f"{ptr}/{key}", f"{key} is required.")
            return {}
        if not isinstance(value, Mapping):
            self.fail("invalid_type", f"{ptr}/{key}", f"{key} must be a table.")
            return {}
        return value

    def tables(self, data: Mapping[str, Any], key: str) -> list[tuple[int, Mapping[str, Any]]]:
        """The entries of an array of tables (`[[key]]`), with their index."""
        value = data.get(key)
        if not value:
            self.fail("required", f"/{key}", f"At least one [[{key}]] entry is required.")
            return []
        if not isinstance(value, list):
            self.fail("invalid_type", f"/{key}", f"{key} must be an array of tables [[{key}]].")
            return []
        entries = []
        for n, entry in enumerate(value):
            if isinstance(entry, Mapping):
                entries.append((n, entry))
            else:
                self.fail("invalid_type", f"/{key}/{n}", f"Each {key} entry must be a table.")
        return entries


def parse_tariff(text: str, currencies: frozenset[str] | None = None) -> TariffSchedule:
    """A tariff schedule from TOML `text`; `currencies`, if given, are the ISO 4217 codes known."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed(
            [FieldError("invalid_toml", "", f"The tariff file is not valid TOML: {exc}.")]
        ) from exc
    p = _Problems()
    p.unknown_keys(data, _SCHEDULE_KEYS, "")
    name = p.text(data, "name", "")
    currency = _currency(p, p.text(data, "currency", ""), "/currency", currencies)
    applies_to = _applies_to(p, data.get("applies_to"))
    example = data.get("example", False)
    if not isinstance(example, bool):
        p.fail("invalid_type", "/example", "example must be true or false.")
    rounding = _rounding(p, data)
    components = _components(p, p.tables(data, "components"))
    lines = _lines(p, p.tables(data, "lines"), {c.code for c in components})
    p.raise_if_any()
    return TariffSchedule(
        name, currency, applies_to, components, lines, rounding, example=bool(example)
    )


def _currency(p: _Problems, code: str, ptr: str, currencies: frozenset[str] | None) -> str:
    code = code.upper()
    if code and (not _CURRENCY.match(code) or (currencies is not None and code not in currencies)):
        p.fail("unknown_currency", ptr, f"{code!r} is not an ISO 4217 currency code.")
    return code


def _applies_to(p: _Problems, raw: Any) -> frozenset[str]:
    if not raw:
        p.fail("required", "/applies_to", 'applies_to is required, e.g. ["IM"].')
        return frozenset()
    if not isinstance(raw, list):
        p.fail("invalid_type", "/applies_to", 'applies_to must be a list, e.g. ["IM", "EX"].')
        return frozenset()
    allowed = {t.value for t in DeclarationType}
    for n, value in enumerate(raw):
        if not isinstance(value, str) or value not in allowed:
            p.fail("invalid_choice", f"/applies_to/{n}", f"{value!r} is not IM or EX.")
    return frozenset(v for v in raw if isinstance(v, str) and v in allowed)


def _rounding(p: _Problems, data: Mapping[str, Any]) -> Rounding:
    raw = p.table(data, "rounding", "")
    if not isinstance(data.get("rounding"), Mapping):
        return Rounding(0, ROUNDING_MODES["half_up"])
    p.unknown_keys(raw, _ROUNDING_KEYS, "/rounding")
    places = raw.get("places")
    if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= _MAX_PLACES:
        p.fail(
            "invalid_rounding",
            "/rounding/places",
            f"places must be a whole number from 0 to {_MAX_PLACES} (got {places!r}).",
        )
        places = 0
    mode = raw.get("mode")
    if not isinstance(mode, str) or mode not in ROUNDING_MODES:
        p.fail(
            "invalid_rounding",
            "/rounding/mode",
            f"mode must be one of {', '.join(ROUNDING_MODES)} (got {mode!r}).",
        )
        mode = "half_up"
    return Rounding(places, ROUNDING_MODES[mode])


def _components(
    p: _Problems, entries: list[tuple[int, Mapping[str, Any]]]
) -> tuple[Component, ...]:
    """The components in file order; each base may name only components listed before it."""
    codes = [_component_code(p, raw, n) for n, raw in entries]
    position: dict[str, int] = {}
    for (n, _), code in zip(entries, codes, strict=True):
        if code in position:
            p.fail(
                "duplicate_component",
                f"/components/{n}/code",
                f"Component {code} is already defined as components/{position[code]}.",
            )
        elif code:
            position[code] = n
    components = []
    for (n, raw), code in zip(entries, codes, strict=True):
        ptr = f"/components/{n}"
        p.unknown_keys(raw, _COMPONENT_KEYS, ptr)
        kind = _kind(p, p.text(raw, "kind", ptr), f"{ptr}/kind")
        base = _base(p, raw.get("base"), code, n, position)
        components.append(Component(code, p.text(raw, "name", ptr), kind, base))
    return tuple(components)


def _component_code(p: _Problems, raw: Mapping[str, Any], n: int) -> str:
    code = p.text(raw, "code", f"/components/{n}")
    if code and not _CODE.match(code):
        p.fail(
            "invalid_format",
            f"/components/{n}/code",
            f"{code!r} must be 1-16 capitals, digits or _ (for example CD, ACD, VAT).",
        )
        return ""
    return code


def _kind(p: _Problems, value: str, ptr: str) -> ComponentKind:
    try:
        return ComponentKind(value)
    except ValueError:
        if value:
            kinds = ", ".join(k.value for k in ComponentKind)
            p.fail("invalid_choice", ptr, f"kind {value!r} is not one of {kinds}.")
        return ComponentKind.ADDITIONAL


def _base(
    p: _Problems, raw: Any, code: str, n: int, position: Mapping[str, int]
) -> tuple[str, ...]:
    ptr = f"/components/{n}/base"
    example = f'e.g. ["{CUSTOMS_VALUE}", "CD"]'
    if not raw:
        p.fail("required", ptr, f"{code}: base must list what it is levied on, {example}.")
        return ()
    if not isinstance(raw, list):
        p.fail("invalid_type", ptr, f"{code}: base must be a list, {example}.")
        return ()
    for i, part in enumerate(raw):
        if part == CUSTOMS_VALUE:
            continue
        if not isinstance(part, str):
            p.fail("invalid_type", f"{ptr}/{i}", f"{code}: base parts must be text.")
        elif part not in position:
            p.fail(
                "unknown_component",
                f"{ptr}/{i}",
                f"{code}: base names {part!r}, neither {CUSTOMS_VALUE} nor a component.",
            )
        elif position[part] >= n:
            p.fail(
                "base_not_earlier",
                f"{ptr}/{i}",
                f"{code}: base names {part}, which is not listed before {code}; "
                "components are levied in file order.",
            )
        if part in raw[:i]:
            p.fail("duplicate_base", f"{ptr}/{i}", f"{code}: base names {part!r} twice.")
    return tuple(str(part) for part in raw)


def _lines(
    p: _Problems, entries: list[tuple[int, Mapping[str, Any]]], known: set[str]
) -> tuple[TariffLine, ...]:
    seen: dict[str, int] = {}
    lines = []
    for n, raw in entries:
        ptr = f"/lines/{n}"
        p.unknown_keys(raw, _LINE_KEYS, ptr)
        prefix = _prefix(p, raw.get("hs_prefix"), f"{ptr}/hs_prefix")
        if prefix is None:
            continue
        label = f'line "{prefix}"' if prefix else "the default line"
        if prefix in seen:
            p.fail(
                "duplicate_line",
                f"{ptr}/hs_prefix",
                f"{label}: hs_prefix {prefix!r} is already used by lines/{seen[prefix]}.",
            )
            continue
        seen[prefix] = n
        rates = _rates(p, p.table(raw, "rates", ptr), f"{ptr}/rates", label, known)
        preferential = _preferential(p, raw.get("preferential", {}), ptr, label, known)
        lines.append(
            TariffLine(prefix, rates, preferential, p.text(raw, "description", ptr, False))
        )
    return tuple(lines)


def _prefix(p: _Problems, raw: Any, ptr: str) -> str | None:
    if raw is None:
        p.fail("required", ptr, 'hs_prefix is required ("" for the default line).')
        return None
    if not isinstance(raw, str) or not _PREFIX.match(raw):
        p.fail(
            "invalid_prefix",
            ptr,
            f'hs_prefix {raw!r} must be text of 2 to 10 digits, e.g. "03" or "8471", '
            'or "" for the default line.',
        )
        return None
    return raw


def _preferential(
    p: _Problems, raw: Any, ptr: str, label: str, known: set[str]
) -> dict[str, dict[str, Rate]]:
    if not isinstance(raw, Mapping):
        p.fail("invalid_type", f"{ptr}/preferential", f"{label}: preferential must be a table.")
        return {}
    agreements = {}
    for agreement, table in raw.items():
        where = f"{ptr}/preferential/{agreement}"
        if not _AGREEMENT.match(agreement):
            p.fail("invalid_format", where, f"{label}: {agreement!r} is not an agreement code.")
        elif not isinstance(table, Mapping):
            p.fail("invalid_type", where, f"{label}: {agreement} must be a table of rates.")
        else:
            agreements[agreement] = _rates(p, table, where, f"{label} ({agreement})", known)
    return agreements


def _rates(
    p: _Problems, raw: Mapping[str, Any], ptr: str, label: str, known: set[str]
) -> dict[str, Rate]:
    rates = {}
    for code, text in raw.items():
        where = f"{ptr}/{code}"
        if code not in known:
            p.fail("unknown_component", where, f"{label}: {code!r} is not a component.")
            continue
        rate = _rate(p, text, where, f"{label}: {code} rate")
        if rate is not None:
            rates[code] = rate
    return rates


def _rate(p: _Problems, text: Any, ptr: str, what: str) -> Rate | None:
    if not isinstance(text, str):
        p.fail("malformed_rate", ptr, f"{what} {text!r} is not a rate; {_RATE_HELP}.")
        return None
    try:
        rate = parse_rate(text)
    except ValueError as exc:
        p.fail("malformed_rate", ptr, f"{what} {text!r} is not a rate ({exc}); {_RATE_HELP}.")
        return None
    if rate.unit is not None and rate.unit not in UNITS:
        p.fail(
            "unknown_unit",
            ptr,
            f"{what} {text!r}: {rate.unit} is not a UN/ECE Recommendation 20 unit this node "
            'accepts (write "/kg" for a rate per kg of net mass).',
        )
        return None
    return rate


def parse_rates_csv(
    text: str,
    base_currency: str,
    currencies: frozenset[str] | None = None,
    max_age_days: int = 45,
) -> ExchangeRates:
    """Exchange rates from CSV `text` (columns date,currency,rate), in units of `base_currency`."""
    p = _Problems()
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
    p: _Problems,
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


def _header(p: _Problems, cells: list[str]) -> list[str]:
    columns = [cell.strip().lower() for cell in cells]
    for column in _CSV_COLUMNS:
        if column not in columns:
            p.fail("required", "/header", f"The header has no {column} column.")
    for column in columns:
        if column not in _CSV_COLUMNS:
            p.fail("unknown_field", "/header", f"{column!r} is not a column (date,currency,rate).")
    return columns


def _rate_row(
    p: _Problems,
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
    currency = _currency(p, cells["currency"], f"{ptr}/currency", currencies)
    if currency and currency == base_currency:
        p.fail(
            "base_currency",
            f"{ptr}/currency",
            f"Line {number}: {currency} is the base currency; its rate is always 1.",
        )
    value = _positive_rate(p, cells["rate"], f"{ptr}/rate", number)
    if len(p.errors) > before or day is None or value is None:
        return None
    return currency, day, value


def _iso_date(p: _Problems, text: str, ptr: str, number: int) -> date | None:
    if not text:
        return None
    try:
        if _ISO_DATE.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    p.fail("invalid_date", ptr, f"Line {number}: {text!r} is not a date (YYYY-MM-DD).")
    return None


def _positive_rate(p: _Problems, text: str, ptr: str, number: int) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        p.fail("malformed_rate", ptr, f"Line {number}: rate {text!r} is not a number.")
        return None
    if value <= 0:
        p.fail("not_positive", ptr, f"Line {number}: rate {text} must be greater than zero.")
        return None
    return value
