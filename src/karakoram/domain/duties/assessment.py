"""The assessment of a declaration under a tariff schedule: one `DutyLine` per component and
item, in compounding order, and the totals.

Specific rates (per kg of net mass, per unit of quantity) are in the schedule's currency.
Customs values and component amounts are rounded as the schedule says; a base is the sum of
rounded amounts, so every line of an assessment can be recomputed from the printed figures.
Notes and messages number items from 1 ("item 2"); `DutyLine.item` and pointers count from 0.
The error codes are listed in `karakoram.domain.duties`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from karakoram.domain.declaration.model import Declaration, GoodsItem, plain_decimal
from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.domain.duties.schedule import (
    CUSTOMS_VALUE,
    Component,
    ComponentKind,
    Rate,
    Rounding,
    TariffLine,
    TariffSchedule,
)
from karakoram.domain.errors import FieldError, ValidationFailed

_ZERO = Decimal(0)


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
