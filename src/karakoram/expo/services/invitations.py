"""Meeting invitations as iCalendar files (RFC 5545, the `icalendar` package): times in UTC,
which every calendar shows in its reader's zone, with the participant's zone named in the
description. The UID is stable per meeting, so importing it again updates the same event.
Downloaded, it is published (METHOD:PUBLISH); e-mailed, it is a request (METHOD:REQUEST, with
the organiser and the participant as attendee), which mail clients offer to accept."""

from __future__ import annotations

from icalendar import Calendar, Event, vCalAddress, vText

from karakoram.expo.services.meetings import MeetingView

PRODID = "-//Karakoram//expo//EN"


def invitation(
    view: MeetingView,
    host: str,
    room_url: str,
    *,
    organizer: str | None = None,
    attendee: str | None = None,
) -> bytes:
    """The .ics of one meeting, as `view`'s participant downloads it; with `organizer` and
    `attendee` (e-mail addresses), the request e-mailed to that participant."""
    m = view.meeting
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST" if attendee else "PUBLISH")
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
    if attendee:
        event.add("sequence", 0)
        event.add("status", "CONFIRMED")
        event.add("organizer", vCalAddress(f"mailto:{organizer or 'expo@' + host}"))
        guest = vCalAddress(f"mailto:{attendee}")
        guest.params["ROLE"] = vText("REQ-PARTICIPANT")
        guest.params["PARTSTAT"] = vText("NEEDS-ACTION")
        guest.params["RSVP"] = vText("TRUE")
        event.add("attendee", guest)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
