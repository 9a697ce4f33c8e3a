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
    expect(page.locator(".opblock-tag", has_text="declarations")).to_be_visible()
    shot(page, "api-docs-swagger")
    assert foreign == []


def test_swagger_ui_shows_an_operations_example_and_its_problem_answers(page, foreign):
    page.goto("/docs#/declarations/lodge_declarations_post")
    block = page.locator("#operations-declarations-lodge_declarations_post")
    expect(block.locator(".opblock-body")).to_be_visible()
    expect(block.locator(".response[data-code='422']")).to_be_visible()
    expect(block.get_by_text("application/problem+json").first).to_be_attached()
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
