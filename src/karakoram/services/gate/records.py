"""How the node keeps a cargo report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from karakoram.domain.gate.cargo_report import CargoReport
from karakoram.domain.gate.discrepancies import Discrepancy, Resolution
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


@dataclass(frozen=True, slots=True)
class DiscrepancyRecord:
    """A discrepancy the write-off found (`seq`: its place on the report) and, once an
    officer settled it, how, why, by whom and when."""

    seq: int
    discrepancy: Discrepancy
    resolution: Resolution | None = None
    reason: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.resolution is None
