"""What a report is asked and what it answers: the queries and the result shapes of the
bulletin, the Time Release Study and the mirror report.

Each result keeps its query and the notes that state its conventions, and gives itself as a
dict (`as_dict`) for JSON, CSV and XLSX alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from karakoram.domain.exchange.mirror import Tolerances
from karakoram.domain.statistics.figures import Conversion, DateBasis, Scale, growth
from karakoram.domain.statistics.periods import Compare, Comparison, Dimension, Period

#: the same tolerances the importing side's mirror check in risk assessment uses
MIRROR_TOLERANCES = Tolerances()


def cents(amount: Decimal) -> Decimal:
    """An amount as reports give it: to the cent, half-up."""
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


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
    #: declarations whose inspection was the partner's, accepted instead of a second one
    inspections_saved: int
    #: declarations lodged from a fallback file (captured offline, timed from the capture)
    fallback: int
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
            "inspections_saved": self.inspections_saved,
            "fallback": self.fallback,
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
