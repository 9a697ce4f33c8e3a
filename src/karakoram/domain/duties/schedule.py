"""Duties and taxes: tariff schedules, exchange rates, and the assessment of a declaration.

A tariff schedule is a file the administration loads (`karakoram.domain.duties.tariff_file`
parses it; examples/tariff-*.toml show the format). Its components are levied in file order,
and each component's base names the customs value and components listed *before* it, so
compounding is explicit and checkable by hand:

    CD   on customs_value
    ST   on customs_value + CD + ACD + RD
    WHT  on customs_value + CD + ACD + RD + ST

Each tariff line maps an HS prefix to one rate per component; the longest prefix of an item's HS
code wins, and the line with prefix "" matches everything. A component the line gives no rate
for is not levied on that item: it yields no `DutyLine` (and no base part for later components).
A preferential rate replaces the MFN rate, component by component, when the item claims an
agreement the line has and names an origin certificate; otherwise MFN applies and the
assessment carries a note. Whether the certificate is genuine is for the caller to establish.

Specific rates (per kg of net mass, per unit of quantity) are in the schedule's currency.
Customs values and component amounts are rounded as the schedule says; a base is the sum of
rounded amounts, so every line of an assessment can be recomputed from the printed figures.
Notes and messages number items from 1 ("item 2"); `DutyLine.item` and pointers count from 0.

Error codes (`FieldError.code`); they are stable, clients may branch on them:

| code | pointer | meaning |
|---|---|---|
| `invalid_toml` | `""` (the file) | not TOML; the message gives line and column |
| `required` | `/name`, `/lines/3/rates`, `/header`, `/rows/4/rate` ... | missing or empty |
| `invalid_type` | any | wrong TOML type (a table where text is expected ...) |
| `unknown_field` | `/lines/3/colour`, `/header` | a key or CSV column the format does not have |
| `unknown_currency` | `/currency`, `/rows/4/currency` | not an ISO 4217 code the node knows |
| `invalid_choice` | `/applies_to/0`, `/components/1/kind` | not one of the allowed values |
| `invalid_format` | `/components/1/code`, `/lines/3/preferential/x` | badly formed code or name |
| `duplicate_component` | `/components/4/code` | two components with the same code |
| `unknown_component` | `/components/2/base/1`, `/lines/3/rates/XD` | names no component |
| `base_not_earlier` | `/components/2/base/1` | a base part that is listed at or after it |
| `duplicate_base` | `/components/2/base/2` | the same part twice in one base |
| `invalid_rounding` | `/rounding/places`, `/rounding/mode` | places not 0-8, or an unknown mode |
| `invalid_prefix` | `/lines/3/hs_prefix` | not "" nor 2 to 10 digits |
| `duplicate_line` | `/lines/7/hs_prefix` | the same prefix on two lines |
| `malformed_rate` | `/lines/3/rates/CD`, `/rows/4/rate` | not a rate ("5%", "12.50/kg", "3/NAR") |
| `unknown_unit` | `/lines/3/rates/CD` | a per-unit rate in a unit that is not Rec 20 |
| `invalid_date` | `/rows/4/date` | not an ISO date (YYYY-MM-DD) |
| `base_currency` | `/rows/4/currency` | a rate for the base currency (always 1) |
| `not_positive` | `/rows/4/rate` | an exchange rate of zero or less |
| `duplicate_rate` | `/rows/4/date` | two rates for one currency on one date |
| `missing_exchange_rate` | `/invoice/currency` | no rate on or before the date, or too old |
| `no_tariff_line` | `/items/2/hs_code` | no line matches and there is no default line |
| `unit_mismatch` | `/items/2/unit` | a per-unit rate in another unit than declared |
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from enum import StrEnum
from typing import Any

from karakoram.domain.declaration.model import Declaration, GoodsItem, plain_decimal
from karakoram.domain.errors import FieldError, ValidationFailed

#: The base part that stands for the item's customs value in the schedule's currency.
CUSTOMS_VALUE = "customs_value"

#: Rounding modes as the tariff file spells them, mapped to the `decimal` constants.
ROUNDING_MODES: dict[str, str] = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "half_down": ROUND_HALF_DOWN,
    "up": ROUND_UP,
    "down": ROUND_DOWN,
    "ceiling": ROUND_CEILING,
    "floor": ROUND_FLOOR,
}

_ZERO = Decimal(0)
_TERM = re.compile(r"(\d+(?:\.\d+)?)\s*(%|/kg|/[A-Z0-9]{2,3})")


class ComponentKind(StrEnum):
    CUSTOMS_DUTY = "customs_duty"
    ADDITIONAL = "additional"
    VAT = "vat"
    WITHHOLDING = "withholding"
    EXCISE = "excise"


@dataclass(frozen=True, slots=True)
class Rate:
    """Ad valorem (a fraction: 5% is 0.05) plus specific rates in the schedule's currency."""

    ad_valorem: Decimal = _ZERO
    #: per kilogram of net mass
    per_kg: Decimal = _ZERO
    #: per unit of the item's quantity; `unit` is the Rec 20 unit it applies to
    per_unit: Decimal = _ZERO
    unit: str | None = None

    def describe(self) -> str:
        """The rate as the tariff file writes it: '5% + 12.50/kg'."""
        terms = []
        if self.ad_valorem or not (self.per_kg or self.per_unit):
            terms.append(f"{plain_decimal(self.ad_valorem.scaleb(2))}%")
        if self.per_kg:
            terms.append(f"{self.per_kg:f}/kg")
        if self.per_unit:
            terms.append(f"{self.per_unit:f}/{self.unit or 'unit'}")
        return " + ".join(terms)

    def amount(self, base: Decimal, net_mass: Decimal, quantity: Decimal) -> Decimal:
        """The unrounded amount on `base` for goods of this mass and quantity."""
        return base * self.ad_valorem + net_mass * self.per_kg + quantity * self.per_unit


