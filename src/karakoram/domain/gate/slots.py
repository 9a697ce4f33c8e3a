"""A crossing's calendar as data, and the slots it opens (docs/gate.md, "Crossing slots").

A calendar says on which weekdays and hours the crossing works, how long a slot is, how many
trucks one slot takes in each direction, and when it is shut: every year (the winter closure),
on dated closures, and on either side's public holidays (a holiday closes that side's gate, so
nothing crosses). It ships as a TOML file per crossing (`karakoram/data/crossings/`), read and
checked here; everything below is pure: which slots a day has, what is free, what comes next.
Times are the crossing's own local time (its `utc_offset` says which).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from karakoram.domain.errors import KarakoramError

#: how far ahead the next free slots are looked for: past a whole winter closure
HORIZON_DAYS = 400
_FIELDS = (
    "code",
    "name",
    "utc_offset",
    "open_weekdays",
    "opens",
    "closes",
    "slot_minutes",
    "capacity",
)


class CalendarError(KarakoramError):
    """A crossing's calendar file that cannot be used; the detail names the field."""

    title = "Invalid crossing calendar"


@dataclass(frozen=True, slots=True)
class Closure:
    """Closed from `start` to `end`, both included; `side` a country code, or None: both."""

    start: date
    end: date
    reason: str
    side: str | None = None


@dataclass(frozen=True, slots=True)
class Seasonal:
    """Closed every year from (month, day) to (month, day), both included; may span New Year."""

    start: tuple[int, int]
    end: tuple[int, int]
    reason: str

    def covers(self, day: date) -> bool:
        md = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= md <= self.end
        return md >= self.start or md <= self.end


@dataclass(frozen=True, slots=True)
class Slot:
    """One slot of a day: its start, its capacity (per direction) and how many are booked."""

    day: date
    start: time
    capacity: int
    booked: int = 0

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "time": self.start.strftime("%H:%M"),
            "capacity": self.capacity,
            "free": self.free,
        }


#: bookings already made, by (day, slot start)
Booked = Mapping[tuple[date, time], int]


@dataclass(frozen=True, slots=True)
class CrossingCalendar:
    code: str
    name: str
    utc_offset: str
    weekdays: frozenset[int]  # ISO: Monday 1 ... Sunday 7
    opens: time
    closes: time
    slot_minutes: int
    capacity: int
    seasonal: tuple[Seasonal, ...] = ()
    closures: tuple[Closure, ...] = ()

    def closed_because(self, day: date, side: str | None = None) -> str | None:
        """Why nothing crosses on `day` (None: open). `side` limits one-sided closures
        (holidays) to that country's; by default either side's closes the crossing."""
        if day.isoweekday() not in self.weekdays:
            return "not a working day of the crossing"
        for season in self.seasonal:
            if season.covers(day):
                return season.reason
        for c in self.closures:
            if c.start <= day <= c.end and (c.side is None or side in (None, c.side)):
                return c.reason if c.side is None else f"{c.reason} ({c.side})"
        return None

    def slot_starts(self, day: date) -> tuple[time, ...]:
        """The start of every slot on `day`: none on a closed day."""
        if self.closed_because(day) is not None:
            return ()
        starts: list[time] = []
        at = datetime.combine(day, self.opens)
        end = datetime.combine(day, self.closes)
        step = timedelta(minutes=self.slot_minutes)
        while at + step <= end:
            starts.append(at.time())
            at += step
        return tuple(starts)

    def slots(self, day: date, booked: Booked) -> list[Slot]:
        return [Slot(day, t, self.capacity, booked.get((day, t), 0)) for t in self.slot_starts(day)]

    @property
    def zone(self) -> timezone:
        """The crossing's own time (its fixed offset from UTC)."""
        sign = -1 if self.utc_offset.startswith("-") else 1
        hours, minutes = self.utc_offset.lstrip("+-").split(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))

    def local(self, moment: datetime) -> tuple[date, time]:
        """`moment` (aware) as the crossing's own day and time."""
        there = moment.astimezone(self.zone)
        return there.date(), there.time().replace(tzinfo=None)

    def utc(self, day: date, start: time) -> datetime:
        """A day and time of the crossing's own, in UTC."""
        return datetime.combine(day, start, self.zone).astimezone(UTC)

    def daily_capacity(self, day: date) -> int:
        return self.capacity * len(self.slot_starts(day))


def days(first: date, count: int) -> Iterator[date]:
    for n in range(count):
        yield first + timedelta(days=n)


