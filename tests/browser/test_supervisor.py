"""A supervisor writes a stricter rule set, back-tests it (the chart is drawn), activates it,
and replays a dead letter from the exchange page, in the browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from karakoram.services.records import OutboxMessage, Partner
from tests.browser.conftest import Live, sign_in
from tests.builders import declaration
from tests.integration.test_clearance import EXAMPLES, RATES, RULES, goods, load, lodge

STRICTER = RULES.replace('prefix", value = ["8544"]', 'prefix", value = ["8544", "8471"]')


@pytest.fixture
def api(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


@pytest.fixture
def history(api: httpx.Client, live: Live) -> int:
    """The routing rules active and four declarations lodged under them; the rules' version."""
    load(api, live.keys, "rates", RATES, "text/csv")
    load(api, live.keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    version: int = load(api, live.keys, "rules", RULES)
    for n, hs in enumerate(["740311", "854442", "847130", "847130"]):
        lodge(api, live.keys, goods(declaration(f"H{n}"), hs))
    return version


def active_version(api: httpx.Client, live: Live) -> int | None:
    listed = api.get("/policy/rules", headers=live.keys.supervisor).json()
    return next((d["version"] for d in listed if d["status"] == "active"), None)


def test_a_supervisor_backtests_a_stricter_rule_set_and_activates_it(
    page: Page, live: Live, api: httpx.Client, history: int, shot: Callable[[Page, str], Path]
) -> None:
    sign_in(page, live, "supervisor")
    page.click("header nav a[href='/ui/rules']")
    expect(page.locator(f"tr[data-version='{history}'] .active-badge")).to_be_visible()
    shot(page, "supervisor-rules")

    page.click("text=Write a new version")
    page.fill("textarea[name=text]", STRICTER)
    page.click("fieldset.period button[type=submit]")  # back-test the draft, storing nothing
    page.wait_for_url("**/ui/rules/backtest")
    expect(page.locator("#shares-chart.js-plotly-plot")).to_be_visible()  # Plotly drew it
    expect(page.locator("#shares-chart .bars path").first).to_be_attached()
    expect(page.locator("tr[data-channel='yellow'] td.count")).to_have_text("3")
    expect(page.locator("dd.changed")).to_have_text("2")
    shot(page, "supervisor-backtest")
    assert active_version(api, live) == history

    page.click("text=Save this text as a new version")
    page.wait_for_url(f"**/ui/rules/{history + 1}")
    stored = api.get(f"/policy/rules/{history + 1}", headers=live.keys.supervisor).json()
    assert stored["source"] == STRICTER
    page.click(f"form[action='/ui/rules/{history + 1}/activate'] button[type=submit]")
    page.wait_for_url("**/ui/rules")
    expect(page.locator(f"tr[data-version='{history + 1}'] .active-badge")).to_be_visible()
    assert active_version(api, live) == history + 1
    assert lodge(api, live.keys, goods(declaration("AFTER"), "847130"))["channel"] == "yellow"


def test_a_supervisor_replays_a_dead_letter(
    page: Page, live: Live, shot: Callable[[Page, str], Path]
) -> None:
    now = datetime.now(UTC)
    with live.node.ctx.uow() as uow:
        partner = Partner("PK-GB", "Pakistan customs", "PK", "http://pk-gb", ("control_result",))
        uow.exchange.add_partner(partner, now)
        uow.exchange.enqueue(
            OutboxMessage("dead-1", "PK-GB", "control_result", "UCR1", "t", "pending", 0, now, now)
        )
        uow.exchange.failed("dead-1", "DeliveryFailed: link down", None)
        uow.commit()
    sign_in(page, live, "supervisor")
    page.click("header nav a[href='/ui/exchange']")
    expect(page.locator("tr[data-partner='PK-GB'] .reach.failing")).to_be_visible()
    expect(page.locator("tr[data-message='dead-1']")).to_contain_text("link down")
    shot(page, "supervisor-exchange")
    page.click("tr[data-message='dead-1'] button[type=submit]")
    expect(page.locator("p.ok[role=status]")).to_contain_text("1 message was put back")
    expect(page.locator("tr[data-message='dead-1']")).to_have_count(0)
    with live.node.ctx.uow() as uow:
        replayed = uow.exchange.outbox("dead-1")
        assert replayed is not None and replayed.status == "pending"
