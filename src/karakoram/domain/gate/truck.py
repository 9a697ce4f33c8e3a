"""The life of a truck at the post (docs/gate.md), kept on its cargo report.

Inbound (the truck enters this administration's territory):

    reported -> arrived -> presented -> cleared
        \\-> cancelled (before arrival)

Outbound (it leaves):

    reported -> presented -> exited
        \\-> cancelled (before presentation)

- arrive: the truck is at the post (the TRS clock of every consignment on it starts here);
- present: its goods are presented to customs and written off against declarations, one per
  consignment; a pre-lodged green import is released at this moment;
- clear: every consignment is released and no discrepancy is open; the truck may go;
- exit: an outbound truck left; each export declaration on it is marked exited.
An amendment (a consignment added, a mass corrected: how an officer resolves a discrepancy)
keeps the state; nothing is amended once the truck has cleared or exited.
"""

from __future__ import annotations

from enum import StrEnum

from karakoram.domain.errors import InvalidTransition


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class TruckStatus(StrEnum):
    REPORTED = "reported"
    ARRIVED = "arrived"
    PRESENTED = "presented"
    CLEARED = "cleared"
    EXITED = "exited"
    CANCELLED = "cancelled"


class TruckAction(StrEnum):
    ARRIVE = "arrive"
    PRESENT = "present"
    CLEAR = "clear"
    EXIT = "exit"
    AMEND = "amend"
    CANCEL = "cancel"


_T = TruckStatus
_OPEN = frozenset({_T.REPORTED, _T.ARRIVED, _T.PRESENTED})

#: (direction, action) -> (states it may start from, the state it leads to; None: unchanged)
TRANSITIONS: dict[tuple[Direction, TruckAction], tuple[frozenset[TruckStatus], TruckStatus | None]]
TRANSITIONS = {
    (Direction.INBOUND, TruckAction.ARRIVE): (frozenset({_T.REPORTED}), _T.ARRIVED),
    (Direction.INBOUND, TruckAction.PRESENT): (frozenset({_T.ARRIVED}), _T.PRESENTED),
    (Direction.INBOUND, TruckAction.CLEAR): (frozenset({_T.PRESENTED}), _T.CLEARED),
    (Direction.INBOUND, TruckAction.AMEND): (_OPEN, None),
    (Direction.INBOUND, TruckAction.CANCEL): (frozenset({_T.REPORTED}), _T.CANCELLED),
    (Direction.OUTBOUND, TruckAction.PRESENT): (frozenset({_T.REPORTED}), _T.PRESENTED),
    (Direction.OUTBOUND, TruckAction.EXIT): (frozenset({_T.PRESENTED}), _T.EXITED),
    (Direction.OUTBOUND, TruckAction.AMEND): (frozenset({_T.REPORTED, _T.PRESENTED}), None),
    (Direction.OUTBOUND, TruckAction.CANCEL): (frozenset({_T.REPORTED}), _T.CANCELLED),
}


def next_truck_status(
    direction: Direction, current: TruckStatus, action: TruckAction
) -> TruckStatus:
    """The truck's state after `action`, or `InvalidTransition` naming where it stands."""
    rule = TRANSITIONS.get((direction, action))
    if rule is None:
        raise InvalidTransition(action.value, current.value, f"an {direction.value} truck")
    allowed, target = rule
    if current not in allowed:
        raise InvalidTransition(action.value, current.value, "a truck")
    return current if target is None else target


def clear_blockers(
    status: TruckStatus, unreleased: list[str], open_discrepancies: int
) -> list[str]:
    """Why an inbound truck may not clear yet (empty when it may): every consignment
    released, nothing left to resolve."""
    blockers = []
    if status is not TruckStatus.PRESENTED:
        blockers.append(f"the truck is {status.value}, not presented")
    if unreleased:
        blockers.append(f"not yet released: {', '.join(sorted(unreleased))}")
    if open_discrepancies:
        blockers.append(f"{open_discrepancies} discrepancy(ies) to resolve")
    return blockers
