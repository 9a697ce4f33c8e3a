"""An administrator sets a user's password in the browser; the user signs in with it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Live, sign_in

PASSWORD = "a long passphrase for the pass"


def test_an_administrator_sets_a_password_and_the_officer_signs_in_with_it(
    page: Page, live: Live, browser: Browser, shot: Callable[[Page, str], Path]
) -> None:
    sign_in(page, live, "admin")
    page.click("header.top nav a[href='/ui/admin/users']")
    row = page.locator("table.users tbody tr", has_text="officer").first
    row.get_by_role("link").click()
    page.wait_for_url("**/ui/admin/users/officer/password")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD + " (typo)")
    page.click("main form button[type=submit]")
    expect(page.locator("#confirm-error")).to_be_visible()  # beside its field
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/ui/admin/users?done=officer")
    expect(page.locator("p.notice")).to_contain_text("officer")

    # the officer, in a browser of their own
    context = browser.new_context(base_url=live.url, viewport={"width": 820, "height": 1180})
    context.set_default_timeout(10_000)
    officer = context.new_page()
    try:
        officer.goto("/ui/sign-in")
        officer.fill("input[name=name]", "officer")
        officer.fill("input[name=password]", "not the password")
        officer.click("form[action$='/sign-in'] button[type=submit]")
        expect(officer.locator("p.error")).to_be_visible()
        expect(officer.locator("input[name=name]")).to_have_value("officer")  # kept
        officer.fill("input[name=password]", PASSWORD)
        shot(officer, "sign-in")
        officer.click("form[action$='/sign-in'] button[type=submit]")
        officer.wait_for_url("**/ui")
        expect(officer.locator("header.top .sign-out")).to_contain_text("officer")
        expect(officer.locator("header.top nav a[href='/ui/queue']")).to_be_visible()
    finally:
        context.close()
