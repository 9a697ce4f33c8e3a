"""The meeting scheduler: no double booking, availability read in each participant's zone,
buffers, meetings already held in place, and small instances solved to their optimum (checked
by trying every plan)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

import pytest

from karakoram.expo.domain.schedule import (
    MeetingRequest,
    Problem,
    SlotGrid,
    UnknownZone,
    greedy,
    in_zone,
    local_to_utc,
    placed_score,
    violations,
)
from karakoram.expo.services.scheduler import lp_bound, schedule

GRID = SlotGrid(datetime(2026, 12, 1, 0, 0, tzinfo=UTC), 20, 72)


def test_a_window_in_kathmandu_is_read_at_plus_five_forty_five():
    start, end = local_to_utc(
        datetime(2026, 12, 1, 9, 0), datetime(2026, 12, 1, 10, 0), "Asia/Kathmandu"
    )
    assert (start, end) == (
        datetime(2026, 12, 1, 3, 15, tzinfo=UTC),
        datetime(2026, 12, 1, 4, 15, tzinfo=UTC),
    )
    # slots wholly inside 03:15-04:15 UTC: 03:20 and 03:40 (03:00 starts too early, 04:00 ends late)
    assert sorted(GRID.inside([(start, end)])) == [10, 11]


@pytest.mark.parametrize(
    ("zone", "utc_hour"),
    [("Asia/Shanghai", 1), ("Asia/Urumqi", 3), ("Asia/Karachi", 4), ("Asia/Kolkata", 3),
     ("Asia/Dhaka", 3), ("Asia/Colombo", 3)],
)  # fmt: skip
def test_nine_local_is_the_right_utc_hour_in_each_zone(zone, utc_hour):
    start, _ = local_to_utc(datetime(2026, 12, 1, 9, 0), datetime(2026, 12, 1, 10, 0), zone)
    assert start.hour == utc_hour and start.tzinfo is UTC
    assert in_zone(start, zone).hour == 9


def test_an_unknown_zone_is_refused():
    with pytest.raises(UnknownZone):
        local_to_utc(datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 10), "Asia/Nowhere")


def test_two_people_in_different_zones_meet_only_when_both_are_in_office_hours():
    day = datetime(2026, 12, 1)
    shanghai = GRID.inside(
        [local_to_utc(day.replace(hour=9), day.replace(hour=17), "Asia/Shanghai")]
    )
    karachi = GRID.inside([local_to_utc(day.replace(hour=9), day.replace(hour=17), "Asia/Karachi")])
    problem = Problem([MeetingRequest(1, 1, 2, 50.0)], {1: shanghai, 2: karachi}, GRID.count)
    solved = schedule(problem)
    slot = solved.plan[1]
    starts = GRID.starts_at(slot)
    assert 9 <= in_zone(starts, "Asia/Shanghai").hour < 17
    assert 9 <= in_zone(starts, "Asia/Karachi").hour < 17
    # Shanghai's 17:00 is Karachi's 14:00: the common window is 04:00-09:00 UTC
    assert datetime(2026, 12, 1, 4, tzinfo=UTC) <= starts < datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_greedy_gives_up_two_meetings_for_one_and_the_solver_does_not():
    # A-B scores most, but A-C and B-D together score more; everyone has only slot 0
    everyone = {p: frozenset({0}) for p in "ABCD"}
    people = {"A": 1, "B": 2, "C": 3, "D": 4}
    avail = {people[k]: v for k, v in everyone.items()}
    reqs = [
        MeetingRequest(1, 1, 2, 10.0),
        MeetingRequest(2, 1, 3, 6.0),
        MeetingRequest(3, 2, 4, 6.0),
    ]
    problem = Problem(reqs, avail, 1)
    assert placed_score(problem, greedy(problem)) == 10.0
    solved = schedule(problem)
    assert solved.plan == {2: 0, 3: 0}
    assert solved.placed == 12.0 and solved.status == "optimal"


def test_greedy_takes_the_slot_another_needed_and_the_solver_moves_it():
    avail = {1: frozenset({0, 1}), 2: frozenset({0, 1}), 3: frozenset({0})}
    reqs = [MeetingRequest(1, 1, 2, 10.0), MeetingRequest(2, 1, 3, 9.0)]
    problem = Problem(reqs, avail, 2)
    assert greedy(problem) == {1: 0}
    assert schedule(problem).plan == {1: 1, 2: 0}


def _best_by_trying_everything(problem: Problem) -> float:
    options = [[None, *problem.candidates(r)] for r in problem.requests]
    best = 0.0
    for choice in itertools.product(*options):
        plan = {r.id: s for r, s in zip(problem.requests, choice, strict=True) if s is not None}
        if not violations(problem, plan):
            best = max(best, placed_score(problem, plan))
    return best


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("buffer", [0, 1])
def test_small_random_instances_are_solved_to_their_optimum(seed, buffer):
    rng = random.Random(seed)
    avail = {p: frozenset(s for s in range(4) if rng.random() < 0.7) for p in range(5)}
    pairs = rng.sample([(a, b) for a in range(5) for b in range(a + 1, 5)], 7)
    reqs = [MeetingRequest(i, a, b, float(rng.randint(1, 20))) for i, (a, b) in enumerate(pairs)]
    problem = Problem(reqs, avail, 4, buffer)
    solved = schedule(problem)
    assert violations(problem, solved.plan) == []
    assert solved.placed == _best_by_trying_everything(problem)
    assert solved.placed >= placed_score(problem, greedy(problem))
    assert solved.placed <= lp_bound(problem) + 1e-6


def test_nobody_is_double_booked_and_buffers_hold_in_a_crowded_instance():
    rng = random.Random(7)
    avail = {p: frozenset(rng.sample(range(12), 8)) for p in range(30)}
    reqs = [
        MeetingRequest(i, a, b, rng.uniform(10, 90))
        for i, (a, b) in enumerate(
            rng.sample([(a, b) for a in range(15) for b in range(15, 30)], 120)
        )
    ]
    for buffer in (0, 1):
        problem = Problem(reqs, avail, 12, buffer)
        solved = schedule(problem)
        assert violations(problem, solved.plan) == []
        slots_of: dict[int, list[int]] = {}
        for r in reqs:
            if r.id in solved.plan:
                for p in r.people:
                    slots_of.setdefault(p, []).append(solved.plan[r.id])
        for held in slots_of.values():
            held.sort()
            assert all(b - a > buffer for a, b in itertools.pairwise(held))
        assert solved.placed >= placed_score(problem, greedy(problem))


def test_meetings_already_scheduled_are_worked_around():
    avail = {1: frozenset({0, 1, 2}), 2: frozenset({0, 1, 2})}
    problem = Problem([MeetingRequest(5, 1, 2, 40.0)], avail, 3, 1, taken={1: frozenset({1})})
    # slot 1 is taken and the buffer of one keeps 0 and 2 free around it: nothing fits
    assert schedule(problem).plan == {}
    problem = Problem([MeetingRequest(5, 1, 2, 40.0)], avail, 3, 0, taken={1: frozenset({1})})
    assert schedule(problem).plan in ({5: 0}, {5: 2})


def test_violations_name_the_double_booking():
    problem = Problem([MeetingRequest(1, 1, 2, 1.0), MeetingRequest(2, 1, 3, 1.0)],
                      {p: frozenset({0}) for p in (1, 2, 3)}, 1)  # fmt: skip
    assert violations(problem, {1: 0, 2: 0}) == ["participant 1: request 1 at 0 and request 2 at 0"]
