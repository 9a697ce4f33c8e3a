"""Statistics: refresh the analytical copy, and build the bulletin, the TRS and the mirror report.

Reports read only the analytical copy (Parquet files the analytics engine scans); the
transactional database is read only by `refresh`, and only for what changed since the last one.
The conventions (counting date, conversion, growth, stage durations) are in
`domain.statistics`, stated on every report.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from karakoram.domain.duties.schedule import ExchangeRates
from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.domain.exchange.mirror import Tolerances
from karakoram.domain.statistics.figures import Conversion, DateBasis, Scale, growth, section_of
from karakoram.domain.statistics.periods import (
    Compare,
    Comparison,
    Dimension,
    Period,
    comparison,
    shift_time_key,
)
from karakoram.domain.statistics.stages import MEASURED, stage_times, timeline
from karakoram.services.policy.documents import PolicyCache
from karakoram.services.ports import AnalyticsSource, AnalyticsStore, UnitOfWorkFactory

#: the same tolerances the importing side's mirror check in risk assessment uses
MIRROR_TOLERANCES = Tolerances()


def cents(amount: Decimal) -> Decimal:
    """An amount as reports give it: to the cent, half-up."""
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- what a refresh moves ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Watermarks:
    """The last id of each append-only source table that the analytical copy holds."""

    events: int = 0
    arrivals: int = 0
    partner_records: int = 0


#: the columns of released goods items a source hands over (one list per column); what the
#: analytical copy needs of their declarations comes with the declarations (`touched`)
RELEASED_COLUMNS = (
    "declaration_id", "seq", "hs_code", "origin", "quantity", "unit", "gross_mass",
    "net_mass", "value",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ChangedDeclaration:
    """A declaration with something new since the last refresh, with all its events."""

    id: int
    mrn: str
    direction: str
    status: str
    ucr: str
    office: str
    crossing: str
    channel: str | None
    trader: str
    aeo: bool
    partner: str  # the counterpart's country
    currency: str  # of the invoice
    hs_code: str  # of the first goods item: the declaration's HS section in the TRS
    lodged_at: datetime
    events: list[tuple[str, datetime]]
    arrived_at: datetime | None


@dataclass(frozen=True, slots=True)
class PartnerDeclaration:
    """The partner's declaration of a consignment, as it came in a message."""

    record_id: int
    ucr: str
    sender: str
    mrn: str
    declaration: Mapping[str, Any]
    released_at: str


@dataclass(frozen=True, slots=True)
class Changes:
    upto: Watermarks
    #: goods items of declarations released since the last refresh, by column
    released: dict[str, list[Any]]
    touched: list[ChangedDeclaration]
    partner: list[PartnerDeclaration]
    #: clearance events left for the next pass (a refresh goes in bounded passes)
    remaining: int = 0


@dataclass(frozen=True, slots=True)
class RefreshResult:
    items: int
    declarations: int
    partner_items: int
    watermarks: Watermarks
    seconds: float


# --- report requests and rows -----------------------------------------------------------------

FILTERS = (
    "direction",
    "partner",
    "section",
    "chapter",
    "heading",
    "subheading",
    "office",
    "crossing",
    "trader",
)


@dataclass(frozen=True, slots=True)
class BulletinQuery:
    period: Period
    dims: tuple[Dimension, ...] = ()
    filters: Mapping[str, str] = field(default_factory=dict)
    currency: str = "CNY"
    compare: Compare = Compare.YEAR_ON_YEAR
    basis: DateBasis = DateBasis.RELEASE
    conversion: Conversion = Conversion.RELEASE_DATE
    scale: Scale = Scale.MILLION


@dataclass(frozen=True, slots=True)
class Aggregate:
    """One group of a bulletin as the engine returns it (values in the report currency)."""

    keys: tuple[str, ...]
    value: Decimal
    net_mass: Decimal
    items: int
    declarations: int
    period: int = 0  # which of the periods asked for (0: the current one, 1: the base)
    first: date | None = None  # the first and last day with trade in the group
    last: date | None = None


@dataclass(frozen=True, slots=True)
class BulletinRow:
    keys: dict[str, str]
    value: Decimal
    base_value: Decimal | None
    growth: Decimal | None
    net_mass: Decimal
    items: int
    declarations: int

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.keys,
            "value": str(cents(self.value)),
            "base_value": None if self.base_value is None else str(cents(self.base_value)),
            "growth_percent": None if self.growth is None else str(self.growth),
            "net_mass_kg": str(self.net_mass),
            "items": self.items,
            "declarations": self.declarations,
        }


