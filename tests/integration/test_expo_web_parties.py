"""The expo's pages name the other side: each suggestion with the other party's company
name, country, AEO status and the listing it is about; each meeting request with whom, about
what and when; times in hours and minutes with the zone's name (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

from karakoram.expo.services.meetings import run_schedule
from tests.integration.test_expo_web import (  # noqa: F401 - expo and keys are fixtures
    _csrf,
    _post,
    browser,
    expo,
    keys,
)


def _section(page: str, css: str) -> list[str]:
    return [p.split("</section>")[0].split("</div>")[0] for p in page.split(css)[1:]]


def test_a_suggestion_names_the_other_party_and_the_listing(expo, keys):  # noqa: F811
    pk = browser(expo, keys["pk"])
    (card,) = _section(pk.get("/ui/suggestions").text, 'class="suggestion"')
    assert "<bdi>Kashgar Trading</bdi>" in card  # the exhibitor's company, not an account
    assert '<span class="country">CN</span>' in card and '<span class="aeo">AEO' in card
    assert "<bdi>5G smartphone</bdi> · HS" in card  # what they offer
    assert "<bdi>Smartphones</bdi>" in card  # what the buyer seeks
    cn = browser(expo, keys["cn"])
    (theirs,) = _section(cn.get("/ui/suggestions").text, 'class="suggestion"')
    assert "<bdi>Gilgit Mobiles</bdi>" in theirs and "not an AEO" in theirs
    _post(cn, "/ui/suggestions", "/ui/language", language="zh_Hans", to="/ui/suggestions")
    chinese = cn.get("/ui/suggestions").text
    assert "对方求购" in chinese and "非 AEO" in chinese


def test_a_meeting_request_says_with_whom_about_what_and_when(expo, keys):  # noqa: F811
    cn, pk = browser(expo, keys["cn"]), browser(expo, keys["pk"])
    page = cn.get("/ui/suggestions").text
    sid = re.search(r"/ui/suggestions/(\d+)/answer", page).group(1)  # type: ignore[union-attr]
    for who in (cn, pk):
        _post(who, "/ui/suggestions", f"/ui/suggestions/{sid}/answer", answer="accepted")
    _post(pk, "/ui/suggestions", f"/ui/suggestions/{sid}/meeting-request")
    (asked,) = _section(cn.get("/ui/meetings").text, 'class="request"')
    assert "<bdi>Gilgit Mobiles</bdi>" in asked and '<span class="country">PK</span>' in asked
    assert '<bdi class="about">5G smartphone</bdi>' in asked
    assert "they asked, requested" in asked
    rid = re.search(r"/ui/meeting-requests/(\d+)/answer", asked).group(1)  # type: ignore[union-attr]
    _post(cn, "/ui/meetings", f"/ui/meeting-requests/{rid}/answer", answer="accepted")
    for who, zone, start, end in (
        (cn, "Asia/Urumqi", "2026-12-01T13:00", "2026-12-01T15:00"),
        (pk, "Asia/Karachi", "2026-12-01T11:00", "2026-12-01T12:20"),
    ):
        token = _csrf(who.get("/ui/meetings").text)
        who.post(
            "/ui/availability",
            data={"csrf": token, "zone": zone, "start": [start], "end": [end]},
            follow_redirects=False,
        )
    assert len(run_schedule(expo.ctx).plan) == 1
    mine = pk.get("/ui/meetings").text
    (asked,) = _section(mine, 'class="request"')
    assert "you asked, accepted" in asked
    # 07:00 UTC in Karachi: hours and minutes, the zone named, no seconds anywhere
    assert '<span class="when">Dec 1, 2026, 12:00\u202fPM (Asia/Karachi)</span>' in asked
    assert "12:00:00" not in mine and "(Asia/Karachi)" in mine.split("<tbody>")[1]
