"""How the node keeps a cargo report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

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
class FallbackKeyRecord:
    """A key an officer may sign a fallback file with, certified in advance by the node."""

    kid: str
    jwk: dict[str, Any]
    officer: str
    valid_from: datetime
    valid_to: datetime
    certified_by: str
    certified_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FallbackEntryRecord:
    """A fallback entry taken in: `outcome` is "taken" (it became `reference`: the MRN
    lodged, the UCR that arrived) or "refused" (`detail` says why)."""

    kid: str
    seq: int
    digest: str
    kind: str
    officer: str
    captured_at: datetime
    taken_at: datetime
    outcome: str
    reference: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class SlotBooking:
    """A truck's booked slot. `owner` is the administration whose node owns the slot (the
    exporting side); `direction` is the truck's as this node sees it (outbound here: ours;
    inbound: the partner's booking, received as a message). `status`: provisional until the
    importing side answers, then confirmed or refused (`reason` says why)."""

    owner: str
    carrier: str
    reference: str
    crossing: str
    direction: str
    day: date
    start: time
    registration: str
    ucrs: tuple[str, ...]
    status: str
    booked_by: str
    booked_at: datetime
    reason: str | None = None
    answered_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Readiness:
    """What the node knows of one consignment a booked truck carries, for the day view."""

    ucr: str
    mrn: str | None = None
    status: str | None = None
    channel: str | None = None
    score: int | None = None
    paid: bool = False
    pre_arrival: bool = False


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
