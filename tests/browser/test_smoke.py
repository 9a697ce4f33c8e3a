"""The browser can reach the node: sign-in, the home page, the language switch to Urdu."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page

from tests.browser.conftest import Live, sign_in


def test_an_officer_signs_in_and_the_urdu_page_reads_right_to_left(
    page: Page, live: Live, shot: Callable[[Page, str], Path]
) -> None:
    sign_in(page, live, "officer")
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.select_option("select[name=language]", "ur")
    page.click("form.language button[type=submit]")
    page.wait_for_load_state()
    html = page.locator("html")
    assert html.get_attribute("dir") == "rtl" and html.get_attribute("lang") == "ur"
    # the header starts on the right: the brand sits right of the language switch
    brand = page.locator("header.top .brand").bounding_box()
    switch = page.locator("form.language").bounding_box()
    assert brand and switch and brand["x"] > switch["x"]
    assert shot(page, "home-urdu").stat().st_size > 0