@dataclass(frozen=True, slots=True)
class Bulletin:
    query: BulletinQuery
    comparison: Comparison
    rows: list[BulletinRow]
    total: BulletinRow
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        q = self.query
        return {
            "period": q.period.as_dict(),
            "base_period": self.comparison.base.as_dict(),
            "by": [d.value for d in q.dims],
            "filters": dict(q.filters),
            "currency": q.currency,
            "compare": q.compare.value,
            "date_basis": q.basis.value,
            "conversion": q.conversion.value,
            "scale": q.scale.value,
            "notes": self.notes,
            "total": self.total.as_dict(),
            "rows": [r.as_dict() for r in self.rows],
        }


@dataclass(frozen=True, slots=True)
class TrsQuery:
    period: Period  # by the date the clock started (arrival, or lodgement)
    by: tuple[str, ...] = ()
    filters: Mapping[str, str] = field(default_factory=dict)


TRS_GROUPS = (
    "direction",
    "channel",
    "office",
    "crossing",
    "section",
    "aeo",
    "pre_lodged",
    "week",
    "month",
)


@dataclass(frozen=True, slots=True)
class Durations:
    """Seconds: median, mean, 90th and 95th percentile, over the declarations that had it."""

    count: int
    median: float | None
    mean: float | None
    p90: float | None
    p95: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "median_s": self.median,
            "mean_s": self.mean,
            "p90_s": self.p90,
            "p95_s": self.p95,
        }


@dataclass(frozen=True, slots=True)
class TrsRow:
    keys: dict[str, str]
    declarations: int
    released: int
    open: int
    ended_unreleased: int
    pre_lodged: int
    out_of_order: int
    total: Durations
    stages: dict[str, Durations]
    open_age_median: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.keys,
            "declarations": self.declarations,
            "released": self.released,
            "open": self.open,
            "ended_unreleased": self.ended_unreleased,
            "pre_lodged": self.pre_lodged,
            "out_of_order": self.out_of_order,
            "total": self.total.as_dict(),
            "stages": {k: v.as_dict() for k, v in self.stages.items()},
            "open_age_median_s": self.open_age_median,
        }


@dataclass(frozen=True, slots=True)
class TrsReport:
    query: TrsQuery
    rows: list[TrsRow]
    overall: TrsRow
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.query.period.as_dict(),
            "by": list(self.query.by),
            "filters": dict(self.query.filters),
            "notes": self.notes,
            "overall": self.overall.as_dict(),
            "rows": [r.as_dict() for r in self.rows],
        }


@dataclass(frozen=True, slots=True)
class MirrorQuery:
    period: Period  # by our release date
    currency: str = "CNY"
    threshold: Decimal = MIRROR_TOLERANCES.value  # share of the partner's value
    limit: int = 20


@dataclass(frozen=True, slots=True)
class MirrorGroup:
    key: str
    consignments: int
    ours: Decimal
    theirs: Decimal

    @property
    def gap(self) -> Decimal:
        return self.ours - self.theirs

    @property
    def share(self) -> Decimal | None:
        return growth(self.ours, self.theirs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "consignments": self.consignments,
            "ours": str(cents(self.ours)),
            "theirs": str(cents(self.theirs)),
            "gap": str(cents(self.gap)),
            "gap_percent": None if self.share is None else str(self.share),
        }


@dataclass(frozen=True, slots=True)
class MirrorConsignment:
    ucr: str
    mrn: str
    partner_mrn: str
    trader: str
    ours: Decimal
    theirs: Decimal
    our_mass: Decimal
    their_mass: Decimal
    our_quantity: float
    their_quantity: float
    our_hs6: str
    their_hs6: str

    @property
    def value_share(self) -> Decimal | None:
        return growth(self.ours, self.theirs)

    def reasons(self, threshold: Decimal) -> list[str]:
        out = []
        share = self.value_share
        if share is not None and abs(share) > threshold * 100:
            out.append(f"value {share:+.1f}%")
        mass = growth(self.our_mass, self.their_mass)
        if mass is not None and abs(mass) > MIRROR_TOLERANCES.mass * 100:
            out.append(f"gross mass {mass:+.1f}%")
        if self.our_hs6 != self.their_hs6:
            out.append(f"HS6 {self.our_hs6} against {self.their_hs6}")
        return out

    def as_dict(self, threshold: Decimal) -> dict[str, Any]:
        return {
            "ucr": self.ucr,
            "mrn": self.mrn,
            "partner_mrn": self.partner_mrn,
            "trader": self.trader,
            "ours": str(cents(self.ours)),
            "theirs": str(cents(self.theirs)),
            "gap": str(cents(self.ours - self.theirs)),
            "gap_percent": None if self.value_share is None else str(self.value_share),
            "our_gross_mass": str(self.our_mass),
            "their_gross_mass": str(self.their_mass),
            "our_hs6": self.our_hs6,
            "their_hs6": self.their_hs6,
            "reasons": self.reasons(threshold),
        }