def parse_rate(text: str) -> Rate:
    """'5%', '12.50/kg', '3/NAR' or a sum of them ('5% + 12.50/kg'); ValueError otherwise."""
    found: dict[str, Decimal] = {}
    unit = None
    for term in text.split("+"):
        match = _TERM.fullmatch(term.strip())
        if match is None:
            raise ValueError(f"{term.strip()!r} is not a rate term")
        kind = match[2] if match[2] in ("%", "/kg") else "/unit"
        if kind in found:
            raise ValueError(f"{kind} is given twice")
        found[kind] = Decimal(match[1])
        unit = match[2][1:] if kind == "/unit" else unit
    return Rate(
        found.get("%", _ZERO).scaleb(-2), found.get("/kg", _ZERO), found.get("/unit", _ZERO), unit
    )


@dataclass(frozen=True, slots=True)
class Component:
    """One duty or tax; `base` names `customs_value` and/or codes of earlier components."""

    code: str
    name: str
    kind: ComponentKind
    base: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TariffLine:
    """Rates for the goods whose HS code starts with `hs_prefix` ("" matches everything)."""

    hs_prefix: str
    #: component code -> MFN rate
    rates: Mapping[str, Rate]
    #: agreement -> component code -> preferential rate
    preferential: Mapping[str, Mapping[str, Rate]] = field(default_factory=dict)
    description: str = ""

    def label(self) -> str:
        return f"tariff line {self.hs_prefix}" if self.hs_prefix else "the default tariff line"


@dataclass(frozen=True, slots=True)
class Rounding:
    """`places` decimal places, `mode` a `decimal` rounding constant such as ROUND_HALF_UP."""

    places: int
    mode: str

    def apply(self, amount: Decimal) -> Decimal:
        return amount.quantize(Decimal(1).scaleb(-self.places), rounding=self.mode)


@dataclass(frozen=True, slots=True)
class TariffSchedule:
    name: str
    #: ISO 4217 currency of the administration: customs values and amounts are in it
    currency: str
    #: declaration types ("IM", "EX") the schedule is levied on
    applies_to: frozenset[str]
    #: in compounding order
    components: tuple[Component, ...]
    lines: tuple[TariffLine, ...]
    rounding: Rounding
    example: bool = False
    _index: dict[str, TariffLine] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {line.hs_prefix: line for line in self.lines}
        if len(index) != len(self.lines):
            raise ValueError(f"{self.name}: two tariff lines have the same HS prefix")
        object.__setattr__(self, "_index", index)

    def line_for(self, hs_code: str) -> TariffLine | None:
        """The line with the longest prefix of `hs_code`, or None."""
        for length in range(len(hs_code), -1, -1):
            line = self._index.get(hs_code[:length])
            if line is not None:
                return line
        return None


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

    def has_rate(self, currency: str, on: date) -> bool:
        try:
            self.rate(currency, on)
        except ValidationFailed:
            return False
        return True


