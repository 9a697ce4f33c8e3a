"""/docs and /redoc render from the node alone: every request to an address off loopback is
blocked and recorded (none may be attempted), and the page fixture fails on any CSP violation."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import ARTEFACTS

LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


@pytest.fixture
def foreign(page: Page) -> list[str]:
    """The URLs the page tried to reach off loopback (each was refused)."""
    tried: list[str] = []

    def gate(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            tried.append(url)
            route.abort()

    page.context.route("**/*", gate)
    return tried


def test_swagger_ui_lists_every_operation_with_authorize_offline(page, live, foreign, shot):
    operations = sum(
        len(ops) for ops in httpx.get(f"{live.url}/openapi.json").json()["paths"].values()
    )
    page.goto("/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".opblock")).to_have_count(operations)
    expect(page.locator("button.authorize")).to_be_visible()
    expect(page.locator('.opblock-tag[data-tag="declarations"]')).to_be_visible()
    shot(page, "api-docs-swagger")
    assert foreign == []


def test_swagger_ui_shows_an_operations_example_and_its_problem_answers(page, foreign):
    page.goto("/docs#/declarations/lodge_declarations_post")
    block = page.locator("#operations-declarations-lodge_declarations_post")
    expect(block.locator(".opblock-body")).to_be_visible()
    expect(block.locator(".body-param__example, .highlight-code").first).to_contain_text(
        "LRN-2026-0042"
    )
    expect(block.locator(".response[data-code='422']")).to_be_visible()
    expect(block.locator(".response[data-code='409']")).to_contain_text("lrn_conflict")
    assert foreign == []


def test_authorize_with_an_api_key_then_try_an_operation(page, live, foreign):
    page.goto("/docs#/users/whoami_users_me_get")
    block = page.locator("#operations-users-whoami_users_me_get")
    expect(block.get_by_role("button", name="Try it out")).to_be_visible()
    page.locator("button.authorize").click()
    dialog = page.locator(".dialog-ux")
    expect(dialog).to_contain_text("apiKey  (http, Bearer)")
    dialog.locator("#auth-bearer-value").fill(live.key("officer"))
    dialog.get_by_role("button", name="Apply credentials").click()
    dialog.locator("button.btn-done").click()
    block.get_by_role("button", name="Try it out").click()
    block.get_by_role("button", name="Execute").click()
    live_answer = block.locator(".live-responses-table")
    expect(live_answer.locator("tbody .response-col_status")).to_contain_text("200")
    expect(live_answer).to_contain_text('"role": "officer"')
    assert foreign == []


def test_redoc_draws_the_reference_offline(page, foreign):
    page.goto("/redoc")
    expect(page.locator(".menu-content")).to_be_visible()
    expect(page.get_by_role("heading", name="Lodge").first).to_be_visible()
    # the window only: the whole reference is too tall to capture in the test's time
    page.screenshot(path=str(_artefact("api-docs-redoc")))
    assert foreign == []


def _artefact(name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS / f"{name}.png"
