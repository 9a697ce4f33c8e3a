"""The statistics services through the node's context, with a fake analytical copy: the store,
the refresh's source and the clock come from `ctx`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from karakoram.domain.statistics.periods import parse_period
from karakoram.services.statistics import reports
from karakoram.services.statistics.analytical_copy import (
    DECLARATION_COLUMNS,
    RELEASED_COLUMNS,
    Changes,
    Watermarks,
    names,
)
from karakoram.services.statistics.refresh import refresh
from karakoram.services.statistics.shapes import TrsQuery
from tests.unit.fakes import Clock, fake_context


class FakeSource:
    """Hands over `passes` passes of nothing but moving watermarks, moving the clock."""

    def __init__(self, clock: Clock, passes: int) -> None:
        self.clock, self.passes = clock, passes

    def changes(self, since: Watermarks, max_events: int | None = None) -> Changes:
        self.passes -= 1
        self.clock.advance(seconds=2)
        released: dict[str, list[Any]] = {name: [] for name in RELEASED_COLUMNS}
        upto = Watermarks(since.events + 10)
        return Changes(upto, released, [], [], remaining=10 * self.passes)


class FakeCopy:
    """Remembers what it was given and when the TRS was aged to."""

    def __init__(self) -> None:
        self.marks = Watermarks()
        self.aged_to: Any = None

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        yield

    def watermarks(self) -> Watermarks:
        return self.marks

    def apply(
        self,
        upto: Watermarks,
        items: Mapping[str, list[Any]],
        declarations: Mapping[str, list[Any]],
        partner_items: Sequence[Mapping[str, Any]],
    ) -> None:
        assert set(declarations) == set(names(DECLARATION_COLUMNS))
        self.marks = upto

    def trs(self, query: TrsQuery, now: Any) -> list[dict[str, Any]]:
        self.aged_to = now
        return []


def test_refresh_reads_the_source_the_copy_and_the_clock_of_the_node() -> None:
    clock = Clock()
    ctx = fake_context(clock=clock)
    ctx.analytics, ctx.analytics_source = FakeCopy(), FakeSource(clock, passes=3)
    seen: list[tuple[int, int]] = []
    result = refresh(ctx, lambda done, total: seen.append((done, total)))
    assert result.watermarks == Watermarks(30)
    assert seen == [(10, 30), (20, 30), (30, 30)]
    assert result.seconds == 6.0  # three passes of two seconds on the node's clock


def test_the_time_release_study_ages_open_declarations_to_the_nodes_clock() -> None:
    clock = Clock()
    ctx = fake_context(clock=clock)
    ctx.analytics = copy = FakeCopy()
    clock.advance(hours=5)
    report = reports.trs(ctx, TrsQuery(parse_period("2026-05")))
    assert copy.aged_to == clock.now and report.overall.declarations == 0


def test_a_node_without_an_analytical_copy_says_so() -> None:
    with pytest.raises(RuntimeError, match="no analytical copy"):
        reports.trs(fake_context(), TrsQuery(parse_period("2026-05")))
