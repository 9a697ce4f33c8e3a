"""How the node keeps a cargo report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from karakoram.domain.gate.cargo_report import CargoReport
from karakoram.domain.gate.truck import TruckStatus


@dataclass(frozen=True, slots=True)
class CargoReportRecord:
    """A lodged cargo report: its carrier (a party identifier), its state and its version
    (raised by each change, for optimistic locking)."""

    carrier: str
    report: CargoReport
    status: TruckStatus
    digest: str
    lodged_by: str
    lodged_at: datetime
    updated_at: datetime
    version: int = 1
    id: int | None = None
