"""Statistics as a by-product of clearance: the conventions, stated once and tested.

- **Growth** is computed from unrounded totals, as a percentage rounded half-up to one decimal
  (838.6 -> 2,920.0 is +248.2%). With no trade in the base period growth is *not applicable*
  (`None`), never infinity or zero.
- **Counting date**: a released declaration counts on its release date (the default) or on its
  lodgement date; the bulletin states which.
- **Currency conversion**: each invoice value is converted at the rate of its release date
  (the latest rate published on or before it) or at the monthly average of the daily rates of
  the month it counts in; the bulletin states which.
- **Time Release Study** (WCO method): a declaration's clock starts when the truck arrives at the
  border (or at lodgement when no arrival is recorded) and stops at release; each stage is
  measured from the previous stage that happened. A declaration lodged before the truck arrived
  is *pre-lodged*; events that happen before the stage they follow count as zero and are
  flagged as out of order. Declarations not yet released are *open*, counted, never dropped.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

PERCENT_PLACES = Decimal("0.1")


def growth(current: Decimal, base: Decimal | None) -> Decimal | None:
    """Growth over the base in percent, half-up to one decimal; `None` without a base."""
    if base is None or base == 0:
        return None
    return ((current - base) / base * 100).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


class Scale(StrEnum):
    ONE = "one"
    THOUSAND = "thousand"
    MILLION = "million"
    BILLION = "billion"

    @property
    def divisor(self) -> Decimal:
        return Decimal(10) ** {"one": 0, "thousand": 3, "million": 6, "billion": 9}[self.value]


def scaled(amount: Decimal, scale: Scale, places: int = 1) -> Decimal:
    """An amount in `scale` units, half-up to `places` decimals, as published."""
    return (amount / scale.divisor).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal, scale: Scale, places: int = 1) -> str:
    return f"{scaled(amount, scale, places):,.{places}f}"


def format_growth(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


#: HS 2022 sections by their first chapter (a section runs until the next one starts)
_SECTIONS: tuple[tuple[int, str], ...] = (
    (1, "I"), (6, "II"), (15, "III"), (16, "IV"), (25, "V"), (28, "VI"), (39, "VII"),
    (41, "VIII"), (44, "IX"), (47, "X"), (50, "XI"), (64, "XII"), (68, "XIII"), (71, "XIV"),
    (72, "XV"), (84, "XVI"), (86, "XVII"), (90, "XVIII"), (93, "XIX"), (94, "XX"), (97, "XXI"),
)  # fmt: skip


#: short titles of the HS 2022 sections, for tables and charts
SECTION_TITLES = {
    "I": "Live animals, animal products",
    "II": "Vegetable products",
    "III": "Fats and oils",
    "IV": "Prepared foodstuffs, beverages, tobacco",
    "V": "Mineral products",
    "VI": "Chemical products",
    "VII": "Plastics and rubber",
    "VIII": "Hides, skins, leather",
    "IX": "Wood, cork, basketware",
    "X": "Pulp, paper, paperboard",
    "XI": "Textiles",
    "XII": "Footwear, headgear",
    "XIII": "Stone, ceramic, glass",
    "XIV": "Pearls, precious stones and metals",
    "XV": "Base metals and articles",
    "XVI": "Machinery, electrical equipment",
    "XVII": "Vehicles, aircraft, vessels",
    "XVIII": "Optical, medical instruments, clocks",
    "XIX": "Arms and ammunition",
    "XX": "Miscellaneous manufactured articles",
    "XXI": "Works of art, antiques",
}


def _section(chapter: int) -> str:
    return [name for first, name in _SECTIONS if chapter >= first][-1]


_SECTION_OF = {f"{c:02d}": _section(c) for c in range(1, 100)}


def section_of(chapter: str) -> str:
    """The HS section (roman numeral) of a two-digit chapter; '' for a non-chapter."""
    return _SECTION_OF.get(chapter, "")


#: what people call currencies that ISO 4217 names otherwise
CURRENCY_ALIASES = {"RMB": "CNY"}


def currency_code(text: str) -> str:
    """An ISO 4217 code from what a user typed: 'rmb' -> 'CNY'."""
    code = text.strip().upper()
    return CURRENCY_ALIASES.get(code, code)


class DateBasis(StrEnum):
    RELEASE = "release"
    LODGEMENT = "lodgement"


class Conversion(StrEnum):
    RELEASE_DATE = "release_date"
    MONTHLY_AVERAGE = "monthly_average"

    def describe(self, basis: DateBasis) -> str:
        if self is Conversion.RELEASE_DATE:
            return "converted at the rate of each declaration's release date"
        return f"converted at the monthly average rate of the {basis.value} month"


class Compare(StrEnum):
    YEAR_ON_YEAR = "yoy"
    PERIOD_ON_PERIOD = "pop"


class Dimension(StrEnum):
    """What a bulletin may be broken down by."""

    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"
    DIRECTION = "direction"
    PARTNER = "partner"
    SECTION = "section"
    CHAPTER = "chapter"
    HEADING = "heading"
    SUBHEADING = "subheading"
    OFFICE = "office"
    CROSSING = "crossing"

    @property
    def is_time(self) -> bool:
        return self in (Dimension.YEAR, Dimension.QUARTER, Dimension.MONTH)


_MONTHS_PER = {Dimension.YEAR: 12, Dimension.QUARTER: 3, Dimension.MONTH: 1}


@dataclass(frozen=True, slots=True)
class Period:
    """Calendar days from `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    @property
    def whole_months(self) -> int | None:
        """How many calendar months the period spans, when it is made of whole months."""
        if self.start.day != 1 or self.end != _month_end(self.end):
            return None
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def shifted(self, months: int = 0, days: int = 0) -> Period:
        if months:
            return Period(add_months(self.start, months), _month_end(add_months(self.end, months)))
        return Period(self.start + timedelta(days=days), self.end + timedelta(days=days))


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, months: int) -> date:
    """`d` moved by whole months, the day clipped to the month's length."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True, slots=True)
class Comparison:
    """The base period a bulletin compares with, and how its time keys line up with ours."""

    base: Period
    months: int  # the shift in months (0 when shifted by days)
    days: int = 0

    def describe(self, compare: Compare) -> str:
        what = "year on year" if compare is Compare.YEAR_ON_YEAR else "period on period"
        return f"growth {what}, against {self.base}"


def comparison(period: Period, compare: Compare, dims: tuple[Dimension, ...]) -> Comparison:
    """Year on year: the same days a year before. Period on period: with a time breakdown, each
    month (quarter, year) against the one before; without, the period of the same length just
    before this one (whole months move by months)."""
    if compare is Compare.YEAR_ON_YEAR:
        return Comparison(period.shifted(months=-12), 12)
    time = [d for d in dims if d.is_time]
    if time:
        months = _MONTHS_PER[time[0]]
        return Comparison(period.shifted(months=-months), months)
    whole = period.whole_months
    if whole is not None:
        return Comparison(period.shifted(months=-whole), whole)
    days = (period.end - period.start).days + 1
    return Comparison(period.shifted(days=-days), 0, days)


def time_key(dim: Dimension, d: date) -> str:
    if dim is Dimension.YEAR:
        return f"{d.year}"
    if dim is Dimension.QUARTER:
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    return f"{d.year}-{d.month:02d}"


def time_key_of_number(dim: Dimension, number: int) -> str:
    """The key of a period the analytics engine gives as a number: year, year*10 + quarter,
    or year*100 + month."""
    if dim is Dimension.YEAR:
        return time_key(dim, date(number, 1, 1))
    if dim is Dimension.QUARTER:
        return time_key(dim, date(number // 10, (number % 10 - 1) * 3 + 1, 1))
    return time_key(dim, date(number // 100, number % 100, 1))


def shift_time_key(dim: Dimension, key: str, months: int) -> str:
    """A base row's time key moved forward onto the current row it compares with."""
    if dim is Dimension.YEAR:
        return str(int(key) + months // 12)
    if dim is Dimension.QUARTER:
        year, quarter = key.split("-Q")
        return time_key(dim, add_months(date(int(year), (int(quarter) - 1) * 3 + 1, 1), months))
    year, month = key.split("-")
    return time_key(dim, add_months(date(int(year), int(month), 1), months))


# --- Time Release Study ---------------------------------------------------------------------


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


def parse_filter(text: str) -> tuple[str, str]:
    """'direction=import' as ('direction', 'import'); ValueError names what to write."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise ValueError(f"write NAME=VALUE, e.g. direction=import, not {text!r}")
    return name.strip(), value.strip()


def parse_period(text: str) -> Period:
    """'2022', '2023-H1', '2023-Q2', '2023-03' or 'FROM..TO' (ISO dates) as a period."""
    text = text.strip().upper()
    try:
        if ".." in text:
            start, end = text.split("..", 1)
            return Period(date.fromisoformat(start), date.fromisoformat(end))
        if text.isdigit() and len(text) == 4:
            return Period(date(int(text), 1, 1), date(int(text), 12, 31))
        year, part = text.split("-", 1)
        y = int(year)
        if part in ("H1", "H2"):
            first = date(y, 1 if part == "H1" else 7, 1)
            return Period(first, _month_end(add_months(first, 5)))
        if part.startswith("Q") and part[1:] in ("1", "2", "3", "4"):
            first = date(y, (int(part[1:]) - 1) * 3 + 1, 1)
            return Period(first, _month_end(add_months(first, 2)))
        first = date(y, int(part), 1)
        return Period(first, _month_end(first))
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is not a period: use 2022, 2023-H1, 2023-Q2, 2023-03 or "
            "2023-01-01..2023-06-30"
        ) from exc
