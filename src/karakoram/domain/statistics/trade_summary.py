"""The monthly trade summary a node sends the expo: cleared trade by HS chapter and route
(exporting country → importing country), each cell fed by fewer than `min_traders` distinct
traders suppressed so that no competitor's volume shows (the cell says it is suppressed and
carries no figure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class TradeCell:
    """One group of the analytical copy: a direction, partner country and chapter."""

    direction: str  # export | import
    partner: str
    chapter: str
    value: Decimal
    declarations: int
    traders: int


def route(direction: str, partner: str, country: str) -> tuple[str, str]:
    """(origin, destination) of trade this node's `country` declares with `partner`."""
    return (country, partner) if direction in ("export", "EX") else (partner, country)


def summary_cells(
    cells: Iterable[TradeCell], country: str, min_traders: int
) -> list[dict[str, Any]]:
    """The cells as the `trade_summary` body carries them, sorted by route and chapter."""
    out = []
    for c in cells:
        if not c.partner or len(c.partner) != 2 or not c.chapter.isdigit():
            continue
        origin, destination = route(c.direction, c.partner, country)
        cell: dict[str, Any] = {"chapter": c.chapter, "origin": origin, "destination": destination}
        if c.traders < min_traders:
            cell["suppressed"] = True
        else:
            cell["declarations"] = c.declarations
            cell["value"] = str(c.value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        out.append(cell)
    return sorted(out, key=lambda c: (c["origin"], c["destination"], c["chapter"]))
