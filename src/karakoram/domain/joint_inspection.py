"""Joint inspections: both administrations inspect one consignment together, once.

Either side proposes a time for a consignment (by UCR); the other side accepts; after the
inspection one side records the result as ONE control record, signs its canonical form with
its node key and sends it; the other side checks the record against the proposal it accepted,
countersigns it and sends its signature back. Each side keeps the record and both signatures.

    proposed --accept (the other side)--> accepted --record (either side)--> signed
    signed --the other side's signature--> recorded
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from karakoram.domain.errors import InvalidTransition


class JointStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    SIGNED = "signed"  # by one side: the record waits for the other's signature
    RECORDED = "recorded"  # signed by both


@dataclass(frozen=True, slots=True)
class JointInspection:
    """One joint inspection as this node keeps it."""

    proposal_id: str
    ucr: str
    proposed_by: str  # the administration that proposed it
    partner: str  # the other administration
    at: datetime  # the time proposed for the inspection
    status: JointStatus
    mrn: str | None = None  # this side's declaration of the consignment, if any
    note: str = ""
    record: dict[str, Any] | None = None
    #: administration -> its node's JWS over the canonical record
    signatures: dict[str, str] = field(default_factory=dict)


def joint_record(
    j: JointInspection, result: str, findings: dict[str, Any], sides: tuple[str, str]
) -> dict[str, Any]:
    """The canonical control record both nodes sign (RFC 8785 is applied when signing)."""
    return {
        "kind": "joint_inspection",
        "proposal_id": j.proposal_id,
        "ucr": j.ucr,
        "at": j.at.isoformat(),
        "administrations": sorted(sides),
        "result": result,
        "findings": findings,
    }


def check_accept(j: JointInspection, me: str) -> None:
    """Only the side that did not propose accepts, and only a proposal."""
    if j.proposed_by == me:
        raise InvalidTransition("accept your own proposal of", "a joint inspection")
    if j.status is not JointStatus.PROPOSED:
        raise InvalidTransition("accept", j.status.value)


def check_record(j: JointInspection) -> None:
    """A result is recorded once, after both sides agreed on the inspection."""
    if j.status is not JointStatus.ACCEPTED:
        raise InvalidTransition("record the result of", j.status.value)


def matches(j: JointInspection, record: dict[str, Any], me: str) -> bool:
    """Whether a record the partner signed is the record of the inspection agreed here."""
    return (
        j.status in (JointStatus.ACCEPTED, JointStatus.SIGNED)
        and record.get("proposal_id") == j.proposal_id
        and record.get("ucr") == j.ucr
        and record.get("at") == j.at.isoformat()
        and record.get("administrations") == sorted((me, j.partner))
        and (j.record is None or j.record == record)
    )
