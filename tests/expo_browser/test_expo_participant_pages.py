"""A participant's pages in the system Chromium, at 390 px: the suggestion card names the
other company, its country and AEO status and the goods; the meeting request says with whom,
about what and when, in hours and minutes with the zone's name; nothing scrolls sideways and
nothing breaks the Content Security Policy."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.browser.conftest import CSP_LISTENER

from .conftest import LiveExpo

BOUND_MS = 60_000


def test_a_buyer_sees_with_whom_about_what_and_when(media_browser: Browser, live_expo: LiveExpo):
    violations: list[object] = []
    context = media_browser.new_context(
        base_url=live_expo.url, viewport={"width": 390, "height": 844}
    )
    context.set_default_timeout(BOUND_MS)
    context.expose_binding("__karakoramCsp", lambda _s, found: violations.append(found))
    context.add_init_script(CSP_LISTENER)
    try:
        page = context.new_page()
        page.goto("/ui/sign-in")
        page.fill("#api_key", live_expo.keys["pk"])
        page.click("form[action='/ui/sign-in'] button[type=submit]")
        page.wait_for_url("**/ui/suggestions")
        card = page.locator("section.suggestion").first
        expect(card.locator("h2.party")).to_have_text("Kashgar Trading")
        expect(card.locator(".party-facts")).to_contain_text("CN")
        expect(card.locator(".party-facts .aeo")).to_contain_text("AEO")
        expect(card.locator(".their-listing")).to_contain_text("5G phone")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto("/ui/meetings")
        request = page.locator("div.request").first
        expect(request.locator(".party")).to_have_text("Kashgar Trading")
        expect(request.locator(".about")).to_have_text("5G phone")
        when = request.locator(".when").inner_text()
        assert re.fullmatch(r"Dec 1, 2026, \d{1,2}:\d\d\s?[AP]M \(Asia/Karachi\)", when), when
        assert not re.search(r"\d:\d\d:\d\d", page.locator("main").inner_text())
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
    assert violations == [], f"the participant's pages broke their CSP: {violations}"
