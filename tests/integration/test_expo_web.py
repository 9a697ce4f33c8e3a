"""The expo's pages on SQLite and PostgreSQL: sign-in with the participant's key, catalogue
search in three languages, suggestions with their reasons, a meeting requested and accepted
through the forms, availability given in the participant's zone, the meeting shown in that
zone with its .ics; forms without the cookie's CSRF token change nothing; strict CSP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
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
    "side": "offer", "ref": "phone-1", "hs_code": "8517.13",
    "titles": {"en": "5G smartphone", "zh": "5G智能手机", "ur": "فائیو جی اسمارٹ فون"},
    "origin": "CN", "quantity": 500, "unit": "H87",
}  # fmt: skip
WANT = PHONE | {"side": "seek", "ref": "want", "titles": {"en": "Smartphones"}}


@pytest.fixture(params=["sqlite", "postgresql"])
def expo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Expo]:
    for engine in expo_engine(request.param, tmp_path):
        built = make_expo(engine)
        grid = SlotGrid(datetime(2026, 12, 1, tzinfo=UTC), 20, 72)
        built.ctx.meetings = MeetingRules(grid, solver_seconds=10)
        yield built


@pytest.fixture
def keys(expo) -> dict[str, str]:
    api = TestClient(create_expo_app(expo.ctx))
    found = {}
    for name, token in (
        ("cn", CN.attest("91650100MA77XY1234", "Kashgar Trading", aeo=True)),
        ("pk", PK.attest("PK-9000", "Gilgit Mobiles")),
    ):
        found[name] = api.post("/participants", json={"attestation": token}).json()["api_key"]
    api.post("/listings", json=PHONE, headers={"Authorization": f"Bearer {found['cn']}"})
    api.post("/listings", json=WANT, headers={"Authorization": f"Bearer {found['pk']}"})
    run_matching(expo.ctx)
    return found


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def browser(expo: Expo, key: str | None = None, app: FastAPI | None = None) -> TestClient:
    """A browser: its own cookie jar, signed in through the form when given a key."""
    client = TestClient(app or create_expo_app(expo.ctx), base_url="http://expo.test")
    if key:
        form = client.get("/ui/sign-in")
        done = client.post("/ui/sign-in", data={"csrf": _csrf(form.text), "api_key": key})
        assert done.status_code == 200 and done.url.path == "/ui/suggestions"
    return client


def _post(client: TestClient, page: str, url: str, **data: str):
    token = _csrf(client.get(page).text)
    return client.post(url, data={"csrf": token, **data}, follow_redirects=False)


def test_visitors_search_the_catalogue_in_three_languages(expo, keys):
    visitor = browser(expo)
    page = visitor.get("/ui/catalogue", params={"q": "智能手机"})
    assert page.status_code == 200 and "5G smartphone" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text and "style=" not in page.text
    assert "phone" not in visitor.get("/ui/catalogue", params={"q": "قالین"}).text.lower()
    assert "5G" in visitor.get("/ui/catalogue", params={"hs": "8517"}).text
    _post(visitor, "/ui/catalogue", "/ui/language", language="ur", to="/ui/catalogue?q=phone")
    urdu = visitor.get("/ui/catalogue", params={"q": "phone"})
    assert 'dir="rtl"' in urdu.text and "کیٹلاگ" in urdu.text and "فائیو جی" in urdu.text
    assert visitor.get("/ui/suggestions").status_code == 401


def test_a_wrong_key_or_a_missing_csrf_token_signs_nobody_in(expo, keys):
    client = browser(expo)
    form = client.get("/ui/sign-in")
    wrong = client.post("/ui/sign-in", data={"csrf": _csrf(form.text), "api_key": "kx_nope"})
    assert wrong.status_code == 401
    forged = client.post("/ui/sign-in", data={"csrf": "forged", "api_key": keys["cn"]})
    assert forged.status_code == 403
    assert client.get("/ui/suggestions").status_code == 401


def test_from_suggestion_to_a_meeting_in_my_zone_through_the_pages(expo, keys):
    cn, pk = browser(expo, keys["cn"]), browser(expo, keys["pk"])
    page = cn.get("/ui/suggestions")
    assert "same HS 8517.13" in page.text
    sid = re.search(r"/ui/suggestions/(\d+)/answer", page.text).group(1)  # type: ignore[union-attr]
    for who in (cn, pk):
        done = _post(who, "/ui/suggestions", f"/ui/suggestions/{sid}/answer", answer="accepted")
        assert done.status_code == 303
    # no token: nothing is requested
    assert pk.post(f"/ui/suggestions/{sid}/meeting-request", data={}).status_code == 422
    asked = _post(pk, "/ui/suggestions", f"/ui/suggestions/{sid}/meeting-request")
    assert asked.status_code == 303 and asked.headers["location"] == "/ui/meetings"
    meetings = cn.get("/ui/meetings").text
    rid = re.search(r"/ui/meeting-requests/(\d+)/answer", meetings).group(1)  # type: ignore[union-attr]
    _post(cn, "/ui/meetings", f"/ui/meeting-requests/{rid}/answer", answer="accepted")
    for who, zone, start, end in (
        (cn, "Asia/Urumqi", "2026-12-01T13:00", "2026-12-01T15:00"),  # 07:00-09:00 UTC
        (pk, "Asia/Karachi", "2026-12-01T11:00", "2026-12-01T12:20"),  # 06:00-07:20 UTC
    ):
        token = _csrf(who.get("/ui/meetings").text)
        saved = who.post(
            "/ui/availability",
            data={
                "csrf": token,
                "zone": zone,
                "start": [start, "", "", ""],
                "end": [end, "", "", ""],
                "email": f"desk@{zone.split('/')[1].lower()}.example",
            },
            follow_redirects=False,
        )
        assert saved.status_code == 303
    assert len(run_schedule(expo.ctx).plan) == 1
    assert 'value="desk@urumqi.example"' in cn.get("/ui/meetings").text  # kept, shown again
    _post(cn, "/ui/meetings", "/ui/language", language="zh_Hans", to="/ui/meetings")
    mine = cn.get("/ui/meetings").text
    assert "我的会谈" in mine and "Asia/Urumqi" in mine and "Gilgit Mobiles" in mine
    # 07:00 UTC is 13:00 in Urumqi, 12:00 in Karachi
    assert "13:00" in mine and "12:00" in pk.get("/ui/meetings").text
    mid = re.search(r"/ui/meetings/(\d+)/invitation.ics", mine).group(1)  # type: ignore[union-attr]
    ics = pk.get(f"/ui/meetings/{mid}/invitation.ics")
    (event,) = Calendar.from_ical(ics.content).walk("VEVENT")
    assert event.decoded("dtstart") == datetime(2026, 12, 1, 7, tzinfo=UTC)
    assert f"/ui/meetings/{mid}/room" in str(event["location"])
    room = pk.get(f"/ui/meetings/{mid}/room")
    assert room.status_code == 200 and '<script src="/ui/static/room.js"></script>' in room.text
    assert browser(expo).get(f"/ui/meetings/{mid}/room").status_code == 401
