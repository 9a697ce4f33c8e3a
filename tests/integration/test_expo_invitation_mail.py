"""Meeting invitations by e-mail, on SQLite and PostgreSQL: the scheduler queues one per
participant that gave an address, and the expo hands each to a real SMTP server (aiosmtpd, over
STARTTLS) with the meeting's .ics attached as a request; a failure is retried from the outbox,
nothing is sent twice, and nothing is queued for a participant without an address."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from fastapi.testclient import TestClient
from icalendar import Calendar

from karakoram.adapters.notify.sender import SmtpSettings
from karakoram.expo.adapters.mailer import SmtpInvitationMailer
from karakoram.expo.bootstrap import Expo
from karakoram.expo.entrypoints.api import create_expo_app
from karakoram.expo.services.context import MeetingRules
from karakoram.expo.services.invitation_mail import MAX_ATTEMPTS, mail_loop, send_invitations
from karakoram.expo.services.meetings import run_schedule
from tests.builders import free_port
from tests.expo_support import expo_engine, make_expo
from tests.integration.test_expo_meetings import GRID, _accept, _day
from tests.integration.test_expo_meetings import match as match
from tests.notify_receivers import make_ca, smtp_server

URUMQI = {
    "zone": "Asia/Urumqi",
    "windows": [{"start": _day(13), "end": _day(15)}],
    "email": "sales@kashgar-trading.example",
}
KARACHI = {
    "zone": "Asia/Karachi",
    "windows": [{"start": _day(11), "end": _day(13)}],
    "email": "buyer@gilgit-mobiles.example",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def expo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Expo]:
    for engine in expo_engine(request.param, tmp_path):
        built = make_expo(engine)
        built.ctx.meetings = MeetingRules(GRID, buffer=0, solver_seconds=10)
        built.ctx.public_url = "https://expo.example.org"
        yield built


@pytest.fixture
def client(expo: Expo) -> TestClient:
    return TestClient(create_expo_app(expo.ctx))


@pytest.fixture
def ca(tmp_path: Path) -> tuple[trustme.CA, Path]:
    return make_ca(tmp_path)


def _mailer(host: str, port: int, bundle: Path | None) -> SmtpInvitationMailer:
    return SmtpInvitationMailer(
        SmtpSettings(host, port, "meetings@expo.example.org", bundle is not None, ca_bundle=bundle)
    )


def _meeting(expo, client, match, karachi=KARACHI) -> dict:
    sid, cn, pk = match
    assert client.put("/availability", json=URUMQI, headers=cn).status_code == 200
    assert client.put("/availability", json=karachi, headers=pk).status_code == 200
    _accept(client, sid, cn, pk)
    rid = client.post(f"/suggestions/{sid}/meeting-request", headers=pk).json()["id"]
    answer = {"answer": "accepted"}
    assert client.post(f"/meeting-requests/{rid}/answer", json=answer, headers=cn).is_success
    assert len(run_schedule(expo.ctx).plan) == 1
    (mine,) = client.get("/meetings", headers=cn).json()
    return dict(mine)


def test_each_participant_gets_the_invitation_by_email_with_the_time_in_utc(
    expo, client, match, ca
):
    meeting = _meeting(expo, client, match)
    assert client.get("/availability", headers=match[1]).json()["email"] == URUMQI["email"]
    with smtp_server(ca[0]) as smtp:
        expo.ctx.mailer = _mailer(smtp.host, smtp.port, ca[1])
        assert send_invitations(expo.ctx).sent == 2
        arrived = {tuple(to): message for _, to, message in (smtp.next(), smtp.next())}
        assert send_invitations(expo.ctx).sent == 0  # never twice
    assert set(arrived) == {(URUMQI["email"],), (KARACHI["email"],)}
    starts = datetime.fromisoformat(meeting["starts_at"])
    buyer = arrived[(KARACHI["email"],)]
    assert buyer["From"] == "meetings@expo.example.org"
    assert "Kashgar Trading" in buyer["Subject"] and "Asia/Karachi" in buyer["Subject"]
    (part,) = [p for p in buyer.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    assert str(calendar["method"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == starts and event.decoded("dtstart").tzinfo is not None
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=20)
    assert str(event["attendee"]) == f"mailto:{KARACHI['email']}"
    assert str(event["location"]) == f"https://expo.example.org/ui/meetings/{meeting['id']}/room"
    text = next(p for p in buyer.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    assert f"UTC: {starts:%Y-%m-%d %H:%M}" in body
    assert f"({'Asia/Karachi'}): {starts + timedelta(hours=5):%Y-%m-%d %H:%M}" in body


def test_a_failed_delivery_stays_in_the_outbox_and_goes_when_the_server_answers(
    expo, client, match
):
    _meeting(expo, client, match)
    expo.ctx.mailer = _mailer("127.0.0.1", free_port(), None)  # nothing listens there
    failed = send_invitations(expo.ctx)
    assert (failed.sent, failed.retried) == (0, 2)
    with expo.ctx.uow() as uow:
        mails = uow.due_invitation_mails(datetime.now(UTC) + timedelta(hours=1), 10)
    assert [m.attempts for m in mails] == [1, 1]
    assert all(m.last_error and "Connection" in m.last_error for m in mails)
    assert send_invitations(expo.ctx).sent == 0  # not due yet: backoff
    later = datetime.now(UTC) + timedelta(hours=2)
    expo.ctx.clock = lambda: later
    with smtp_server() as smtp:
        expo.ctx.mailer = _mailer(smtp.host, smtp.port, None)
        assert send_invitations(expo.ctx).sent == 2
        arrived = {to for _ in range(2) for to in smtp.next()[1]}
    assert arrived == {URUMQI["email"], KARACHI["email"]}
    assert MAX_ATTEMPTS > 1


def test_no_address_no_mail_and_a_bad_address_is_refused(expo, client, match, ca):
    _, cn, _ = match
    bad = client.put("/availability", json={**URUMQI, "email": "not an address"}, headers=cn)
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "invalid_email"
    assert bad.json()["errors"][0]["pointer"] == "/email"
    _meeting(expo, client, match, karachi={k: v for k, v in KARACHI.items() if k != "email"})
    with smtp_server(ca[0]) as smtp:
        expo.ctx.mailer = _mailer(smtp.host, smtp.port, ca[1])
        assert send_invitations(expo.ctx).sent == 1
        assert smtp.next()[1] == [URUMQI["email"]]


def test_the_serving_expos_loop_sends_what_is_due_until_stopped(expo, client, match):
    _meeting(expo, client, match)
    stop = threading.Event()

    class Recording:
        sender = "meetings@expo.example.org"

        def __init__(self) -> None:
            self.sent: list[str] = []

        def send(self, to: str, subject: str, text: str, ics: bytes) -> str | None:
            self.sent.append(to)
            if len(self.sent) == 2:
                stop.set()
            return None

    mailer = Recording()
    expo.ctx.mailer = mailer
    worker = threading.Thread(target=mail_loop, args=(expo.ctx, 0.01, stop), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert sorted(mailer.sent) == sorted([URUMQI["email"], KARACHI["email"]])
