"""Periods and breakdowns: what a report covers, what it compares with, how users write them.

A period is calendar days, both ends included; growth compares it with a base period (year on
year, or period on period) whose time keys are lined up with the current ones.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


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


def parse_filter(text: str) -> tuple[str, str]:
    """'direction=import' as ('direction', 'import'); ValueError names what to write."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise ValueError(f"write NAME=VALUE, e.g. direction=import, not {text!r}")
    return name.strip(), value.strip()


#: what a report may cover: years from ... to ..., and at most so many years at once
FIRST_YEAR, LAST_YEAR = 1900, 2999
MAX_PERIOD_YEARS = 50


def parse_period(text: str) -> Period:
    """'2022', '2023-H1', '2023-Q2', '2023-03' or 'FROM..TO' (ISO dates) as a period, within
    the years and the length a report may cover."""
    period = _parse_period(text[:40])
    if not (period.start.year >= FIRST_YEAR and period.end.year <= LAST_YEAR):
        raise ValueError(f"a period lies within the years {FIRST_YEAR} to {LAST_YEAR}")
    if period.end.year - period.start.year >= MAX_PERIOD_YEARS:
        raise ValueError(f"a period covers at most {MAX_PERIOD_YEARS} years")
    return period


def _parse_period(text: str) -> Period:
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