def free_slots(calendar: CrossingCalendar, first: date, count: int, booked: Booked) -> list[Slot]:
    """Every slot with room from `first` for `count` days, in order."""
    return [s for d in days(first, count) for s in calendar.slots(d, booked) if s.free > 0]


def next_free(
    calendar: CrossingCalendar, after: date, start: time, booked: Booked, limit: int = 3
) -> list[Slot]:
    """The first `limit` slots with room from (`after`, `start`) on, within `HORIZON_DAYS`."""
    found: list[Slot] = []
    for d in days(after, HORIZON_DAYS):
        for s in calendar.slots(d, booked):
            if s.free > 0 and (d > after or s.start >= start):
                found.append(s)
                if len(found) == limit:
                    return found
    return found


def parse_calendar(text: str) -> CrossingCalendar:
    """A calendar from its TOML; `CalendarError` names what is missing or wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CalendarError(f"Not TOML: {e}.") from e
    missing = [f for f in _FIELDS if f not in data]
    if missing:
        raise CalendarError("A crossing calendar needs " + ", ".join(missing) + ".")
    if not re.fullmatch(r"[+-](0\d|1[0-4]):[0-5]\d", str(data["utc_offset"])):
        raise CalendarError("utc_offset is the crossing's offset from UTC, e.g. +08:00.")
    weekdays = frozenset(_each(data["open_weekdays"], "open_weekdays", _weekday))
    opens, closes = _clock(data["opens"], "opens"), _clock(data["closes"], "closes")
    minutes, capacity = (
        _positive(data["slot_minutes"], "slot_minutes"),
        _positive(data["capacity"], "capacity"),
    )
    if closes <= opens or datetime.combine(date.min, opens) + timedelta(
        minutes=minutes
    ) > datetime.combine(date.min, closes):
        raise CalendarError("closes must leave room for one slot after opens.")
    seasonal = tuple(
        Seasonal(_month_day(s.get("from"), "from"), _month_day(s.get("to"), "to"), _reason(s))
        for s in _tables(data, "seasonal_closures")
    )
    closures = [
        Closure(_date(c.get("from"), "from"), _date(c.get("to"), "to"), _reason(c))
        for c in _tables(data, "closures")
    ]
    holidays = [
        Closure(d, d, str(h.get("name") or "public holiday"), _side(h.get("side")))
        for h in _tables(data, "holidays")
        for d in (_date(h.get("date"), "date"),)
    ]
    if any(c.end < c.start for c in closures):
        raise CalendarError("A closure ends before it starts.")
    return CrossingCalendar(
        str(data["code"]),
        str(data["name"]),
        str(data["utc_offset"]),
        weekdays,
        opens,
        closes,
        minutes,
        capacity,
        seasonal,
        tuple(closures + holidays),
    )


def _tables(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    found = data.get(key, [])
    if not isinstance(found, list) or not all(isinstance(t, dict) for t in found):
        raise CalendarError(f"{key} is a list of tables ([[{key}]]).")
    return found


def _each(value: Any, name: str, read: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise CalendarError(f"{name} is a non-empty list.")
    return [read(v) for v in value]


def _weekday(value: Any) -> int:
    if type(value) is not int or not 1 <= value <= 7:
        raise CalendarError("open_weekdays are 1 (Monday) to 7 (Sunday).")
    return value


def _clock(value: Any, name: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError as e:
        raise CalendarError(f"{name} is a time such as 09:00.") from e


def _positive(value: Any, name: str) -> int:
    if type(value) is not int or value < 1:
        raise CalendarError(f"{name} is a whole number above zero.")
    return value


def _date(value: Any, name: str) -> date:
    if isinstance(value, date):  # TOML's own dates
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as e:
        raise CalendarError(f"{name} is a date such as 2026-10-01.") from e


def _month_day(value: Any, name: str) -> tuple[int, int]:
    try:
        month, day = (int(p) for p in str(value).split("-"))
        date(2024, month, day)  # a leap year: 02-29 is a day
    except ValueError as e:
        raise CalendarError(f"{name} of a seasonal closure is MM-DD, e.g. 12-01.") from e
    return month, day


def _reason(table: Mapping[str, Any]) -> str:
    reason = table.get("reason")
    if not isinstance(reason, str) or not reason:
        raise CalendarError("Each closure says why (reason).")
    return reason


def _side(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 2 or not value.isupper():
        raise CalendarError("A holiday's side is a country code, e.g. CN or PK.")
    return value