def _missing_rate(message: str) -> ValidationFailed:
    return ValidationFailed([FieldError("missing_exchange_rate", "/invoice/currency", message)])


@dataclass(frozen=True, slots=True)
class DutyLine:
    """One component levied on one item (`item` is the 0-based index in the declaration)."""

    item: int
    code: str
    name: str
    kind: ComponentKind
    base: Decimal
    #: what `base` adds up: ("customs_value", 1000), ("CD", 200) ...
    base_parts: tuple[tuple[str, Decimal], ...]
    #: `Rate.describe()` of the rate applied
    rate: str
    #: the preferential agreement whose rate was applied; None for MFN
    agreement: str | None
    amount: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "code": self.code,
            "name": self.name,
            "kind": self.kind.value,
            "base": plain_decimal(self.base),
            "base_parts": [{"part": p, "amount": plain_decimal(a)} for p, a in self.base_parts],
            "rate": self.rate,
            "agreement": self.agreement,
            "amount": plain_decimal(self.amount),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DutyLine:
        return cls(
            item=int(d["item"]),
            code=d["code"],
            name=d["name"],
            kind=ComponentKind(d["kind"]),
            base=Decimal(d["base"]),
            base_parts=tuple((p["part"], Decimal(p["amount"])) for p in d["base_parts"]),
            rate=d["rate"],
            agreement=d["agreement"],
            amount=Decimal(d["amount"]),
        )


