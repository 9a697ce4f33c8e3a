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

from karakoram.domain.declaration.model import Declaration


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


@dataclass(frozen=True, slots=True)
class MirrorRow:
    """One line of the side-by-side comparison an officer reads: the same figure as each side
    declared it, and whether the gap is beyond the tolerance (what the risk check flags)."""

    field: str  # value | hs6 | gross_mass | quantity
    ours: str | None  # None: this side declared no such HS6
    theirs: str | None
    share: Decimal | None
    flagged: bool
    hs6: str | None = None

    def gap(self) -> Gap:
        return Gap(self.field, self.ours or "", self.theirs or "", self.share, self.hs6)


def mirror_rows(
    ours: Declaration,
    theirs: Mapping[str, Any],
    our_value: Decimal | None,
    their_value: Decimal | None,
    tolerances: Tolerances = Tolerances(),
) -> list[MirrorRow]:
    """Our declaration beside the partner's (`theirs` is its canonical dict), figure by figure:
    the invoice values in one currency (None when they could not be converted), the HS6 codes,
    and gross mass and quantity per HS6 over the codes either side declared."""
    mine = [
        {"hs_code": i.hs_code, "gross_mass": i.gross_mass, "quantity": i.quantity}
        for i in ours.items
    ]
    partner_items = list(theirs.get("items", []))
    rows: list[MirrorRow] = []
    if our_value is not None and their_value is not None:
        share = _share(our_value, their_value)
        flagged = share is not None and abs(share) > tolerances.value
        rows.append(MirrorRow("value", f"{our_value:.2f}", f"{their_value:.2f}", share, flagged))
    our_hs, their_hs = _by_hs6(mine, "gross_mass"), _by_hs6(partner_items, "gross_mass")
    rows.append(
        MirrorRow(
            "hs6",
            ",".join(sorted(our_hs)),
            ",".join(sorted(their_hs)),
            None,
            set(our_hs) != set(their_hs),
        )
    )
    our_qty, their_qty = _by_hs6(mine, "quantity"), _by_hs6(partner_items, "quantity")
    for field, a, b, tolerance in (
        ("gross_mass", our_hs, their_hs, tolerances.mass),
        ("quantity", our_qty, their_qty, tolerances.quantity),
    ):
        for hs6 in sorted(set(a) | set(b)):
            mine_, theirs_ = a.get(hs6), b.get(hs6)
            share = _share(mine_, theirs_) if mine_ is not None and theirs_ is not None else None
            rows.append(
                MirrorRow(
                    field,
                    None if mine_ is None else str(mine_),
                    None if theirs_ is None else str(theirs_),
                    share,
                    share is not None and abs(share) > tolerance,
                    hs6,
                )
            )
    return rows


def mirror_gaps(
    ours: Declaration,
    theirs: Mapping[str, Any],
    our_value: Decimal,
    their_value: Decimal,
    tolerances: Tolerances = Tolerances(),
) -> list[Gap]:
    """Gaps between our declaration and the partner's (`theirs` is its canonical dict);
    `our_value` and `their_value` are the invoice totals converted to one currency."""
    rows = mirror_rows(ours, theirs, our_value, their_value, tolerances)
    return [row.gap() for row in rows if row.flagged]
