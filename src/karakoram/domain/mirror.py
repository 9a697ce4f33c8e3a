"""Mirror check: what the importer declares against what the exporter declared.

Values are compared in one currency (the caller converts both invoices); quantities and masses
per HS6. A gap is reported when it is above the tolerance; under-declared import values are the
classic fraud the check exists for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from karakoram.domain.declaration import Declaration


@dataclass(frozen=True, slots=True)
class Tolerances:
    value: Decimal = Decimal("0.10")  # share of the exporter's value
    mass: Decimal = Decimal("0.05")
    quantity: Decimal = Decimal("0.02")


@dataclass(frozen=True, slots=True)
class Gap:
    field: str  # value | gross_mass | quantity | hs6
    ours: str
    theirs: str
    share: Decimal | None  # (ours - theirs) / theirs, when both are numbers
    hs6: str | None = None

    def describe(self) -> str:
        where = f" for HS {self.hs6}" if self.hs6 else ""
        if self.share is None:
            return f"{self.field}{where}: declared {self.ours}, partner declared {self.theirs}"
        return (
            f"{self.field}{where}: declared {self.ours}, partner declared {self.theirs} "
            f"({self.share:+.1%})"
        )


def _share(ours: Decimal, theirs: Decimal) -> Decimal | None:
    return (ours - theirs) / theirs if theirs else None


def _by_hs6(items: Iterable[Mapping[str, Any]], key: str) -> dict[str, Decimal]:
    totals: defaultdict[str, Decimal] = defaultdict(Decimal)
    for item in items:
        totals[str(item["hs_code"])[:6]] += Decimal(str(item[key]))
    return dict(totals)


def mirror_gaps(
    ours: Declaration,
    theirs: Mapping[str, Any],
    our_value: Decimal,
    their_value: Decimal,
    tolerances: Tolerances = Tolerances(),
) -> list[Gap]:
    """Gaps between our declaration and the partner's (`theirs` is its canonical dict);
    `our_value` and `their_value` are the invoice totals converted to one currency."""
    mine = [
        {"hs_code": i.hs_code, "gross_mass": i.gross_mass, "quantity": i.quantity}
        for i in ours.items
    ]
    partner_items = list(theirs.get("items", []))
    gaps: list[Gap] = []
    share = _share(our_value, their_value)
    if share is not None and abs(share) > tolerances.value:
        gaps.append(Gap("value", f"{our_value:.2f}", f"{their_value:.2f}", share))
    our_hs, their_hs = _by_hs6(mine, "gross_mass"), _by_hs6(partner_items, "gross_mass")
    if set(our_hs) != set(their_hs):
        gaps.append(Gap("hs6", ",".join(sorted(our_hs)), ",".join(sorted(their_hs)), None))
    for hs6 in sorted(set(our_hs) & set(their_hs)):
        share = _share(our_hs[hs6], their_hs[hs6])
        if share is not None and abs(share) > tolerances.mass:
            gaps.append(Gap("gross_mass", str(our_hs[hs6]), str(their_hs[hs6]), share, hs6))
    our_qty, their_qty = _by_hs6(mine, "quantity"), _by_hs6(partner_items, "quantity")
    for hs6 in sorted(set(our_qty) & set(their_qty)):
        share = _share(our_qty[hs6], their_qty[hs6])
        if share is not None and abs(share) > tolerances.quantity:
            gaps.append(Gap("quantity", str(our_qty[hs6]), str(their_qty[hs6]), share, hs6))
    return gaps
