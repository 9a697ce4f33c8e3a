"""The Time Release Study (WCO method): the stages of clearance and how long each took.

A declaration's clock starts when the truck arrives at the border (or at lodgement when no
arrival is recorded) and stops at release; each stage is measured from the previous stage that
happened (see the conventions in `karakoram.domain.statistics`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Stage(StrEnum):
    """The stages of the WCO Time Release Study, in their expected order."""

    ARRIVAL = "arrival"
    LODGEMENT = "lodgement"
    ACCEPTANCE = "acceptance"
    ASSESSMENT = "assessment"
    CONTROL = "control"  # documents checked or goods inspected
    PAYMENT = "payment"
    RELEASE = "release"
    EXIT = "exit"


STAGES: tuple[Stage, ...] = tuple(Stage)

#: declaration events (clearance actions) that mark each stage; the first such event counts,
#: except for control, which ends with the last check before release
STAGE_OF_ACTION: dict[str, Stage] = {
    "lodge": Stage.LODGEMENT,
    "accept": Stage.ACCEPTANCE,
    "assess": Stage.ASSESSMENT,
    "check_documents": Stage.CONTROL,
    "inspect": Stage.CONTROL,
    "accept_partner_control": Stage.CONTROL,
    "pay": Stage.PAYMENT,
    "release": Stage.RELEASE,
    "exit": Stage.EXIT,
}

#: how a declaration can end without being released
ENDED_UNRELEASED = frozenset({"cancelled", "rejected", "seized"})


#: the stages a duration ends in: the time "to acceptance" runs from the stage before it
MEASURED: tuple[Stage, ...] = STAGES[1:]


@dataclass(frozen=True, slots=True)
class Timeline:
    """One declaration's way through the stages, and how long each took, in seconds."""

    times: dict[Stage, datetime]
    #: per stage reached, seconds since the previous stage that happened
    durations: dict[str, float] = field(default_factory=dict)
    total: float | None = None  # arrival (or lodgement) to release; None while open
    pre_lodged: bool = False
    out_of_order: bool = False
    open: bool = True
    ended_unreleased: bool = False


_ORDER: tuple[tuple[Stage, str], ...] = tuple((s, s.value) for s in STAGES)


def stage_times(
    events: list[tuple[str, datetime]], arrived_at: datetime | None
) -> dict[Stage, datetime]:
    """When each stage happened, from a declaration's events (action, at) in any order."""
    times: dict[Stage, datetime] = {}
    if arrived_at is not None:
        times[Stage.ARRIVAL] = arrived_at
    release = min((at for action, at in events if action == "release"), default=None)
    for action, at in sorted(events, key=_at):
        stage = STAGE_OF_ACTION.get(action)
        if stage is None:
            continue
        if stage is Stage.CONTROL:
            if release is None or at <= release:
                times[stage] = at  # the last control before release
        elif stage not in times:
            times[stage] = at
    return times


def _at(event: tuple[str, datetime]) -> datetime:
    return event[1]


def timeline(times: Mapping[Stage, datetime], status: str) -> Timeline:
    """Durations between the stages that happened; see the module's conventions."""
    arrival = times.get(Stage.ARRIVAL)
    lodgement = times.get(Stage.LODGEMENT)
    pre_lodged = arrival is not None and lodgement is not None and lodgement < arrival
    durations: dict[str, float] = {}
    out_of_order = False
    previous: datetime | None = None
    for stage, name in _ORDER:
        at = times.get(stage)
        if at is None or (pre_lodged and stage is Stage.ARRIVAL):
            continue  # a pre-lodged truck arrived after lodgement: no wait there to measure
        if previous is not None:
            seconds = (at - previous).total_seconds()
            if seconds < 0:
                out_of_order = True
                seconds = 0.0
            else:
                previous = at
            durations[name] = seconds
        else:
            previous = at
    start = arrival if arrival is not None else lodgement
    release = times.get(Stage.RELEASE)
    total = (
        max(0.0, (release - start).total_seconds())
        if release is not None and start is not None
        else None
    )
    ended = status in ENDED_UNRELEASED
    return Timeline(
        dict(times),
        durations,
        total,
        pre_lodged,
        out_of_order,
        open=release is None and not ended,
        ended_unreleased=release is None and ended,
    )
