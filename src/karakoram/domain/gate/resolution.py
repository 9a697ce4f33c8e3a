"""An officer settles a discrepancy of the write-off (docs/gate.md): `add` (a declaration
lodged since covers the consignment), `amend` (the cargo report corrected: the missing
consignment added, its packages or mass set right) or `seize` (the consignment is held and
the truck goes on without it). Each is reasoned; the request is read like a declaration,
every problem at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from karakoram.domain.declaration.field_reader import FieldReader
from karakoram.domain.errors import ValidationFailed
from karakoram.domain.gate.cargo_report import CargoReport, Consignment
from karakoram.domain.gate.discrepancies import RESOLUTIONS, DiscrepancyKind, Resolution

_FIELDS = frozenset({"resolution", "reason", "packages", "gross_mass"})


@dataclass(frozen=True, slots=True)
class Settlement:
    """What the officer decided, with the corrected figures of an amendment."""

    resolution: Resolution
    reason: str
    packages: int | None = None
    gross_mass: Decimal | None = None


def parse_settlement(data: Any, kind: DiscrepancyKind) -> Settlement:
    """The officer's decision on a discrepancy of `kind`, or `ValidationFailed`."""
    r = FieldReader()
    if not isinstance(data, Mapping):
        r.fail("invalid_type", "", "The decision must be a JSON object.")
        raise ValidationFailed(r.errors)
    r.unknown_fields(data, _FIELDS, "")
    allowed = RESOLUTIONS[kind]
    names = ", ".join(sorted(a.value for a in allowed))
    raw = data.get("resolution")
    resolution = Resolution(raw) if raw in {a.value for a in Resolution} else None
    if resolution is None:
        r.fail("invalid_value", "/resolution", "resolution is add, amend or seize.")
    elif resolution not in allowed:
        r.fail("not_allowed", "/resolution", f"A {kind.value} discrepancy is settled by {names}.")
    reason = r.text(data, "reason", "", max_len=500)
    packages, mass = None, None
    if resolution is Resolution.AMEND:
        packages, mass = _figures(r, data, kind)
    if r.errors:
        raise ValidationFailed(r.errors)
    assert resolution is not None
    return Settlement(resolution, reason, packages, mass)


def _figures(
    r: FieldReader, data: Mapping[str, Any], kind: DiscrepancyKind
) -> tuple[int | None, Decimal | None]:
    """The figures an amendment sets: both for a consignment added to the report, the one in
    dispute otherwise."""
    packages, mass = None, None
    if kind in (DiscrepancyKind.NOT_ON_TRUCK, DiscrepancyKind.PACKAGES):
        value = data.get("packages")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 1_000_000:
            r.fail("invalid_value", "/packages", "packages is a whole number, 1 to 999,999.")
        else:
            packages = value
    if kind in (DiscrepancyKind.NOT_ON_TRUCK, DiscrepancyKind.MASS):
        mass = r.positive(data, "gross_mass", "")
    return packages, mass


def amended_report(report: CargoReport, ucr: str, settlement: Settlement) -> CargoReport:
    """The report with consignment `ucr` corrected (its packages, its mass) or, when it is not
    on the report, added with both."""
    packages, mass = settlement.packages, settlement.gross_mass
    found = [c for c in report.consignments if c.ucr == ucr]
    if not found:
        assert packages is not None and mass is not None
        added = Consignment(ucr, packages, mass)
        return replace(report, consignments=(*report.consignments, added))
    old = found[0]
    new = Consignment(
        ucr,
        old.packages if packages is None else packages,
        old.gross_mass if mass is None else mass,
    )
    return replace(
        report, consignments=tuple(new if c.ucr == ucr else c for c in report.consignments)
    )
