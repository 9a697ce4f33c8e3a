"""The simulator reads the nodes' own calendar of the crossing (demo/slots.py), in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from karakoram.demo.slots import NodeCalendar


def test_the_simulation_opens_and_closes_the_crossing_as_the_nodes_do():
    calendar = NodeCalendar.shipped()
    assert calendar.daily_capacity == 56
    assert calendar.is_open(date(2022, 4, 4)) and not calendar.is_open(date(2022, 4, 9))
    # 09:00 to 17:00 at the crossing (UTC+8) is 01:00 to 09:00 UTC
    monday = datetime(2022, 4, 4, 2, 30, tzinfo=UTC)
    assert calendar.next_open(monday) == monday
    assert calendar.next_open(datetime(2022, 4, 4, 12, tzinfo=UTC)) == datetime(
        2022, 4, 5, 1, tzinfo=UTC
    )
    assert calendar.next_open(datetime(2022, 4, 8, 12, tzinfo=UTC)) == datetime(
        2022, 4, 11, 1, tzinfo=UTC
    )  # past the weekend
    assert calendar.slot_time("2022-04-05", "10:00") == datetime(2022, 4, 5, 2, tzinfo=UTC)


def test_the_winter_closure_holds_unless_the_demo_keeps_the_pass_open():
    december = datetime(2022, 12, 5, 3, tzinfo=UTC)
    assert NodeCalendar.shipped().next_open(december) == datetime(2023, 4, 3, 1, tzinfo=UTC)
    assert NodeCalendar.shipped(winter_closed=False).next_open(december) == december
