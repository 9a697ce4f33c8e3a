"""The refusal tally: counts per user, code and minute, handed over once the minute is over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from karakoram.services.audit.refusals import RefusalCount, RefusalTally

T0 = datetime(2026, 12, 1, 8, 0, 59, 900_000, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_counts_wait_until_their_minute_is_over():
    clock = Clock()
    tally = RefusalTally(clock)
    assert [tally.count("a", "forbidden") for _ in range(3)] == [False] * 3
    assert tally.take() == []
    clock.now = T0 + timedelta(seconds=1)  # the next minute
    assert tally.count("a", "forbidden") is True  # an earlier minute waits
    [done] = tally.take()
    assert done == RefusalCount("a", "forbidden", T0.replace(second=0, microsecond=0), 3)
    assert done.subject == "refusal/a/2026-12-01T08:00Z/forbidden"
    assert tally.count("a", "forbidden") is False  # only the open minute is left
    assert [r.count for r in tally.take(everything=True)] == [2]


def test_users_and_codes_are_counted_apart_and_failed_writes_come_back():
    clock = Clock()
    tally = RefusalTally(clock)
    for user, code in [("a", "x"), ("b", "x"), ("a", "y"), ("a", "x")]:
        tally.count(user, code)
    clock.now = T0 + timedelta(minutes=5)
    taken = tally.take()
    assert [(r.user, r.code, r.count) for r in taken] == [
        ("a", "x", 2),
        ("a", "y", 1),
        ("b", "x", 1),
    ]
    tally.put_back(taken)
    assert tally.count("a", "x") is True
    assert sorted((r.user, r.code, r.count) for r in tally.take()) == [
        ("a", "x", 2),
        ("a", "y", 1),
        ("b", "x", 1),
    ]
