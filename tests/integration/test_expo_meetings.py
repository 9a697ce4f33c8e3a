"""Meetings on SQLite and PostgreSQL, through the expo's API: availability in each side's own
zone, a meeting request on an accepted match, the scheduler's run, the meeting shown in each
viewer's zone, its iCalendar invitation and its minutes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from karakoram.expo.bootstrap import Expo
from karakoram.expo.domain.schedule import SlotGrid
from karakoram.expo.entrypoints.api import create_expo_app
from karakoram.expo.services.context import MeetingRules
from karakoram.expo.services.matching import run_matching
from karakoram.expo.services.meetings import run_schedule
from tests.expo_support import CN, PK, expo_engine, make_expo

PHONE = {
    "side": "offer", "ref": "phone-1", "hs_code": "8517.13", "titles": {"en": "5G smartphone"},
    "origin": "CN", "quantity": 500, "unit": "H87",
}  # fmt: skip
WANT = {
    "side": "seek", "ref": "need-phones", "hs_code": "851713", "titles": {"en": "Smartphones"},
    "origin": "CN", "quantity": 1000, "unit": "H87",
}  # fmt: skip
GRID = SlotGrid(datetime(2026, 12, 1, 0, 0, tzinfo=UTC), 20, 2 * 72)


@pytest.fixture(params=["sqlite", "postgresql"])
def expo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Expo]:
    for engine in expo_engine(request.param, tmp_path):
        built = make_expo(engine)
        built.ctx.meetings = MeetingRules(GRID, buffer=0, solver_seconds=10)
        yield built


@pytest.fixture
def client(expo: Expo) -> TestClient:
    return TestClient(create_expo_app(expo.ctx))


def _join(client: TestClient, token: str) -> dict[str, str]:
    answer = client.post("/participants", json={"attestation": token})
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['api_key']}"}


@pytest.fixture
def match(expo, client) -> tuple[int, dict[str, str], dict[str, str]]:
    """An exhibitor in Urumqi and a buyer in Karachi with one suggestion between them."""
    cn = _join(client, CN.attest("91650100MA77XY1234", "Kashgar Trading", aeo=True))
    pk = _join(client, PK.attest("PK-9000", "Gilgit Mobiles"))
    assert client.post("/listings", json=PHONE, headers=cn).status_code == 201
    assert client.post("/listings", json=WANT, headers=pk).status_code == 201
    assert run_matching(expo.ctx) == 1
    (s,) = client.get("/suggestions", headers=cn).json()
    return s["id"], cn, pk


def _day(hour: int, minute: int = 0, day: int = 1) -> str:
    return f"2026-12-0{day}T{hour:02d}:{minute:02d}:00"


def _accept(client, sid, *who):
    for h in who:
        r = client.post(f"/suggestions/{sid}/answer", json={"answer": "accepted"}, headers=h)
        assert r.status_code == 200


def test_a_meeting_is_scheduled_when_both_are_free_and_shown_in_each_zone(expo, client, match):
    sid, cn, pk = match
    urumqi = {"zone": "Asia/Urumqi", "windows": [{"start": _day(13), "end": _day(15)}]}
    karachi = {"zone": "Asia/Karachi", "windows": [{"start": _day(11), "end": _day(13)}]}
    got = client.put("/availability", json=urumqi, headers=cn)
    assert got.status_code == 200, got.text
    assert got.json()["windows"][0]["start"].startswith("2026-12-01T07:00:00")
    assert client.put("/availability", json=karachi, headers=pk).status_code == 200
    _accept(client, sid, cn, pk)
    asked = client.post(f"/suggestions/{sid}/meeting-request", headers=pk)
    assert asked.status_code == 201 and asked.json()["status"] == "requested"
    again = client.post(f"/suggestions/{sid}/meeting-request", headers=pk)
    assert again.status_code == 200 and again.json()["id"] == asked.json()["id"]
    rid = asked.json()["id"]
    assert (
        client.post(
            f"/meeting-requests/{rid}/answer", json={"answer": "accepted"}, headers=pk
        ).status_code
        == 409
    )
    ok = client.post(f"/meeting-requests/{rid}/answer", json={"answer": "accepted"}, headers=cn)
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"

    solved = run_schedule(expo.ctx)
    assert len(solved.plan) == 1 and solved.status == "optimal"
    assert len(run_schedule(expo.ctx).plan) == 0  # scheduled once only

    (mine,) = client.get("/meetings", headers=cn).json()
    (theirs,) = client.get("/meetings", headers=pk).json()
    assert mine["starts_at"] == theirs["starts_at"]
    starts = datetime.fromisoformat(mine["starts_at"])
    # Urumqi 13:00-15:00 is 07:00-09:00 UTC; Karachi 11:00-13:00 is 06:00-08:00 UTC
    assert datetime(2026, 12, 1, 7, tzinfo=UTC) <= starts < datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert mine["zone"] == "Asia/Urumqi" and mine["local_starts_at"].endswith("+06:00")
    assert theirs["zone"] == "Asia/Karachi" and theirs["local_starts_at"].endswith("+05:00")
    assert mine["counterpart_name"] == "Gilgit Mobiles"
    kathmandu = client.get("/meetings", params={"zone": "Asia/Kathmandu"}, headers=cn).json()
    assert kathmandu[0]["local_starts_at"].endswith("+05:45")
    bad_zone = client.get("/meetings", params={"zone": "Mars/Olympus"}, headers=cn)
    assert bad_zone.status_code == 422 and bad_zone.json()["errors"][0]["code"] == "unknown_zone"

    ics = client.get(f"/meetings/{mine['id']}/invitation.ics", headers=pk)
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(ics.content).walk("VEVENT")
    assert event.decoded("dtstart") == starts
    assert "Kashgar Trading" in str(event["summary"])
    assert client.get(f"/meetings/{mine['id']}/invitation.ics", headers=cn).status_code == 200

    kept = client.put(
        f"/meetings/{mine['id']}/minutes", json={"minutes": "Price agreed: 118 USD"}, headers=pk
    )
    assert kept.status_code == 200
    assert client.get("/meetings", headers=cn).json()[0]["minutes"] == "Price agreed: 118 USD"


def test_no_meeting_without_a_common_window(expo, client, match):
    sid, cn, pk = match
    shanghai = {"zone": "Asia/Shanghai", "windows": [{"start": _day(9), "end": _day(11)}]}
    colombo = {"zone": "Asia/Colombo", "windows": [{"start": _day(9), "end": _day(11)}]}
    client.put("/availability", json=shanghai, headers=cn)
    client.put("/availability", json=colombo, headers=pk)
    _accept(client, sid, cn, pk)
    rid = client.post(f"/suggestions/{sid}/meeting-request", headers=cn).json()["id"]
    client.post(f"/meeting-requests/{rid}/answer", json={"answer": "accepted"}, headers=pk)
    assert run_schedule(expo.ctx).plan == {}
    assert client.get("/meetings", headers=cn).json() == []


def test_a_meeting_needs_an_accepted_match_and_only_its_members(client, match):
    sid, cn, _ = match
    refused = client.post(f"/suggestions/{sid}/meeting-request", headers=cn)
    assert refused.status_code == 409
    stranger = _join(client, PK.attest("PK-1", "Stranger"))
    assert client.post(f"/suggestions/{sid}/meeting-request", headers=stranger).status_code == 404
    assert client.get("/meetings/1/invitation.ics", headers=stranger).status_code == 404


def test_bad_availability_lists_its_problems_and_keeps_the_old(client, match):
    _, cn, _ = match
    good = {"zone": "Asia/Dhaka", "windows": [{"start": _day(9), "end": _day(12)}]}
    assert client.put("/availability", json=good, headers=cn).status_code == 200
    backwards = {"start": _day(12), "end": _day(9)}
    with_offset = {"start": _day(9) + "+05:00", "end": _day(10)}
    bad = {"zone": "Asia/Dhaka", "windows": [backwards, with_offset]}
    answer = client.put("/availability", json=bad, headers=cn)
    assert answer.status_code == 422
    assert {(e["code"], e["pointer"]) for e in answer.json()["errors"]} == {
        ("invalid_window", "/windows/0"), ("invalid_window", "/windows/1"),
    }  # fmt: skip
    wrong_zone = client.put("/availability", json=good | {"zone": "Asia/Atlantis"}, headers=cn)
    assert wrong_zone.json()["errors"] == [
        {
            "code": "unknown_zone",
            "pointer": "/zone",
            "message": "An IANA time zone, e.g. Asia/Karachi.",
        }
    ]
    assert client.get("/availability", headers=cn).json()["zone"] == "Asia/Dhaka"
