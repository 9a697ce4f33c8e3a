"""A tariff schedule: the components levied, the tariff lines and their rates, the rounding.

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
The assessment (`karakoram.domain.duties.assessment`) rounds as the schedule says. The error
codes of the duties package are listed in `karakoram.domain.duties`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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

from karakoram.domain.declaration.model import plain_decimal

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