@dataclass(frozen=True, slots=True)
class MirrorReport:
    query: MirrorQuery
    matched: int
    unmatched_ours: int
    by_chapter: list[MirrorGroup]
    by_trader: list[MirrorGroup]
    flagged: list[MirrorConsignment]
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.query.period.as_dict(),
            "currency": self.query.currency,
            "threshold_percent": str(self.query.threshold * 100),
            "matched_consignments": self.matched,
            "unmatched_consignments": self.unmatched_ours,
            "notes": self.notes,
            "by_chapter": [g.as_dict() for g in self.by_chapter],
            "by_trader": [g.as_dict() for g in self.by_trader],
            "flagged": [c.as_dict(self.query.threshold) for c in self.flagged],
        }


#: (currency, day) -> factor converting that currency into the report currency
RateRows = list[tuple[str, date, Decimal]]


# --- refresh --------------------------------------------------------------------------------


#: clearance events one refresh pass takes: memory stays bounded on a first refresh of years
PASS_EVENTS = 200_000


def refresh(
    source: AnalyticsSource,
    store: AnalyticsStore,
    clock: Callable[[], datetime],
    progress: Callable[[int, int], None] | None = None,
    pass_events: int = PASS_EVENTS,
) -> RefreshResult:
    """Bring the analytical copy up to date with what changed since the last refresh, in
    passes of at most `pass_events` events; `progress(done, total)` hears of each pass."""
    started = clock()
    items = declarations = partner = done = 0
    with store.exclusive():
        first = store.watermarks().events
        while True:
            changes = source.changes(store.watermarks(), pass_events)
            columns = _item_columns(changes.released, {d.id: d for d in changes.touched})
            rows = _declaration_columns(changes.touched)
            partner_rows = [row for p in changes.partner for row in _partner_rows(p)]
            store.apply(changes.upto, columns, rows, partner_rows)
            items += len(columns["declaration_id"])
            declarations += len(rows["declaration_id"])
            partner += len(partner_rows)
            done = changes.upto.events - first
            if progress is not None:
                progress(done, done + changes.remaining)
            if not changes.remaining:
                break
    return RefreshResult(
        items, declarations, partner, changes.upto, (clock() - started).total_seconds()
    )


def _hs_parts(hs_code: str) -> dict[str, str]:
    return {
        "hs6": hs_code[:6],
        "heading": hs_code[:4],
        "chapter": hs_code[:2],
        "section": section_of(hs_code[:2]),
    }


def _item_columns(
    c: Mapping[str, list[Any]], heads: Mapping[int, ChangedDeclaration]
) -> dict[str, list[Any]]:
    """The analytical copy's item columns: the source's item columns, and what each item's
    declaration (among those changed: a release is a change) says."""
    of = [heads[i] for i in c["declaration_id"]]
    released = {d.id: _released_at(d) for d in heads.values()}
    hs = c["hs_code"]
    chapters = [h[:2] for h in hs]
    return {
        "declaration_id": c["declaration_id"],
        "seq": c["seq"],
        "mrn": [d.mrn for d in of],
        "direction": [d.direction for d in of],
        "ucr": [d.ucr for d in of],
        "partner": [d.partner for d in of],
        "office": [d.office for d in of],
        "crossing": [d.crossing for d in of],
        "trader": [d.trader for d in of],
        "aeo": [d.aeo for d in of],
        "channel": [d.channel or "" for d in of],
        "hs_code": hs,
        "hs6": [h[:6] for h in hs],
        "heading": [h[:4] for h in hs],
        "chapter": chapters,
        "section": [section_of(ch) for ch in chapters],
        "origin": c["origin"],
        "quantity": [float(q) for q in c["quantity"]],
        "unit": c["unit"],
        "gross_mass": c["gross_mass"],
        "net_mass": c["net_mass"],
        "value": c["value"],
        "currency": [d.currency for d in of],
        "lodged_date": [d.lodged_at.date() for d in of],
        "released_date": [released[d.id] for d in of],
    }


