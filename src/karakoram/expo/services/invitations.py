"""Meeting invitations as iCalendar files (RFC 5545, the `icalendar` package): times in UTC,
which every calendar shows in its reader's zone, with the participant's zone named in the
description. The UID is stable per meeting, so importing it again updates the same event."""

from __future__ import annotations

from icalendar import Calendar, Event

from karakoram.expo.services.meetings import MeetingView

PRODID = "-//Karakoram//expo//EN"


def invitation(view: MeetingView, host: str, room_url: str) -> bytes:
    """The .ics of one meeting, as `view`'s participant downloads it."""
    m = view.meeting
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"expo-meeting-{m.id}@{host}")
    event.add("dtstamp", m.starts_at)
    event.add("dtstart", m.starts_at)
    event.add("dtend", m.ends_at)
    event.add("summary", f"Expo meeting with {view.counterpart.name}")
    event.add(
        "description",
        f"{view.counterpart.name} ({view.counterpart.country}). Your time "
        f"({view.zone}): {view.starts:%Y-%m-%d %H:%M}–{view.ends:%H:%M}. Room: {room_url}",
    )
    event.add("location", room_url)
    event.add("url", room_url)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
