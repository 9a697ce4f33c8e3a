"""The deal register (issue 19): agreements signed at the fair, then declared, then cleared,
by value and count per HS chapter, country pair (exporter's to importer's) and month of
signature. A shipment is *declared* once either node told of a declaration lodged with its
UCR, *cleared* once the importer's node released its import declaration; its value is the
contract's (quantity x unit price of the lines it carries), in the contract's currency."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

STAGES = ("signed", "declared", "cleared")


@dataclass(frozen=True, slots=True)
class DealShipment:
    """One shipment's signed value in one HS chapter and currency."""

    ucr: str
    chapter: str
    currency: str
    contract_id: str
    origin: str
    destination: str
    month: str
    value: Decimal


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """A node's clearance result of a shipment's declaration."""

    message_id: str
    sender: str
    ucr: str
    declaration_type: str
    status: str
    value: Decimal
    currency: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RegisterRow:
    month: str
    chapter: str
    origin: str
    destination: str
    currency: str
    signed_count: int
    signed_value: Decimal
    declared_count: int
    declared_value: Decimal
    cleared_count: int
    cleared_value: Decimal


def stage_of(ucr: str, results: dict[str, set[tuple[str, str]]]) -> int:
    """0 signed, 1 declared, 2 cleared, from what the nodes told of the UCR."""
    told = results.get(ucr, set())
    if ("IM", "released") in told:
        return 2
    return 1 if any(status in ("declared", "released") for _, status in told) else 0


def tally(shipments: Iterable[DealShipment], results: Iterable[ResultRecord]) -> list[RegisterRow]:
    told: dict[str, set[tuple[str, str]]] = {}
    for r in results:
        told.setdefault(r.ucr, set()).add((r.declaration_type, r.status))
    cells: dict[tuple[str, str, str, str, str], list[object]] = {}
    for s in shipments:
        key = (s.month, s.chapter, s.origin, s.destination, s.currency)
        cell = cells.setdefault(key, [0, Decimal(0), 0, Decimal(0), 0, Decimal(0)])
        reached = stage_of(s.ucr, told)
        for stage in range(reached + 1):
            cell[2 * stage] = int(cell[2 * stage]) + 1  # type: ignore[call-overload]
            cell[2 * stage + 1] = Decimal(cell[2 * stage + 1]) + s.value  # type: ignore[arg-type]
    return [
        RegisterRow(*key, *cell)  # type: ignore[arg-type]
        for key, cell in sorted(cells.items())
    ]