def _released_at(d: ChangedDeclaration) -> date | None:
    times = [at for action, at in d.events if action == "release"]
    return min(times).date() if times else None


_DURATION_COLUMNS = tuple((s.value, f"to_{s.value}_s") for s in MEASURED)


#: the analytical copy's declaration columns, in the order `_declaration_row` gives them
DECLARATION_COLUMNS = (
    "declaration_id", "mrn", "direction", "status", "ucr", "office", "crossing", "channel",
    "trader", "aeo", "section", "chapter", "pre_lodged", "out_of_order", "open",
    "ended_unreleased", "start_at", "lodged_at", "total_s",
    *(column for _, column in _DURATION_COLUMNS),
)  # fmt: skip


def _declaration_columns(touched: Sequence[ChangedDeclaration]) -> dict[str, list[Any]]:
    rows = [_declaration_row(d) for d in touched]
    if not rows:
        return {name: [] for name in DECLARATION_COLUMNS}
    return dict(zip(DECLARATION_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))


def _declaration_row(d: ChangedDeclaration) -> tuple[Any, ...]:
    line = timeline(stage_times(d.events, d.arrived_at), d.status)
    start = d.arrived_at if d.arrived_at is not None and not line.pre_lodged else d.lodged_at
    chapter = d.hs_code[:2]
    durations = line.durations
    return (
        d.id, d.mrn, d.direction, d.status, d.ucr, d.office, d.crossing, d.channel or "none",
        d.trader, d.aeo, section_of(chapter), chapter, line.pre_lodged, line.out_of_order,
        line.open, line.ended_unreleased, start, d.lodged_at, line.total,
        *(durations.get(stage) for stage, _ in _DURATION_COLUMNS),
    )  # fmt: skip


def _partner_rows(p: PartnerDeclaration) -> Iterable[dict[str, Any]]:
    declaration = p.declaration
    invoice = declaration.get("invoice", {})
    released = date.fromisoformat(p.released_at[:10])
    for seq, item in enumerate(declaration.get("items", []), start=1):
        hs_code = str(item.get("hs_code", ""))
        yield {
            "record_id": p.record_id,
            "ucr": p.ucr,
            "sender": p.sender,
            "partner_mrn": p.mrn,
            "seq": seq,
            "hs_code": hs_code,
            **_hs_parts(hs_code),
            "quantity": float(item.get("quantity", 0)),
            "gross_mass": str(item.get("gross_mass", 0)),
            "value": str(item.get("value", 0)),
            "currency": str(invoice.get("currency", "")),
            "released_date": released,
        }


# --- currency conversion --------------------------------------------------------------------

FACTOR_PLACES = Decimal("1e-12")


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _monthly_average(rates: ExchangeRates, currency: str, year: int, month: int) -> Decimal:
    days = calendar.monthrange(year, month)[1]
    total = sum(
        (rates.rate(currency, date(year, month, d))[0] for d in range(1, days + 1)), Decimal(0)
    )
    return total / days


def conversion_rates(
    rates: ExchangeRates | None,
    currency: str,
    needed: Mapping[str, tuple[date, date]],
    conversion: Conversion,
    *,
    lenient: bool = False,
) -> RateRows:
    """Factors from each needed currency into `currency`, per day of the needed range.
    A day without a usable rate is an error, or (`lenient`) left out for the engine to report
    if any goods item needs it."""
    if rates is None:
        if set(needed) <= {currency}:
            return [(c, day, Decimal(1)) for c, (a, b) in needed.items() for day in _days(a, b)]
        raise ValidationFailed(
            [FieldError("missing_exchange_rate", "/currency", "No exchange-rate table is active.")]
        )
    rows: RateRows = []
    monthly: dict[tuple[str, int, int], Decimal] = {}

    def rate(cur: str, day: date) -> Decimal:
        if conversion is Conversion.RELEASE_DATE:
            return rates.rate(cur, day)[0]
        key = (cur, day.year, day.month)
        if key not in monthly:
            monthly[key] = _monthly_average(rates, cur, day.year, day.month)
        return monthly[key]

    for cur, (first, last) in sorted(needed.items()):
        for day in _days(first, last):
            try:
                factor = rate(cur, day) / rate(currency, day) if cur != currency else Decimal(1)
            except ValidationFailed as exc:
                if lenient:
                    continue
                message = exc.errors[0].message if exc.errors else str(exc)
                raise ValidationFailed(
                    [
                        FieldError(
                            "missing_exchange_rate",
                            "/currency",
                            f"Cannot convert {cur} into {currency} for {day}: {message}",
                        )
                    ]
                ) from exc
            rows.append((cur, day, factor.quantize(FACTOR_PLACES)))
    return rows


