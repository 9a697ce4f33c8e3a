"""The simulator's trucks at the crossing: the node's own calendar, and a slot booked for each
truck on the exporting node, as its carrier would (docs/gate.md, "Crossing slots").

`NodeCalendar` reads the calendar the nodes ship (`karakoram/data/crossings/khunjerab.toml`)
and answers what the simulation asks of a calendar (open days, the next opening, a day's
capacity), instead of a calendar of the simulator's own. `SlotBooker` lodges each truck's
outbound cargo report and books the first free slot from the time the truck reaches the
border, through the API; the truck arrives at its slot. It counts trucks per day against the
day's capacity for the report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from threading import Lock

from rich.table import Table

from karakoram.data import crossing_calendar
from karakoram.demo.client import Side
from karakoram.demo.model import Consignment
from karakoram.domain.gate.slots import CrossingCalendar, parse_calendar

CROSSING = "KHUNJERAB"
#: the carrier user the demo nodes make, and the party it acts for (demo/nodes.py)
CARRIER = "carrier"


def carrier_party(country: str) -> str:
    return f"{country}-HAUL-0001"


@dataclass(frozen=True)
class NodeCalendar:
    """The nodes' calendar of the crossing, in UTC, as the simulation reads a calendar."""

    crossing: CrossingCalendar

    @classmethod
    def shipped(cls, winter_closed: bool = True) -> NodeCalendar:
        found = parse_calendar(crossing_calendar(CROSSING).read_text(encoding="utf-8"))
        return cls(found if winter_closed else replace(found, seasonal=()))

    @property
    def daily_capacity(self) -> int:
        """Trucks a working day takes in one direction (every working day has the same slots)."""
        c = self.crossing
        return c.capacity * len(c.slot_starts(_a_working_day(c)))

    def is_open(self, day: date) -> bool:
        return self.crossing.closed_because(day) is None

    def _starts(self, day: date) -> list[datetime]:
        return [self.crossing.utc(day, t) for t in self.crossing.slot_starts(day)]

    def next_open(self, at: datetime) -> datetime:
        """`at` if a slot is running then, else the start of the next slot."""
        step = timedelta(minutes=self.crossing.slot_minutes)
        day = self.crossing.local(at)[0] - timedelta(days=1)
        for _ in range(400):
            for start in self._starts(day):
                if start <= at < start + step:
                    return at
                if start > at:
                    return start
            day += timedelta(days=1)
        raise ValueError("The crossing never opens in this calendar.")

    def slot_time(self, day: str, start: str) -> datetime:
        return self.crossing.utc(date.fromisoformat(day), time.fromisoformat(start))


def _a_working_day(c: CrossingCalendar) -> date:
    day = date(2001, 1, 1)
    while c.closed_because(day) is not None or not c.slot_starts(day):
        day += timedelta(days=1)
    return day


@dataclass
class SlotBooker:
    """Books a slot for each truck on its exporting node; counts trucks per day."""

    calendar: NodeCalendar
    booked: Counter[tuple[str, date]] = field(default_factory=Counter)
    unbooked: int = 0
    _lock: Lock = field(default_factory=Lock)

    def book(self, side: Side, c: Consignment, at: datetime) -> datetime:
        """The time the truck arrives at the exporting side's post: the start of the slot
        booked for it from `at` on (or `at` itself when no slot could be booked)."""
        report = side.call(CARRIER, "POST", "/cargo-reports", _cargo_report(c))
        if report.status_code not in (200, 201):
            return self._without(at)
        local = self.calendar.crossing.local(at)
        free = side.call(CARRIER, "GET", f"/slots/free?crossing={CROSSING}&from={local[0]}&days=14")
        for slot in free.json() if free.status_code == 200 else []:
            body = {"cargo_report": report.json()["id"], "date": slot["date"], "time": slot["time"]}
            answer = side.call(CARRIER, "POST", "/slots/bookings", body)
            if answer.status_code in (200, 201):
                with self._lock:
                    self.booked[(c.origin, date.fromisoformat(slot["date"]))] += 1
                return max(at, self.calendar.slot_time(slot["date"], slot["time"]))
            if answer.status_code != 409:  # taken meanwhile: try the next one
                break
        return self._without(at)

    def _without(self, at: datetime) -> datetime:
        with self._lock:
            self.unbooked += 1
        return at

    def per_day(self) -> list[tuple[date, int, int, int]]:
        """(day, trucks from CN, trucks from PK, capacity of each direction), by day."""
        days = sorted({d for _, d in self.booked})
        return [
            (d, self.booked[("CN", d)], self.booked[("PK", d)], self.calendar.daily_capacity)
            for d in days
        ]


def _cargo_report(c: Consignment) -> dict[str, object]:
    gross = sum((i.gross_kg for i in c.items), start=c.items[0].gross_kg * 0)
    return {
        "reference": f"CR-{c.ucr}"[:35],
        "direction": "outbound",
        "crossing": CROSSING,
        "vehicle": {"registration": f"{c.origin}-{c.seq:06d}", "nationality": c.origin},
        "driver": {
            "name": f"Driver {c.seq}",
            "passport_number": f"P{c.seq:08d}",
            "nationality": c.origin,
        },
        "consignments": [{"ucr": c.ucr, "packages": len(c.items), "gross_mass": str(gross)}],
    }


def slots_table(booker: SlotBooker) -> Table:
    """Trucks per day against the crossing's capacity, each way, from the booked slots."""
    table = Table(title=f"Trucks per day at {CROSSING}, in booked slots, against capacity")
    for name in ("day", "CN → PK", "PK → CN", "capacity each way", "busiest way"):
        table.add_column(name, justify="left" if name == "day" else "right")
    for day, cn, pk, capacity in booker.per_day():
        share = f"{max(cn, pk) / capacity:.0%}" if capacity else "—"
        table.add_row(day.isoformat(), str(cn), str(pk), str(capacity), share)
    if booker.unbooked:
        table.caption = f"{booker.unbooked} trucks crossed without a booked slot"
    return table
