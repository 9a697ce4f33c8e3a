"""The organiser's view on SQLite and PostgreSQL: two meetings, one whose room a participant
really joined (through the room's WebSocket) and one nobody joined; once both have ended the
figures say one held and one no-show, by HS chapter and route, with participants by country,
as JSON, CSV, XLSX and a page with its charts. Only the organiser's key opens any of it."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from karakoram.expo.domain.organiser import MatchFact, ParticipantFact, tally
from karakoram.expo.entrypoints.api import create_expo_app
from karakoram.expo.services.matching import run_matching
from karakoram.expo.services.meetings import run_schedule
from karakoram.expo.services.participants import key_hash
from tests.expo_support import PK
from tests.integration.test_expo_room_signal import _socket
from tests.integration.test_expo_web import WANT, _csrf, browser, expo, keys  # noqa: F401

ORGANISER = "organiser-" + "k" * 32
AFTER = datetime(2026, 12, 3, tzinfo=UTC)


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def two_meetings(expo, keys) -> list[int]:  # noqa: F811
    """Kashgar Trading meets two buyers of Pakistan: Gilgit Mobiles and Hunza Phones."""
    expo.ctx.organiser_key_hash = key_hash(ORGANISER, expo.ctx)
    api = TestClient(create_expo_app(expo.ctx))
    third = api.post("/participants", json={"attestation": PK.attest("PK-7777", "Hunza Phones")})
    keys["hz"] = third.json()["api_key"]
    listed = api.post("/listings", json=WANT | {"ref": "hz"}, headers=_h(keys["hz"]))
    assert listed.status_code == 201
    assert run_matching(expo.ctx) == 2
    for buyer in ("pk", "hz"):
        (s,) = api.get("/suggestions", headers=_h(keys[buyer])).json()
        for who in ("cn", buyer):
            answer = {"answer": "accepted"}
            api.post(f"/suggestions/{s['id']}/answer", json=answer, headers=_h(keys[who]))
        asked = api.post(f"/suggestions/{s['id']}/meeting-request", headers=_h(keys[buyer]))
        rid = asked.json()["id"]
        api.post(f"/meeting-requests/{rid}/answer", json=answer, headers=_h(keys["cn"]))
    window = {"zone": "UTC", "windows": [{"start": "2026-12-01T08:00", "end": "2026-12-01T10:00"}]}
    for who in ("cn", "pk", "hz"):
        assert api.put("/availability", json=window, headers=_h(keys[who])).status_code == 200
    assert len(run_schedule(expo.ctx).plan) == 2
    with expo.ctx.uow() as uow:
        return [m.id for m in uow.meetings()]


def _held_by_gilgit(expo, keys, two_meetings) -> None:  # noqa: F811
    app = create_expo_app(expo.ctx)
    with TestClient(app) as loop:
        pk = browser(expo, keys["pk"], app)
        with expo.ctx.uow() as uow:
            (mine,) = uow.meetings_of(uow.participant_by_key(key_hash(keys["pk"], expo.ctx)).id)  # type: ignore[union-attr]
        with _socket(loop, pk, mine.id) as ws:
            assert ws.receive_json()["type"] == "welcome"
        with _socket(loop, pk, mine.id) as ws:  # joining again counts once
            assert ws.receive_json()["type"] == "welcome"


def test_held_meetings_and_no_shows_by_chapter_and_country(expo, keys, two_meetings):  # noqa: F811
    _held_by_gilgit(expo, keys, two_meetings)
    api = TestClient(create_expo_app(expo.ctx))
    before = api.get("/organiser/report", headers=_h(ORGANISER)).json()
    assert before["totals"] == {"participants": 3, "matches": 2, "meetings": 2, "held": 1,
                                "no_shows": 0}  # fmt: skip
    expo.ctx.clock = lambda: AFTER  # both meetings have ended
    report = api.get("/organiser/report", headers=_h(ORGANISER)).json()
    assert report["chapters"] == [
        {"chapter": "85", "exhibitor_country": "CN", "buyer_country": "PK", "matches": 2,
         "agreed": 2, "meetings": 2, "held": 1, "no_shows": 1}
    ]  # fmt: skip
    assert report["countries"] == [
        {"country": "CN", "participants": 1, "exhibitors": 1, "buyers": 0},
        {"country": "PK", "participants": 2, "exhibitors": 0, "buyers": 2},
    ]
    rows = list(csv.reader(io.StringIO(
        api.get("/organiser/report.csv", headers=_h(ORGANISER)).text
    )))  # fmt: skip
    assert rows == [
        ["chapter", "exhibitor_country", "buyer_country", "matches", "agreed", "meetings",
         "held", "no_shows"],
        ["85", "CN", "PK", "2", "2", "2", "1", "1"],
    ]  # fmt: skip
    xlsx = api.get("/organiser/report.xlsx", headers=_h(ORGANISER))
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["chapters", "countries"]
    assert [c.value for c in book["countries"][3]] == ["PK", 2, 0, 2]


def test_only_the_organisers_key_opens_the_view(expo, keys, two_meetings):  # noqa: F811
    api = TestClient(create_expo_app(expo.ctx))
    for headers in ({}, _h(keys["cn"]), _h("organiser-" + "x" * 32)):
        for path in ("/organiser/report", "/organiser/report.csv", "/organiser/report.xlsx"):
            assert api.get(path, headers=headers).status_code == 401
    assert browser(expo, keys["cn"]).get("/ui/organiser").status_code == 401


def test_the_organisers_page_draws_its_charts_without_inline_script(expo, keys, two_meetings):  # noqa: F811
    web = browser(expo)
    form = web.get("/ui/sign-in")
    done = web.post("/ui/sign-in", data={"csrf": _csrf(form.text), "api_key": ORGANISER})
    assert done.status_code == 200 and done.url.path == "/ui/organiser"
    page = done.text
    assert 'id="chart-chapters"' in page and "/ui/vendor/plotly.min.js" in page
    assert '"HS 85"' in page and "style=" not in page
    assert "<script>" not in page  # only src= scripts and the JSON data block
    assert web.get("/ui/vendor/plotly.min.js").status_code == 200
    assert web.get("/ui/static/organiser.js").status_code == 200
    assert web.get("/ui/organiser/report.csv?table=countries").text.startswith("country,")
    token = _csrf(page)
    web.post("/ui/language", data={"csrf": token, "language": "zh_Hans", "to": "/ui/organiser"})
    chinese = web.get("/ui/organiser").text
    assert "<h1>主办方视图</h1>" in chinese
    block = re.search(r'id="expo-charts">(.*?)</script>', chinese).group(1)  # type: ignore[union-attr]
    figures = json.loads(block)  # the charts' words too
    assert figures["chart-countries"]["layout"]["title"]["text"] == "按国家统计的参展方"


def test_the_tally_counts_a_future_meeting_nobody_joined_as_neither():
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    facts = [
        MatchFact("09", "PK", "CN", True, datetime(2026, 12, 1, 8, tzinfo=UTC), 0),
        MatchFact("09", "PK", "CN", True, datetime(2026, 12, 1, 10, tzinfo=UTC), 0),
        MatchFact("09", "PK", "CN", True, datetime(2026, 12, 1, 8, tzinfo=UTC), 2),
        MatchFact("09", "PK", "CN", False),
    ]
    r = tally([ParticipantFact("PK", True, True)], facts, now)
    (row,) = r.chapters
    assert (row.matches, row.agreed, row.meetings, row.held, row.no_shows) == (4, 3, 3, 1, 1)
    assert r.countries[0].exhibitors == 1 and r.countries[0].buyers == 1
