"""The bodies of the gate's messages between the two administrations: joint inspections of one
consignment and crossing-slot bookings (docs/gate.md). Read by `bodies.parse_body`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from karakoram.domain.exchange.body_base import MessageType, _Body


@dataclass(frozen=True, slots=True)
class JointInspectionProposed(_Body):
    """A proposal to inspect the consignment together at `at` (domain/joint_inspection.py)."""

    type: ClassVar[MessageType] = MessageType.JOINT_INSPECTION_PROPOSED
    proposal_id: str
    at: str
    proposed_at: str
    note: str | None = None

    @property
    def happened_at(self) -> str:
        return self.proposed_at


@dataclass(frozen=True, slots=True)
class JointInspectionAccepted(_Body):
    type: ClassVar[MessageType] = MessageType.JOINT_INSPECTION_ACCEPTED
    proposal_id: str
    accepted_at: str

    @property
    def happened_at(self) -> str:
        return self.accepted_at


@dataclass(frozen=True, slots=True)
class JointInspectionSigned(_Body):
    """The joint control record and the sender's node signature over it (a JWS)."""

    type: ClassVar[MessageType] = MessageType.JOINT_INSPECTION_SIGNED
    proposal_id: str
    record: dict[str, Any]
    signature: str
    signed_at: str

    @property
    def happened_at(self) -> str:
        return self.signed_at


@dataclass(frozen=True, slots=True)
class SlotBooked(_Body):
    """The exporting side booked a truck's slot at a crossing (`date` and `time` in the
    crossing's own time): the importing side answers with a `SlotAnswer`."""

    type: ClassVar[MessageType] = MessageType.SLOT_BOOKED
    crossing: str
    date: str
    time: str
    carrier: str
    reference: str
    registration: str
    ucrs: tuple[str, ...]
    booked_at: str

    @property
    def happened_at(self) -> str:
        return self.booked_at


@dataclass(frozen=True, slots=True)
class SlotAnswer(_Body):
    """The importing side's answer to a booking of that slot: accepted, or refused with a
    reason (its own capacity or closure)."""

    type: ClassVar[MessageType] = MessageType.SLOT_ANSWER
    crossing: str
    date: str
    time: str
    carrier: str
    reference: str
    outcome: str
    reason: str
    answered_at: str

    @property
    def happened_at(self) -> str:
        return self.answered_at

    @property
    def verdict(self) -> str | None:
        return self.outcome
