"""Meetings across time zones, as plain rules: the expo's grid of slots (in UTC), each
participant's availability given in its own IANA zone, and what a plan must respect.

- Every time is UTC inside; a participant's windows are read in its zone (`zoneinfo`), so
  Asia/Kathmandu's +05:45 or Asia/Urumqi's +06:00 land on the right slots.
- A slot is usable by a participant only when it lies wholly inside one of its windows.
- One meeting per person per slot, and `buffer` free slots after each meeting of a person: a
  person's meetings are at least `buffer + 1` slots apart.
- Meetings already scheduled stay where they are; new ones fit around them.

`greedy` is the obvious scheduler (best score first, earliest slot that fits); the solver in
`services/scheduler.py` places more by score and is checked against it. `violations` is the
judge both are held to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class UnknownZone(ValueError):
    """Not an IANA time zone name."""


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name` (Asia/Karachi); `UnknownZone` otherwise."""
    if not name or name not in _zone_names():
        raise UnknownZone(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - listed but absent
        raise UnknownZone(name) from exc


_ZONES: set[str] = set()


def _zone_names() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


Window = tuple[datetime, datetime]


def local_to_utc(start: datetime, end: datetime, zone_name: str) -> Window:
    """A window given as wall-clock times in `zone_name` (naive), in UTC."""
    tz = zone(zone_name)
    return (
        start.replace(tzinfo=tz).astimezone(UTC),
        end.replace(tzinfo=tz).astimezone(UTC),
    )


def in_zone(at: datetime, zone_name: str) -> datetime:
    """A UTC time as the wall clock of `zone_name` shows it."""
    return at.astimezone(zone(zone_name))


@dataclass(frozen=True, slots=True)
class SlotGrid:
    """The expo's meeting slots: `count` slots of `minutes` from `start` (UTC)."""

    start: datetime
    minutes: int
    count: int

    def starts_at(self, slot: int) -> datetime:
        return self.start + timedelta(minutes=self.minutes * slot)

    def ends_at(self, slot: int) -> datetime:
        return self.starts_at(slot + 1)

    def slot_of(self, at: datetime) -> int | None:
        """The slot starting exactly at `at`, if any."""
        offset = (at - self.start).total_seconds() / 60
        slot = int(offset // self.minutes)
        ok = offset >= 0 and offset % self.minutes == 0 and slot < self.count
        return slot if ok else None

    def inside(self, windows: Iterable[Window]) -> frozenset[int]:
        """The slots lying wholly inside one of the windows."""
        found: set[int] = set()
        step = self.minutes * 60
        for start, end in windows:
            first = max(0, -int(-(start - self.start).total_seconds() // step))
            last = min(self.count, int((end - self.start).total_seconds() // step))
            found.update(range(first, last))
        return frozenset(found)


@dataclass(frozen=True, slots=True)
class MeetingRequest:
    """An accepted request to meet, between two participants, weighted by its match's score."""

    id: int
    first: int
    second: int
    score: float

    @property
    def people(self) -> tuple[int, int]:
        return (self.first, self.second)


@dataclass(frozen=True, slots=True)
class Problem:
    requests: Sequence[MeetingRequest]
    #: participant -> the slots it is available in
    available: Mapping[int, frozenset[int]]
    slots: int
    #: free slots a person keeps after each of its meetings
    buffer: int = 0
    #: participant -> slots already taken by its scheduled meetings
    taken: Mapping[int, frozenset[int]] = field(default_factory=dict)

    def blocked(self, person: int) -> set[int]:
        """Slots a new meeting of `person` may not start in, around its scheduled ones."""
        out: set[int] = set()
        for s in self.taken.get(person, frozenset()):
            out.update(range(s - self.buffer, s + self.buffer + 1))
        return out

    def candidates(self, r: MeetingRequest) -> list[int]:
        """The slots both people are available in and free around, earliest first."""
        a, b = r.first, r.second
        common = self.available.get(a, frozenset()) & self.available.get(b, frozenset())
        return sorted(s for s in common - self.blocked(a) - self.blocked(b) if s < self.slots)


Plan = dict[int, int]  # request id -> slot


def placed_score(problem: Problem, plan: Plan) -> float:
    by_id = {r.id: r for r in problem.requests}
    return sum(by_id[i].score for i in plan)


def violations(problem: Problem, plan: Plan) -> list[str]:
    """What is wrong with a plan: a slot someone is not available in, or two meetings of one
    person closer than the buffer allows (the scheduled ones included). Empty when right."""
    by_id = {r.id: r for r in problem.requests}
    wrong: list[str] = []
    per_person: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for person, slots in problem.taken.items():
        per_person[person].extend((s, "scheduled") for s in slots)
    for rid, slot in plan.items():
        r = by_id[rid]
        for person in r.people:
            if slot not in problem.available.get(person, frozenset()):
                wrong.append(f"request {rid}: participant {person} is not available in {slot}")
            per_person[person].append((slot, f"request {rid}"))
    for person, held in per_person.items():
        held.sort()
        for (s1, w1), (s2, w2) in pairwise(held):
            if s2 - s1 <= problem.buffer:
                wrong.append(f"participant {person}: {w1} at {s1} and {w2} at {s2}")
    return wrong


def greedy(problem: Problem) -> Plan:
    """Best score first (ties: lower id), each into the earliest slot that still fits."""
    plan: Plan = {}
    busy: dict[int, set[int]] = defaultdict(set)
    b = problem.buffer
    for r in sorted(problem.requests, key=lambda r: (-r.score, r.id)):
        for s in problem.candidates(r):
            near = range(s - b, s + b + 1)
            if not any(t in busy[p] for p in r.people for t in near):
                plan[r.id] = s
                busy[r.first].add(s)
                busy[r.second].add(s)
                break
    return plan
