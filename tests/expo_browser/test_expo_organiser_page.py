"""The organiser's page in the system Chromium: signed in with the organiser's key, plotly.js
(served by the expo) draws both charts, and nothing breaks the strict Content Security Policy
(no inline script or style is needed)."""

from __future__ import annotations

from playwright.sync_api import Browser

from karakoram.expo.services.participants import key_hash
from tests.browser.conftest import CSP_LISTENER

from .conftest import LiveExpo

BOUND_MS = 60_000
ORGANISER = "organiser-" + "k" * 32


def test_the_organiser_sees_both_charts_drawn_under_the_csp(
    media_browser: Browser, live_expo: LiveExpo
):
    live_expo.expo.ctx.organiser_key_hash = key_hash(ORGANISER, live_expo.expo.ctx)
    violations: list[object] = []
    context = media_browser.new_context(base_url=live_expo.url)
    context.set_default_timeout(BOUND_MS)
    context.expose_binding("__karakoramCsp", lambda _s, found: violations.append(found))
    context.add_init_script(CSP_LISTENER)
    try:
        page = context.new_page()
        page.goto("/ui/sign-in")
        page.fill("#api_key", ORGANISER)
        page.click("form[action='/ui/sign-in'] button[type=submit]")
        page.wait_for_url("**/ui/organiser")
        for chart in ("#chart-chapters", "#chart-countries"):
            page.wait_for_selector(f"{chart} svg.main-svg")
            assert page.locator(f"{chart} .bars path").count() > 0
        assert "HS 85" in page.locator("#chart-chapters").inner_text()
    finally:
        context.close()
    assert violations == [], f"the organiser's page broke its CSP: {violations}"
