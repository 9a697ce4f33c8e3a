"""The clearance state machine of DESIGN.md: which action may move a declaration where.

lodged -> accepted -> assessed --green/blue--------------------------> released
                        |  \\--yellow--> documents_requested -> documents_checked -> released
                        |   \\--red----> inspected ----------------> released | held | seized
                        |   (inspected also by accepting the partner's clean inspection)
                        +-- held -> released | inspected | seized
released -> exited (an export, its truck left) | cleared (an import, its truck cleared)
An import is released only once its goods were presented (ReleaseState.presented).
amend (back to accepted, to be assessed again) and cancel: until released, not while held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from karakoram.domain.errors import InvalidTransition
from karakoram.domain.risk.channels import Channel


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
    ASSESS = "assess"
    OVERRIDE_CHANNEL = "override_channel"
    REQUEST_DOCUMENTS = "request_documents"
    CHECK_DOCUMENTS = "check_documents"
    INSPECT = "inspect"
    #: the partner's clean inspection of the same consignment stands in for ours (the value
    #: fits the events table's 24 characters)
    ACCEPT_PARTNER_INSPECTION = "accept_partner_control"
    RELEASE = "release"
    HOLD = "hold"
    SEIZE = "seize"
    PAY = "pay"
    EXIT = "exit"
    CLEAR = "clear"
    CERTIFY_ORIGIN = "certify_origin"


#: States in which the trader may still amend or cancel: before release, not while held.
OPEN_STATES: frozenset[Status] = frozenset(
    {
        Status.LODGED,
        Status.ACCEPTED,
        Status.ASSESSED,
        Status.DOCUMENTS_REQUESTED,
        Status.DOCUMENTS_CHECKED,
        Status.INSPECTED,
    }
)

#: States in which a declaration waits for an officer.
AWAITING_OFFICER: frozenset[Status] = frozenset(
    {
        Status.ASSESSED,
        Status.DOCUMENTS_REQUESTED,
        Status.DOCUMENTS_CHECKED,
        Status.INSPECTED,
        Status.HELD,
    }
)

_S = Status
_RULES: dict[Action, tuple[frozenset[Status], Status | None]] = {
    Action.ACCEPT: (frozenset({_S.LODGED}), _S.ACCEPTED),
    Action.AMEND: (OPEN_STATES, _S.ACCEPTED),
    Action.CANCEL: (OPEN_STATES, _S.CANCELLED),
    Action.ASSESS: (frozenset({_S.ACCEPTED}), _S.ASSESSED),
    Action.OVERRIDE_CHANNEL: (frozenset({_S.ASSESSED, _S.DOCUMENTS_REQUESTED}), _S.ASSESSED),
    Action.REQUEST_DOCUMENTS: (frozenset({_S.ASSESSED}), _S.DOCUMENTS_REQUESTED),
    Action.CHECK_DOCUMENTS: (
        frozenset({_S.ASSESSED, _S.DOCUMENTS_REQUESTED}),
        _S.DOCUMENTS_CHECKED,
    ),
    Action.INSPECT: (
        frozenset({_S.ASSESSED, _S.DOCUMENTS_REQUESTED, _S.DOCUMENTS_CHECKED, _S.HELD}),
        _S.INSPECTED,
    ),
    Action.ACCEPT_PARTNER_INSPECTION: (
        frozenset({_S.ASSESSED, _S.DOCUMENTS_REQUESTED, _S.DOCUMENTS_CHECKED}),
        _S.INSPECTED,
    ),
    Action.RELEASE: (
        frozenset({_S.ASSESSED, _S.DOCUMENTS_CHECKED, _S.INSPECTED, _S.HELD}),
        _S.RELEASED,
    ),
    Action.HOLD: (
        frozenset({_S.ASSESSED, _S.DOCUMENTS_REQUESTED, _S.DOCUMENTS_CHECKED, _S.INSPECTED}),
        _S.HELD,
    ),
    Action.SEIZE: (frozenset({_S.INSPECTED, _S.HELD}), _S.SEIZED),
    Action.PAY: (OPEN_STATES | {_S.HELD}, None),
    Action.EXIT: (frozenset({_S.RELEASED}), _S.EXITED),
    Action.CLEAR: (frozenset({_S.RELEASED}), _S.CLEARED),
    Action.CERTIFY_ORIGIN: (frozenset({*OPEN_STATES, _S.RELEASED, _S.EXITED}), None),
}


def next_status(current: Status, action: Action) -> Status:
    """The state after `action`, or `InvalidTransition` naming the current state."""
    if action is Action.LODGE:
        return Status.LODGED
    allowed, target = _RULES[action]
    if current not in allowed:
        raise InvalidTransition(action.value.replace("_", " "), current.value)
    if action is Action.AMEND and current is Status.LODGED:
        return current
    return current if target is None else target


@dataclass(frozen=True, slots=True)
class ReleaseState:
    """What release depends on besides the state machine."""

    channel: Channel
    documents_checked: bool
    inspected: bool
    prohibited_found: bool
    owed: Decimal
    covered: Decimal  # paid plus guaranteed
    currency: str
    #: an import's goods were presented at the post (an export's need not be)
    presented: bool = True


#: why an import waits for its truck (docs/gate.md)
NOT_PRESENTED = "goods not yet presented"


def release_blockers(s: ReleaseState) -> list[str]:
    """Why goods may not be released yet; empty when they may."""
    blockers = []
    if not s.presented:
        blockers.append(NOT_PRESENTED)
    if s.channel is Channel.RED and not s.inspected:
        blockers.append("red channel: a physical inspection must be recorded first")
    if s.channel is Channel.YELLOW and not (s.documents_checked or s.inspected):
        blockers.append("yellow channel: the documents must be checked first")
    if s.prohibited_found:
        blockers.append("the inspection found prohibited goods: hold or seize them")
    if s.covered < s.owed:
        blockers.append(
            f"{s.owed - s.covered} {s.currency} of {s.owed} owed is neither paid nor guaranteed"
        )
    return blockers


@dataclass(frozen=True, slots=True)
class DeclarationEvent:
    """One state change (or amendment, payment) of a declaration: who, what, when and why."""

    action: str
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    reason: str | None = None
