"""The Time Release Study (WCO method): the stages of clearance and how long each took.

A declaration's clock starts when its goods are presented at the post (or, without a
presentation, when the truck arrived, or at lodgement when no arrival is recorded) and stops at
release. The clearance stages are measured from the previous stage that happened (see the
conventions in `karakoram.domain.statistics`); release from the later of that stage and the
presentation (an import waits for its goods). The gate's own stages stand beside them:
presentation is measured from the truck's arrival, cleared (the import's truck cleared) from
release (docs/gate.md, "Clearance time").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Stage(StrEnum):
    """The stages of the WCO Time Release Study, in their expected order."""

    ARRIVAL = "arrival"
    PRESENTATION = "presentation"  # the goods presented at the post (the cargo report's)
    LODGEMENT = "lodgement"
    ACCEPTANCE = "acceptance"
    ASSESSMENT = "assessment"
    CONTROL = "control"  # documents checked or goods inspected
    PAYMENT = "payment"
    RELEASE = "release"
    CLEARED = "cleared"  # an import whose truck cleared
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
    "clear": Stage.CLEARED,
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
    #: presentation (or arrival, or lodgement) to release; None while open
    total: float | None = None
    pre_lodged: bool = False
    out_of_order: bool = False
    open: bool = True
    ended_unreleased: bool = False


_ORDER: tuple[tuple[Stage, str], ...] = tuple((s, s.value) for s in STAGES)


def stage_times(
    events: list[tuple[str, datetime]],
    arrived_at: datetime | None,
    presented_at: datetime | None = None,
) -> dict[Stage, datetime]:
    """When each stage happened, from a declaration's events (action, at) in any order, the
    truck's arrival and the presentation of its goods."""
    times: dict[Stage, datetime] = {}
    if arrived_at is not None:
        times[Stage.ARRIVAL] = arrived_at
    if presented_at is not None:
        times[Stage.PRESENTATION] = presented_at
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


#: the stages measured beside the clearance chain, each from its own reference stage
_GATE_STAGES: dict[Stage, Stage] = {
    Stage.PRESENTATION: Stage.ARRIVAL,
    Stage.CLEARED: Stage.RELEASE,
}


def _since(at: datetime, before: datetime) -> tuple[float, bool]:
    """Seconds from `before` to `at`, and whether they were out of order (counted as zero)."""
    seconds = (at - before).total_seconds()
    return (0.0, True) if seconds < 0 else (seconds, False)


def timeline(times: Mapping[Stage, datetime], status: str) -> Timeline:
    """Durations between the stages that happened; see the module's conventions."""
    arrival = times.get(Stage.ARRIVAL)
    lodgement = times.get(Stage.LODGEMENT)
    presentation = times.get(Stage.PRESENTATION)
    pre_lodged = arrival is not None and lodgement is not None and lodgement < arrival
    durations: dict[str, float] = {}
    out_of_order = False
    previous: datetime | None = None
    for stage, name in _ORDER:
        at = times.get(stage)
        if at is None or stage in _GATE_STAGES:
            continue
        if pre_lodged and stage is Stage.ARRIVAL:
            continue  # a pre-lodged truck arrived after lodgement: no wait there to measure
        if stage is Stage.RELEASE and presentation is not None and presentation <= at:
            # an import waits for its goods: release counts from their presentation if later
            previous = presentation if previous is None else max(previous, presentation)
        if previous is not None:
            durations[name], skewed = _since(at, previous)
            out_of_order = out_of_order or skewed
            if not skewed:
                previous = at
        else:
            previous = at
    for stage, since in _GATE_STAGES.items():
        at, before = times.get(stage), times.get(since)
        if at is not None and before is not None:
            durations[stage.value], skewed = _since(at, before)
            out_of_order = out_of_order or skewed
    release = times.get(Stage.RELEASE)
    start = arrival if arrival is not None else lodgement
    if presentation is not None and (release is None or presentation <= release):
        start = presentation  # clearance time runs from the goods' presentation
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
