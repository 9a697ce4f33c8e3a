"""The clearance state machine of DESIGN.md: which action may move a declaration where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from karakoram.domain.errors import InvalidTransition


class Status(StrEnum):
    LODGED = "lodged"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ASSESSED = "assessed"
    DOCUMENTS_REQUESTED = "documents_requested"
    DOCUMENTS_CHECKED = "documents_checked"
    INSPECTED = "inspected"
    RELEASED = "released"
    HELD = "held"
    SEIZED = "seized"
    EXITED = "exited"
    ARRIVED = "arrived"
    CLEARED = "cleared"
    CANCELLED = "cancelled"


class Action(StrEnum):
    LODGE = "lodge"
    ACCEPT = "accept"
    AMEND = "amend"
    CANCEL = "cancel"


#: States in which the trader may still amend or cancel: anything before release.
OPEN_STATES: frozenset[Status] = frozenset(
    {
        Status.LODGED,
        Status.ACCEPTED,
        Status.ASSESSED,
        Status.DOCUMENTS_REQUESTED,
        Status.DOCUMENTS_CHECKED,
        Status.INSPECTED,
        Status.HELD,
    }
)

_TARGETS: dict[Action, Status | None] = {
    Action.ACCEPT: Status.ACCEPTED,
    Action.AMEND: None,  # amending keeps the state
    Action.CANCEL: Status.CANCELLED,
}

_ALLOWED_FROM: dict[Action, frozenset[Status]] = {
    Action.ACCEPT: frozenset({Status.LODGED}),
    Action.AMEND: OPEN_STATES,
    Action.CANCEL: OPEN_STATES,
}


def next_status(current: Status, action: Action) -> Status:
    """The state after `action`, or `InvalidTransition` naming the current state."""
    if action is Action.LODGE:
        return Status.LODGED
    if current not in _ALLOWED_FROM[action]:
        raise InvalidTransition(action.value, current.value)
    target = _TARGETS[action]
    return current if target is None else target


@dataclass(frozen=True, slots=True)
class DeclarationEvent:
    """One state change (or amendment) of a declaration: who, what, when and why."""

    action: str
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    reason: str | None = None