@dataclass(frozen=True, slots=True)
class DutyAssessment:
    """What a declaration owes under one schedule, line by line, in the schedule's currency.

    When the schedule does not apply to the declaration's type there are customs values but
    no lines, every total is 0, and a note says so.
    """

    currency: str
    #: units of `currency` per unit of `invoice_currency`, and the date it was published for
    exchange_rate: Decimal
    rate_date: date
    invoice_currency: str
    #: per item, in the schedule's currency, rounded
    customs_values: tuple[Decimal, ...]
    lines: tuple[DutyLine, ...]
    #: component code -> total over all items, for every component of the schedule
    totals: Mapping[str, Decimal]
    total: Decimal
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: decimals as plain strings, dates in ISO format."""
        return {
            "currency": self.currency,
            "exchange_rate": plain_decimal(self.exchange_rate),
            "rate_date": self.rate_date.isoformat(),
            "invoice_currency": self.invoice_currency,
            "customs_values": [plain_decimal(v) for v in self.customs_values],
            "lines": [line.as_dict() for line in self.lines],
            "totals": {code: plain_decimal(v) for code, v in self.totals.items()},
            "total": plain_decimal(self.total),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DutyAssessment:
        """The inverse of `as_dict`."""
        return cls(
            currency=d["currency"],
            exchange_rate=Decimal(d["exchange_rate"]),
            rate_date=date.fromisoformat(d["rate_date"]),
            invoice_currency=d["invoice_currency"],
            customs_values=tuple(Decimal(v) for v in d["customs_values"]),
            lines=tuple(DutyLine.from_dict(line) for line in d["lines"]),
            totals={code: Decimal(v) for code, v in d["totals"].items()},
            total=Decimal(d["total"]),
            notes=tuple(d["notes"]),
        )


@dataclass(frozen=True, slots=True)
class _Levy:
    """The rate one component has for one item, and the agreement it comes from."""

    component: Component
    rate: Rate
    agreement: str | None


def calculate_duties(
    declaration: Declaration, schedule: TariffSchedule, rates: ExchangeRates, on: date
) -> DutyAssessment:
    """Assess `declaration` under `schedule`, converting at the rate in force `on`.

    A declaration type the schedule does not apply to gets its customs values but no lines.
    Raises ValidationFailed listing every missing exchange rate, item without a tariff line and
    per-unit rate in the wrong unit; ValueError if `rates` are not in the schedule's currency.
    """
    if rates.base_currency != schedule.currency:
        raise ValueError(
            f"Exchange rates are in {rates.base_currency}, the schedule {schedule.name!r} "
            f"in {schedule.currency}."
        )
    errors: list[FieldError] = []
    notes: list[str] = []
    exchange_rate, rate_date = _exchange_rate(rates, declaration.invoice.currency, on, errors)
    levies = _plan(declaration, schedule, errors, notes)
    if errors:
        raise ValidationFailed(errors)
    values = tuple(schedule.rounding.apply(i.value * exchange_rate) for i in declaration.items)
    lines = tuple(
        line
        for n, item in enumerate(declaration.items)
        for line in _assess_item(n, item, values[n], levies[n], schedule.rounding)
    )
    totals = _totals(schedule, lines)
    return DutyAssessment(
        currency=schedule.currency,
        exchange_rate=exchange_rate,
        rate_date=rate_date,
        invoice_currency=declaration.invoice.currency,
        customs_values=values,
        lines=lines,
        totals=totals,
        total=sum(totals.values(), _ZERO),
        notes=tuple(notes),
    )


def _totals(schedule: TariffSchedule, lines: tuple[DutyLine, ...]) -> dict[str, Decimal]:
    """The total of each component over all items; 0 for a component nothing was levied for."""
    return {
        c.code: sum((line.amount for line in lines if line.code == c.code), _ZERO)
        for c in schedule.components
    }


def _exchange_rate(
    rates: ExchangeRates, currency: str, on: date, errors: list[FieldError]
) -> tuple[Decimal, date]:
    try:
        return rates.rate(currency, on)
    except ValidationFailed as missing:
        errors.extend(missing.errors)
        return _ZERO, on


def _plan(
    declaration: Declaration, schedule: TariffSchedule, errors: list[FieldError], notes: list[str]
) -> list[tuple[_Levy, ...]]:
    """What each item is levied at; nothing when the schedule does not apply to the type."""
    if declaration.type.value not in schedule.applies_to:
        kind = declaration.type.value
        notes.append(f"{schedule.name} is not levied on {kind} declarations; nothing was assessed.")
        return [() for _ in declaration.items]
    return [_levies(n, item, schedule, errors, notes) for n, item in enumerate(declaration.items)]


def _levies(
    n: int, item: GoodsItem, schedule: TariffSchedule, errors: list[FieldError], notes: list[str]
) -> tuple[_Levy, ...]:
    """The rate of each component levied on item `n`, in compounding order."""
    line = schedule.line_for(item.hs_code)
    if line is None:
        errors.append(
            FieldError(
                "no_tariff_line",
                f"/items/{n}/hs_code",
                f"Item {n + 1}: {schedule.name} has no tariff line for HS {item.hs_code}.",
            )
        )
        return ()
    agreement = _agreement(n, item, line, notes)
    preferential = line.preferential.get(agreement or "", {})
    levies = []
    for component in schedule.components:
        rate = preferential.get(component.code)
        used = agreement if rate is not None else None
        rate = rate if rate is not None else line.rates.get(component.code)
        if rate is not None:
            _check_unit(n, item, line, component, rate, errors)
            levies.append(_Levy(component, rate, used))
    return tuple(levies)


def _agreement(n: int, item: GoodsItem, line: TariffLine, notes: list[str]) -> str | None:
    """The agreement whose rates apply to item `n`, noting a claim that cannot be granted."""
    claim = (item.preference or "").strip().upper()
    if not claim:
        return None
    where = f"item {n + 1} (HS {item.hs_code})"
    if claim not in line.preferential:
        notes.append(f"{where}: {line.label()} has no {claim} rate; MFN applied.")
        return None
    if not item.origin_certificate:
        notes.append(f"{where}: {claim} claimed without an origin certificate; MFN applied.")
        return None
    return claim


def _check_unit(
    n: int,
    item: GoodsItem,
    line: TariffLine,
    component: Component,
    rate: Rate,
    errors: list[FieldError],
) -> None:
    if rate.per_unit and rate.unit is not None and rate.unit != item.unit:
        errors.append(
            FieldError(
                "unit_mismatch",
                f"/items/{n}/unit",
                f"Item {n + 1}: {component.code} under {line.label()} is {rate.describe()}, "
                f"but the quantity is declared in {item.unit}; declare it in {rate.unit}.",
            )
        )


def _assess_item(
    n: int, item: GoodsItem, customs_value: Decimal, levies: tuple[_Levy, ...], r: Rounding
) -> list[DutyLine]:
    """Levy each component on item `n` in order, each base adding up earlier amounts."""
    amounts = {CUSTOMS_VALUE: customs_value}
    lines = []
    for levy in levies:
        c = levy.component
        parts = tuple((part, amounts[part]) for part in c.base if part in amounts)
        base = sum((amount for _, amount in parts), _ZERO)
        amount = r.apply(levy.rate.amount(base, item.net_mass, item.quantity))
        amounts[c.code] = amount
        lines.append(
            DutyLine(
                n, c.code, c.name, c.kind, base, parts, levy.rate.describe(), levy.agreement, amount
            )
        )
    return lines
