"""The reports: the trade bulletin, the Time Release Study and the mirror report.

Reports read only the analytical copy (see `refresh`), convert with the rate table in force,
and state their conventions (counting date, conversion, growth, stage durations; see
`karakoram.domain.statistics`) in their notes. Each report is a service taking the node's
context and the query; `*_from` builds the same report from any store, for callers without a
node (the benchmark).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from karakoram.domain.access import Role
from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.domain.statistics.figures import Conversion, DateBasis, Scale, growth
from karakoram.domain.statistics.periods import Comparison, comparison, shift_time_key
from karakoram.domain.statistics.stages import MEASURED
from karakoram.services.context import NodeContext
from karakoram.services.ports import AnalyticsStore
from karakoram.services.statistics.analytical_copy import store_of
from karakoram.services.statistics.conversion import active_rates, conversion_rates
from karakoram.services.statistics.shapes import (
    FILTERS,
    MIRROR_TOLERANCES,
    TRS_GROUPS,
    Aggregate,
    Bulletin,
    BulletinQuery,
    BulletinRow,
    Durations,
    MirrorConsignment,
    MirrorGroup,
    MirrorQuery,
    MirrorReport,
    TrsQuery,
    TrsReport,
    TrsRow,
)

#: the roles that may read statistics, whichever door they come through (API, web UI)
READERS = (Role.ANALYST, Role.SUPERVISOR, Role.ADMINISTRATOR)


def bulletin(ctx: NodeContext, query: BulletinQuery) -> Bulletin:
    """Trade of the period by the requested breakdown, with growth against the base period."""
    return bulletin_from(store_of(ctx), active_rates(ctx), query)


def trs(ctx: NodeContext, query: TrsQuery) -> TrsReport:
    """The Time Release Study of declarations whose clock started in the period; open
    declarations are aged to the node's clock."""
    return trs_from(store_of(ctx), query, ctx.clock())


def mirror(ctx: NodeContext, query: MirrorQuery) -> MirrorReport:
    """Consignments both sides declared (same UCR): our declaration against the partner's."""
    return mirror_from(store_of(ctx), active_rates(ctx), query)


# --- the bulletin -----------------------------------------------------------------------------


def _check_query(query: BulletinQuery, rates: ExchangeRates | None) -> None:
    errors = [
        FieldError("unknown_filter", f"/filters/{name}", f"Cannot filter by {name!r}.")
        for name in query.filters
        if name not in FILTERS
    ]
    known = {rates.base_currency, *rates.rates} if rates else set()
    if rates is not None and query.currency not in known:
        errors.append(
            FieldError(
                "unknown_currency",
                "/currency",
                f"No exchange rates for {query.currency}; "
                f"report in one of {', '.join(sorted(known))}.",
            )
        )
    if len(set(query.dims)) != len(query.dims) or sum(d.is_time for d in query.dims) > 1:
        errors.append(
            FieldError("invalid_breakdown", "/by", "Name each breakdown once, one period unit.")
        )
    if errors:
        raise ValidationFailed(errors)


def _rate_days(query: BulletinQuery, cmp: Comparison) -> tuple[date, date]:
    """The days whose rates the bulletin may need: whole months around both periods."""
    first = min(query.period.start, cmp.base.start).replace(day=1)
    last = max(query.period.end, cmp.base.end)
    if query.basis is DateBasis.LODGEMENT and query.conversion is Conversion.RELEASE_DATE:
        last += timedelta(days=366)  # goods lodged in the period may be released after it
    return first, last.replace(day=calendar.monthrange(last.year, last.month)[1])


def bulletin_from(
    store: AnalyticsStore, rates: ExchangeRates | None, query: BulletinQuery
) -> Bulletin:
    """`bulletin` from any store, converting with `rates`."""
    _check_query(query, rates)
    cmp = comparison(query.period, query.compare, query.dims)
    known = {query.currency, *(() if rates is None else (rates.base_currency, *rates.rates))}
    factors = conversion_rates(
        rates,
        query.currency,
        dict.fromkeys(known, _rate_days(query, cmp)),
        query.conversion,
        lenient=True,
    )
    found = store.bulletin(query, (query.period, cmp.base), factors)
    current = [a for a in found if a.period == 0]
    base = [a for a in found if a.period == 1]
    rows = _bulletin_rows(query, cmp, current, base)
    total = _row({}, _total(current), _total(base) if base else None)
    return Bulletin(query, cmp, rows, total, _bulletin_notes(query, cmp, current))


def _bulletin_rows(
    query: BulletinQuery, cmp: Comparison, current: list[Aggregate], base: list[Aggregate]
) -> list[BulletinRow]:
    """A row per group of the current period, with its group of the base period."""
    time_at = next((n for n, d in enumerate(query.dims) if d.is_time), None)

    def aligned(keys: tuple[str, ...]) -> tuple[str, ...]:
        if time_at is None or cmp.months == 0:
            return keys
        moved = list(keys)
        moved[time_at] = shift_time_key(query.dims[time_at], keys[time_at], cmp.months)
        return tuple(moved)

    base_by_keys = {aligned(a.keys): a for a in base}
    names = [d.value for d in query.dims]
    return [
        _row(dict(zip(names, a.keys, strict=True)), a, base_by_keys.get(a.keys))
        for a in sorted(current, key=lambda a: a.keys)
    ]


def _bulletin_notes(query: BulletinQuery, cmp: Comparison, current: list[Aggregate]) -> list[str]:
    days = [d for a in current for d in (a.first, a.last) if d is not None]
    return [
        f"trade on {min(days)} to {max(days)} of this period" if days else "no trade",
        f"counted by {query.basis.value} date; {query.conversion.describe(query.basis)} "
        f"into {query.currency}",
        cmp.describe(query.compare)
        + "; growth from unrounded totals, rounded half-up to 0.1 point; "
        "n/a where the base period has no trade",
        f"values in {query.scale.value if query.scale is not Scale.ONE else 'units'} of "
        f"{query.currency}",
        "declarations are counted with their first goods item",
    ]


