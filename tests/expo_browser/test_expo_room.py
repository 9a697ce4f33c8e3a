"""Two Chromium pages, each a participant with a fake camera and microphone, join one meeting's
room: each decodes the other's video (RTCPeerConnection.getStats: framesDecoded > 0) and
receives the other's chat message; minutes written in the room are kept with the meeting. Every
wait polls with a bound; a page that breaks the Content Security Policy fails the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.conftest import ARTEFACTS, CSP_LISTENER

from .conftest import LiveExpo

#: every wait's bound: generous, for a loaded 2-core machine decoding four fake streams
BOUND_MS = 60_000

FRAMES_DECODED = """async () => {
  const room = window.expoRoom;
  if (!room || room.peers.size < 1) return false;
  for (const { pc } of room.peers.values()) {
    const stats = await pc.getStats();
    for (const s of stats.values()) {
      if (s.type === "inbound-rtp" && s.kind === "video" && s.framesDecoded > 0) return true;
    }
  }
  return false;
}"""


@pytest.fixture
def contexts(media_browser, live_expo: LiveExpo) -> Iterator[tuple[list[BrowserContext], list]]:
    violations: list = []
    made = []
    for _ in range(2):
        context = media_browser.new_context(base_url=live_expo.url)
        context.set_default_timeout(BOUND_MS)
        context.expose_binding("__karakoramCsp", lambda _s, found: violations.append(found))
        context.add_init_script(CSP_LISTENER)
        made.append(context)
    yield made, violations
    for context in made:
        context.close()
    assert violations == [], f"the room broke its Content Security Policy: {violations}"


def _sign_in(page: Page, key: str) -> None:
    page.goto("/ui/sign-in")
    page.fill("#api_key", key)
    page.click("form[action='/ui/sign-in'] button[type=submit]")
    page.wait_for_url("**/ui/suggestions")


def test_two_browsers_see_and_chat_with_each_other_in_the_meeting_room(contexts, live_expo):
    (first, second), _ = contexts
    cn, pk = first.new_page(), second.new_page()
    _sign_in(cn, live_expo.keys["cn"])
    _sign_in(pk, live_expo.keys["pk"])
    room = f"/ui/meetings/{live_expo.meeting_id}/room"
    cn.goto(room)
    cn.wait_for_function("() => window.expoRoom && window.expoRoom.me !== null")
    pk.goto(room)

    for page in (cn, pk):
        page.wait_for_function(FRAMES_DECODED, polling=250, timeout=BOUND_MS)

    cn.fill("#chat-text", "Can you do 118 USD a unit?")
    cn.click("#chat-form button[type=submit]")
    pk.wait_for_function(
        "() => window.expoRoom.chat.some("
        "m => m.name === 'Kashgar Trading' && m.text === 'Can you do 118 USD a unit?')"
    )
    pk.fill("#chat-text", "Yes, for 500 units.")
    pk.click("#chat-form button[type=submit]")
    cn.wait_for_function("() => window.expoRoom.chat.some(m => m.text === 'Yes, for 500 units.')")

    pk.fill("#minutes-text", "Agreed: 500 units at 118 USD, FOB Kashgar.")
    pk.click("#minutes-save")
    pk.wait_for_function("() => window.expoRoom.minutesSaved > 0")
    cn.wait_for_function(
        "() => document.getElementById('minutes-text').value.startsWith('Agreed: 500 units')"
    )
    with live_expo.expo.ctx.uow() as uow:
        held = uow.meeting(live_expo.meeting_id)
    assert held is not None and held.minutes == "Agreed: 500 units at 118 USD, FOB Kashgar."


def test_a_stranger_is_refused_by_the_room(contexts, live_expo):
    (first, _), _ = contexts
    page = first.new_page()
    answer = page.goto(f"/ui/meetings/{live_expo.meeting_id}/room")
    assert answer is not None and answer.status == 401


def test_my_meetings_in_chinese_and_my_suggestions_in_urdu(contexts, live_expo):
    (first, _), _ = contexts
    page = first.new_page()
    _sign_in(page, live_expo.keys["cn"])
    page.select_option("#language", "zh_Hans")
    page.click("form.language button[type=submit]")
    page.goto("/ui/meetings")
    page.wait_for_selector("text=我的会谈")
    assert "Asia/Urumqi" in page.inner_text("main") and "Gilgit Mobiles" in page.inner_text("main")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "expo-meetings-zh.png"), full_page=True)
    page.select_option("#language", "ur")
    page.click("form.language button[type=submit]")
    page.goto("/ui/suggestions")
    page.wait_for_selector("text=تجاویز")
    assert page.get_attribute("html", "dir") == "rtl"
    shown = page.inner_text("main")
    # the reasons in Urdu too, their figures kept (expo/entrypoints/web/reasons.py)
    assert "ایک ہی HS کوڈ 8517.13" in shown and "same HS" not in shown
    page.screenshot(path=str(ARTEFACTS / "expo-suggestions-ur.png"), full_page=True)
