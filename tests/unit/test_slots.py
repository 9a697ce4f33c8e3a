"""The crossing's calendar as data (domain/gate/slots.py): closed days, the winter closure,
holidays on either side, capacity and the next free slots."""

from __future__ import annotations

from datetime import date, time

import pytest

from karakoram.data import crossing_calendar
from karakoram.domain.gate.slots import (
    CalendarError,
    free_slots,
    next_free,
    parse_calendar,
)

KHUNJERAB = parse_calendar(crossing_calendar("KHUNJERAB").read_text(encoding="utf-8"))
MONDAY = date(2026, 6, 1)

SMALL = """
code = "X"
name = "Test crossing"
utc_offset = "+05:00"
open_weekdays = [1, 2, 3, 4, 5, 6]
opens = "08:00"
closes = "11:00"
slot_minutes = 60
capacity = 2

[[seasonal_closures]]
from = "12-20"
to = "01-10"
reason = "snow"

[[holidays]]
date = "2026-06-03"
side = "PK"
name = "a holiday"
"""


def test_the_shipped_calendar_opens_weekdays_in_eight_slots_of_seven_trucks():
    starts = KHUNJERAB.slot_starts(MONDAY)
    assert starts[0] == time(9, 0) and starts[-1] == time(16, 0) and len(starts) == 8
    assert KHUNJERAB.daily_capacity(MONDAY) == 56  # about the 50 a day the pass handles
    assert KHUNJERAB.closed_because(date(2026, 6, 6)) == "not a working day of the crossing"


@pytest.mark.parametrize("day", [date(2026, 12, 1), date(2027, 1, 15), date(2027, 3, 31)])
def test_the_winter_closure_shuts_the_pass_every_year_across_new_year(day):
    assert KHUNJERAB.closed_because(day) == "winter closure"
    assert KHUNJERAB.slot_starts(day) == ()


def test_either_sides_holiday_closes_the_crossing_and_says_whose():
    assert KHUNJERAB.closed_because(date(2026, 10, 1)) == "National Day (CN)"
    assert KHUNJERAB.closed_because(date(2026, 8, 14)) == "Independence Day (PK)"
    assert KHUNJERAB.closed_because(date(2026, 8, 14), side="CN") is None
    assert KHUNJERAB.closed_because(date(2026, 6, 15)) == "road works on the Karakoram Highway"
    assert KHUNJERAB.closed_because(date(2026, 11, 30)) is None  # the last open day


def test_free_slots_leave_out_full_ones_and_closed_days():
    calendar = parse_calendar(SMALL)
    booked = {(MONDAY, time(8, 0)): 2, (MONDAY, time(9, 0)): 1}
    found = free_slots(calendar, MONDAY, 3, booked)  # Monday, Tuesday, Wednesday (holiday)
    assert [(s.day, s.start, s.free) for s in found] == [
        (MONDAY, time(9, 0), 1),
        (MONDAY, time(10, 0), 2),
        (date(2026, 6, 2), time(8, 0), 2),
        (date(2026, 6, 2), time(9, 0), 2),
        (date(2026, 6, 2), time(10, 0), 2),
    ]


def test_next_free_slots_skip_what_is_full_and_the_winter():
    calendar = parse_calendar(SMALL)
    friday = date(2026, 12, 18)
    booked = {(friday, time(9, 0)): 2, (friday, time(10, 0)): 2}
    found = next_free(calendar, friday, time(9, 0), booked, limit=3)
    assert [(s.day, s.start) for s in found] == [
        (date(2026, 12, 19), time(8, 0)),  # Saturday is a working day here
        (date(2026, 12, 19), time(9, 0)),
        (date(2026, 12, 19), time(10, 0)),
    ]
    after_snow = next_free(calendar, date(2026, 12, 20), time(8, 0), {}, limit=1)
    assert [(s.day, s.start) for s in after_snow] == [(date(2027, 1, 11), time(8, 0))]
    winter = next_free(KHUNJERAB, date(2026, 11, 30), time(16, 30), {}, limit=1)
    assert [(s.day, s.start) for s in winter] == [(date(2027, 4, 1), time(9, 0))]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("capacity = 2", "capacity = 0"), "capacity"),
        (('opens = "08:00"', 'opens = "8 o\'clock"'), "opens"),
        (('closes = "11:00"', 'closes = "08:30"'), "room for one slot"),
        (("open_weekdays = [1, 2, 3, 4, 5, 6]", "open_weekdays = [0]"), "open_weekdays"),
        (('from = "12-20"', 'from = "13-20"'), "MM-DD"),
        (('side = "PK"', 'side = "Pakistan"'), "country code"),
        (('code = "X"', ""), "needs code"),
    ],
)
def test_a_wrong_calendar_is_refused_naming_the_field(change, message):
    with pytest.raises(CalendarError) as refused:
        parse_calendar(SMALL.replace(*change))
    assert message in refused.value.detail


def test_a_node_may_keep_its_own_calendar_and_a_broken_one_stops_it(tmp_path):
    from karakoram.config import ConfigError, load_settings

    own = tmp_path / "khunjerab.toml"
    own.write_text(SMALL.replace('code = "X"', 'code = "KHUNJERAB"'), encoding="utf-8")
    crossing = {"code": "KHUNJERAB", "name": "Khunjerab", "office": "CNKJB"}
    shipped = load_settings(crossings=[crossing]).calendars()
    assert shipped["KHUNJERAB"].capacity == 7
    mine = load_settings(crossings=[{**crossing, "calendar": str(own)}]).calendars()
    assert mine["KHUNJERAB"].capacity == 2
    assert load_settings(crossings=[{**crossing, "code": "NOWHERE"}]).calendars() == {}
    own.write_text(SMALL.replace("capacity = 2", "capacity = -1"), encoding="utf-8")
    with pytest.raises(ConfigError, match="capacity"):
        load_settings(crossings=[{**crossing, "calendar": str(own)}]).calendars()