# --- the reports ----------------------------------------------------------------------------


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


def bulletin(store: AnalyticsStore, rates: ExchangeRates | None, query: BulletinQuery) -> Bulletin:
    """Trade of the period by the requested breakdown, with growth against the base period."""
    _check_query(query, rates)
    cmp = comparison(query.period, query.compare, query.dims)
    first = min(query.period.start, cmp.base.start).replace(day=1)
    last = max(query.period.end, cmp.base.end)
    if query.basis is DateBasis.LODGEMENT and query.conversion is Conversion.RELEASE_DATE:
        last += timedelta(days=366)  # goods lodged in the period may be released after it
    last = last.replace(day=calendar.monthrange(last.year, last.month)[1])
    known = {query.currency, *(() if rates is None else (rates.base_currency, *rates.rates))}
    factors = conversion_rates(
        rates, query.currency, dict.fromkeys(known, (first, last)), query.conversion, lenient=True
    )
    found = store.bulletin(query, (query.period, cmp.base), factors)
    current = [a for a in found if a.period == 0]
    base = [a for a in found if a.period == 1]
    time_at = next((n for n, d in enumerate(query.dims) if d.is_time), None)

    def aligned(keys: tuple[str, ...]) -> tuple[str, ...]:
        if time_at is None or cmp.months == 0:
            return keys
        moved = list(keys)
        moved[time_at] = shift_time_key(query.dims[time_at], keys[time_at], cmp.months)
        return tuple(moved)

    base_by_keys = {aligned(a.keys): a for a in base}
    names = [d.value for d in query.dims]
    rows = []
    for a in sorted(current, key=lambda a: a.keys):
        b = base_by_keys.get(a.keys)
        rows.append(_row(dict(zip(names, a.keys, strict=True)), a, b))
    total = _total(current)
    base_total = _total(base) if base else None
    days = [d for a in current for d in (a.first, a.last) if d is not None]
    notes = [
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
    return Bulletin(query, cmp, rows, _row({}, total, base_total), notes)


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
        _durations(raw, "total"),
        {s.value: _durations(raw, f"to_{s.value}") for s in MEASURED},
        raw["open_age_median"],
    )


def trs(store: AnalyticsStore, query: TrsQuery, now: datetime) -> TrsReport:
    """The Time Release Study of declarations whose clock started in the period."""
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
    found = store.trs(query, now)
    rows = [_trs_row(r["keys"], r) for r in found if r["keys"] is not None]
    overall = [r for r in found if r["keys"] is None]
    notes = [
        "the clock starts at arrival at the border (at lodgement when no arrival is recorded) "
        "and stops at release; each stage is measured from the previous stage that happened",
        "open: not yet released; their age so far is shown, they are not dropped",
        "pre-lodged: lodged before the truck arrived; out of order: an event earlier than the "
        "stage before it (counted as zero)",
    ]
    empty = {
        "declarations": 0, "released": 0, "open": 0, "ended_unreleased": 0, "pre_lodged": 0,
        "out_of_order": 0, "open_age_median": None,
        **{f"{p}_{s}": None for p in ["total", *[f"to_{m.value}" for m in MEASURED]]
           for s in ("n", "median", "mean", "p90", "p95")},
    }  # fmt: skip
    return TrsReport(query, rows, _trs_row({}, overall[0] if overall else empty), notes)


def mirror(store: AnalyticsStore, rates: ExchangeRates | None, query: MirrorQuery) -> MirrorReport:
    """Consignments both sides declared (same UCR): our declaration against the partner's."""
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


def active_rates(policy: PolicyCache, uow: UnitOfWorkFactory) -> ExchangeRates | None:
    """The exchange-rate table in force, which statistics convert with."""
    with uow() as work:
        return policy.current(work).rates
