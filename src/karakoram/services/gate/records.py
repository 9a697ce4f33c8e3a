"""How the node keeps a cargo report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
