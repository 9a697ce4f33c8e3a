"""Refresh the analytical copy: bring it up to date with what changed since the last refresh.

The transactional database is read only here, and only for what changed (by the ids of its
append-only tables); reports read the copy alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from karakoram.services.collector import collector_paused
from karakoram.services.context import NodeContext
from karakoram.services.ports import AnalyticsSource, AnalyticsStore
from karakoram.services.statistics.analytical_copy import (
    Watermarks,
    declaration_columns,
    item_columns,
    partner_rows,
    store_of,
)

#: clearance events one refresh pass takes: memory stays bounded on a first refresh of years
PASS_EVENTS = 200_000


@dataclass(frozen=True, slots=True)
class RefreshResult:
    items: int
    declarations: int
    partner_items: int
    watermarks: Watermarks
    seconds: float


def refresh(
    ctx: NodeContext,
    progress: Callable[[int, int], None] | None = None,
    pass_events: int = PASS_EVENTS,
) -> RefreshResult:
    """Bring the node's analytical copy up to date, in passes of at most `pass_events`
    events; `progress(done, total)` hears of each pass."""
    if ctx.analytics_source is None:
        raise RuntimeError("this node has nothing to refresh its analytical copy from")
    return refresh_from(ctx.analytics_source, store_of(ctx), ctx.clock, progress, pass_events)


def refresh_from(
    source: AnalyticsSource,
    store: AnalyticsStore,
    clock: Callable[[], datetime],
    progress: Callable[[int, int], None] | None = None,
    pass_events: int = PASS_EVENTS,
) -> RefreshResult:
    """`refresh` of any store from any source (the benchmark's have no node around them)."""
    started = clock()
    items = declarations = partner = 0
    with store.exclusive():
        first = store.watermarks().events
        while True:
            with collector_paused():  # a pass's rows: walking them cost 0.15 CPU-s a day
                upto, remaining, took, partners = _pass(source, store, pass_events)
            items += took[0]
            declarations += took[1]
            partner += partners
            if progress is not None:
                done = upto.events - first
                progress(done, done + remaining)
            if not remaining:
                break
    seconds = (clock() - started).total_seconds()
    return RefreshResult(items, declarations, partner, upto, seconds)


def _pass(
    source: AnalyticsSource, store: AnalyticsStore, pass_events: int
) -> tuple[Watermarks, int, tuple[int, int], int]:
    """One pass: what changed after the store's watermarks into the store; its rows go when it
    returns. The watermarks reached, the events left, the items and declarations taken, the
    partner items."""
    changes = source.changes(store.watermarks(), pass_events)
    partners = [row for p in changes.partner for row in partner_rows(p)]
    if changes.rows is not None:  # the store derives the rows itself, in bulk
        took = store.apply_rows(changes.upto, changes.rows, partners)
    else:
        columns = item_columns(changes.released, {d.id: d for d in changes.touched})
        rows = declaration_columns(changes.touched)
        store.apply(changes.upto, columns, rows, partners)
        took = len(columns["declaration_id"]), len(rows["declaration_id"])
    return changes.upto, changes.remaining, took, len(partners)
