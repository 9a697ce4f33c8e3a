"""What the truck carries against what was declared: the write-off's discrepancies.

At presentation each consignment on the cargo report is written off against the declaration
with its UCR. The finder names what does not match, for an officer to resolve (add the missing
declaration, amend one, or seize):
- `undeclared`: a consignment on the truck that no declaration covers;
- `not_on_truck`: a declaration that names this truck (its registration, this crossing) but
  whose consignment is not on the report;
- `packages`: the package count differs (when the declaration states one);
- `mass`: the gross mass differs beyond the tolerance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from karakoram.domain.declaration.model import plate_key
from karakoram.domain.gate.cargo_report import CargoReport, Consignment


class DiscrepancyKind(StrEnum):
    UNDECLARED = "undeclared"
    NOT_ON_TRUCK = "not_on_truck"
    PACKAGES = "packages"
    MASS = "mass"


@dataclass(frozen=True, slots=True)
class Declared:
    """A declaration as the write-off sees it: its consignment and its truck."""

    ucr: str
    mrn: str
    gross_mass: Decimal
    registration: str
    packages: int | None = None


@dataclass(frozen=True, slots=True)
class MassTolerance:
    """How far the weighed or reported mass may stray from the declared: the larger of a
    share of the declared mass and a fixed allowance (scales, pallets, fuel)."""

    share: Decimal = Decimal("0.05")
    kilograms: Decimal = Decimal(50)

    def allows(self, declared: Decimal, found: Decimal) -> bool:
        return abs(found - declared) <= max(declared * self.share, self.kilograms)


@dataclass(frozen=True, slots=True)
class Discrepancy:
    kind: DiscrepancyKind
    ucr: str
    mrn: str | None
    detail: str


def find_discrepancies(
    report: CargoReport,
    declared: Iterable[Declared],
    tolerance: MassTolerance | None = None,
) -> list[Discrepancy]:
    """Every mismatch between `report` and the declarations that cover its consignments or
    name its truck, in the report's order, then the declarations missing from it."""
    tolerance = tolerance or MassTolerance()
    by_ucr: dict[str, Declared] = {}
    naming_truck: list[Declared] = []
    registrations = {plate_key(r) for r in report.registrations()}
    for d in declared:
        by_ucr.setdefault(d.ucr, d)
        if plate_key(d.registration) in registrations:
            naming_truck.append(d)
    found: list[Discrepancy] = []
    for c in report.consignments:
        covering = by_ucr.get(c.ucr)
        if covering is None:
            found.append(
                Discrepancy(
                    DiscrepancyKind.UNDECLARED,
                    c.ucr,
                    None,
                    f"{c.ucr} is on the truck ({c.packages} packages, {c.gross_mass} kg) "
                    "but no declaration covers it",
                )
            )
            continue
        found.extend(_compare(c, covering, tolerance))
    on_truck = {c.ucr for c in report.consignments}
    for d in naming_truck:
        if d.ucr not in on_truck:
            found.append(
                Discrepancy(
                    DiscrepancyKind.NOT_ON_TRUCK,
                    d.ucr,
                    d.mrn,
                    f"{d.mrn} names this truck ({d.registration}) but {d.ucr} is not on it",
                )
            )
    return found


def _compare(c: Consignment, d: Declared, tolerance: MassTolerance) -> list[Discrepancy]:
    found = []
    if d.packages is not None and d.packages != c.packages:
        found.append(
            Discrepancy(
                DiscrepancyKind.PACKAGES,
                c.ucr,
                d.mrn,
                f"{c.packages} packages on the truck, {d.packages} declared",
            )
        )
    if not tolerance.allows(d.gross_mass, c.gross_mass):
        found.append(
            Discrepancy(
                DiscrepancyKind.MASS,
                c.ucr,
                d.mrn,
                f"{c.gross_mass} kg on the truck, {d.gross_mass} kg declared",
            )
        )
    return found


class Resolution(StrEnum):
    """How an officer settles a discrepancy (docs/gate.md, the write-off table)."""

    ADD = "add"  # a declaration lodged since covers the consignment
    AMEND = "amend"  # the report is corrected: a consignment added, packages or mass
    SEIZE = "seize"  # the consignment is held; the truck goes on without it


#: what each kind of discrepancy may be settled by
RESOLUTIONS: dict[DiscrepancyKind, frozenset[Resolution]] = {
    DiscrepancyKind.UNDECLARED: frozenset({Resolution.ADD, Resolution.SEIZE}),
    DiscrepancyKind.NOT_ON_TRUCK: frozenset({Resolution.AMEND}),
    DiscrepancyKind.PACKAGES: frozenset({Resolution.AMEND, Resolution.SEIZE}),
    DiscrepancyKind.MASS: frozenset({Resolution.AMEND, Resolution.SEIZE}),
}