def _total(aggregates: Sequence[Aggregate]) -> Aggregate:
    return Aggregate(
        (),
        sum((a.value for a in aggregates), Decimal(0)),
        sum((a.net_mass for a in aggregates), Decimal(0)),
        sum(a.items for a in aggregates),
        sum(a.declarations for a in aggregates),
    )


def _row(keys: dict[str, str], a: Aggregate, base: Aggregate | None) -> BulletinRow:
    base_value = base.value if base is not None else None
    return BulletinRow(
        keys, a.value, base_value, growth(a.value, base_value), a.net_mass, a.items, a.declarations
    )


# --- the Time Release Study -------------------------------------------------------------------

_TRS_NOTES = [
    "the clock starts when the goods are presented at the post (at the truck's arrival "
    "without a presentation, at lodgement when no arrival is recorded) and stops at release; "
    "each stage is measured from the previous stage that happened, release from the "
    "presentation when that came later; presentation is measured from arrival, cleared (the "
    "truck cleared) from release",
    "open: not yet released; their age so far is shown, they are not dropped",
    "pre-lodged: lodged before the truck arrived; out of order: an event earlier than the "
    "stage before it (counted as zero)",
    "fallback: captured offline in a fallback file and taken in later; timed from the capture",
]

#: the overall row of a period without declarations
_NO_DECLARATIONS = {
    "declarations": 0, "released": 0, "open": 0, "ended_unreleased": 0, "pre_lodged": 0,
    "out_of_order": 0, "inspections_saved": 0, "fallback": 0, "open_age_median": None,
    **{f"{p}_{s}": None for p in ["total", *[f"to_{m.value}" for m in MEASURED]]
       for s in ("n", "median", "mean", "p90", "p95")},
}  # fmt: skip


def _durations(raw: Mapping[str, Any], prefix: str) -> Durations:
    return Durations(
        int(raw[f"{prefix}_n"] or 0),
        raw[f"{prefix}_median"],
        raw[f"{prefix}_mean"],
        raw[f"{prefix}_p90"],
        raw[f"{prefix}_p95"],
    )


def _trs_row(keys: dict[str, str], raw: Mapping[str, Any]) -> TrsRow:
    return TrsRow(
        keys,
        int(raw["declarations"]),
        int(raw["released"]),
        int(raw["open"]),
        int(raw["ended_unreleased"]),
        int(raw["pre_lodged"]),
        int(raw["out_of_order"]),
        int(raw["inspections_saved"] or 0),
        int(raw["fallback"] or 0),
        _durations(raw, "total"),
        {s.value: _durations(raw, f"to_{s.value}") for s in MEASURED},
        raw["open_age_median"],
    )


def _check_trs_query(query: TrsQuery) -> None:
    unknown = [g for g in query.by if g not in TRS_GROUPS]
    unknown_filters = [f for f in query.filters if f not in TRS_GROUPS]
    if unknown or unknown_filters:
        raise ValidationFailed(
            [
                FieldError("invalid_breakdown", "/by", f"Cannot break down by {g!r}.")
                for g in unknown
            ]
            + [
                FieldError("unknown_filter", f"/filters/{f}", f"Cannot filter by {f!r}.")
                for f in unknown_filters
            ]
        )


def trs_from(store: AnalyticsStore, query: TrsQuery, now: datetime) -> TrsReport:
    """`trs` from any store, open declarations aged to `now`."""
    _check_trs_query(query)
    found = store.trs(query, now)
    rows = [_trs_row(r["keys"], r) for r in found if r["keys"] is not None]
    overall = [r for r in found if r["keys"] is None]
    whole = _trs_row({}, overall[0] if overall else _NO_DECLARATIONS)
    return TrsReport(query, rows, whole, list(_TRS_NOTES))


# --- the mirror report ------------------------------------------------------------------------


def mirror_from(
    store: AnalyticsStore, rates: ExchangeRates | None, query: MirrorQuery
) -> MirrorReport:
    """`mirror` from any store, converting with `rates`."""
    needed = store.mirror_currency_days(query.period)
    factors = conversion_rates(rates, query.currency, needed, Conversion.RELEASE_DATE)
    raw: dict[str, Any] = store.mirror(query, factors) if needed else {
        "matched": 0, "unmatched": 0, "by_chapter": [], "by_trader": [], "consignments": []
    }  # fmt: skip
    consignments = [MirrorConsignment(**c) for c in raw["consignments"]]
    flagged = [c for c in consignments if c.reasons(query.threshold)]
    flagged.sort(key=lambda c: abs(c.ours - c.theirs), reverse=True)

    def groups(rows: list[dict[str, Any]]) -> list[MirrorGroup]:
        out = [MirrorGroup(**r) for r in rows]
        return sorted(out, key=lambda g: abs(g.gap), reverse=True)[: query.limit]

    notes = [
        f"values converted into {query.currency} at each side's release-date rate",
        f"consignments flagged when the value differs by more than {query.threshold:.0%} of "
        f"the partner's, the gross mass by more than {MIRROR_TOLERANCES.mass:.0%}, or the HS6 "
        "codes differ",
        "only consignments released on this side and declared by the partner are compared",
    ]
    return MirrorReport(
        query,
        int(raw["matched"]),
        int(raw["unmatched"]),
        groups(raw["by_chapter"]),
        groups(raw["by_trader"]),
        flagged[: query.limit],
        notes,
    )
