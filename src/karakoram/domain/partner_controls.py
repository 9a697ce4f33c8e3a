"""One inspection for both sides: what the partner's controls of the SAME consignment allow.

When the exporting side inspected a consignment and found nothing, the importing officer may
accept that inspection instead of a second one, if it is recent enough; and rules may read
what the partner found on this very consignment (`partner_inspected_clean`,
`partner_control_found`). A bad result on the trader's OTHER consignments is a separate
signal (`services/exchange/partner_view.py`, `partner_control`) and stays so.

Only a physical inspection (kind `inspection`) can stand in for one; a documents check that
found something still counts as "found something".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from karakoram.domain.errors import Conflict

#: the control kind a node sends for a physical inspection (services/clearance.CONTROLS)
INSPECTION = "inspection"
#: the kind of the control recorded when an officer accepts the partner's inspection
ACCEPTED_KIND = "partner_inspection"
CLEAN = "compliant"
_FOUND = frozenset({"discrepancy", "prohibited"})


@dataclass(frozen=True, slots=True)
class PartnerControl:
    """One control result the partner sent about this consignment (same UCR)."""

    message_id: str
    sender: str
    kind: str  # inspection | documents
    result: str  # compliant | discrepancy | prohibited
    at: datetime  # when the partner made the control


class PartnerInspectionRefused(Conflict):
    """The partner's inspection cannot stand in for ours; `code` says why."""

    title = "The partner's inspection cannot be accepted"

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def found_something(controls: Sequence[PartnerControl]) -> PartnerControl | None:
    """The latest partner control of this consignment that found a discrepancy or worse."""
    bad = [c for c in controls if c.result in _FOUND]
    return max(bad, key=_at) if bad else None


def clean_inspection(
    controls: Sequence[PartnerControl], now: datetime, max_age: timedelta
) -> PartnerControl | None:
    """The partner's latest clean physical inspection no older than `max_age`, unless any of
    its controls of the consignment found something."""
    if found_something(controls) is not None:
        return None
    clean = [c for c in controls if c.kind == INSPECTION and c.result == CLEAN]
    latest = max(clean, key=_at, default=None)
    if latest is None or now - latest.at > max_age:
        return None
    return latest


def acceptable_inspection(
    ucr: str, controls: Sequence[PartnerControl], now: datetime, max_age: timedelta
) -> PartnerControl:
    """The partner inspection an officer may accept instead of inspecting again, or the
    refusal naming why not (none, it found something, too old)."""
    bad = found_something(controls)
    if bad is not None:
        raise PartnerInspectionRefused(
            "partner_found_something",
            f"The partner's {bad.kind} of UCR {ucr} found {bad.result}: inspect it here.",
        )
    inspections = [c for c in controls if c.kind == INSPECTION and c.result == CLEAN]
    if not inspections:
        raise PartnerInspectionRefused(
            "no_partner_inspection",
            f"The partner sent no clean physical inspection of UCR {ucr}.",
        )
    found = clean_inspection(controls, now, max_age)
    if found is None:
        hours = max_age.total_seconds() / 3600
        raise PartnerInspectionRefused(
            "partner_inspection_too_old",
            f"The partner's inspection of UCR {ucr} is older than {hours:g} hours.",
        )
    return found


def partner_facts(
    controls: Sequence[PartnerControl], now: datetime, max_age: timedelta
) -> dict[str, bool]:
    """The rule facts the partner's controls of this consignment give (see risk/facts.py)."""
    return {
        "partner_inspected_clean": clean_inspection(controls, now, max_age) is not None,
        "partner_control_found": found_something(controls) is not None,
    }


def _at(control: PartnerControl) -> datetime:
    return control.at
