"""An officer takes a red declaration through inspection to release in the browser; a trader
is neither offered the officer's actions nor allowed them when forcing the form."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Live, sign_in
from tests.builders import declaration
from tests.integration.test_clearance import EXAMPLES, RATES, RULES, goods, load, lodge


@pytest.fixture
def api(live: Live) -> Iterator[httpx.Client]:
    """The live node's JSON API, for setting the scene the browser then works in."""
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client


@pytest.fixture
def red(api: httpx.Client, live: Live) -> str:
    """A declaration the example rules route red (copper cathodes), lodged by the trader."""
    load(api, live.keys, "rates", RATES, "text/csv")
    load(api, live.keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
    load(api, live.keys, "rules", RULES)
    mrn: str = lodge(api, live.keys, goods(declaration(), "740311"))["mrn"]
    return mrn


def status_of(api: httpx.Client, live: Live, mrn: str) -> str:
    answer = api.get(f"/declarations/{mrn}", headers=live.keys.officer)
    answer.raise_for_status()
    state: str = answer.json()["status"]
    return state


def test_an_officer_inspects_a_red_declaration_and_releases_it(
    page: Page, live: Live, api: httpx.Client, red: str, shot: Callable[[Page, str], Path]
) -> None:
    sign_in(page, live, "officer")
    page.click("header.top nav a[href='/ui/queue']")
    row = page.locator("table.queue tbody tr", has_text=red)
    expect(row).to_have_count(1)
    expect(row.locator(".channel.red")).to_be_visible()
    shot(page, "officer-queue")

    row.locator(f"a[href='/ui/declarations/{red}']").click()
    page.wait_for_url(f"**/ui/declarations/{red}")
    expect(page.locator("table.rules")).to_contain_text("RED-COPPER")
    # before an inspection: no seizure offered, and release is refused by the service
    expect(page.locator("button.seize")).to_have_count(0)
    shot(page, "officer-declaration")

    inspect = page.locator("form.action", has=page.locator("button.inspect"))
    inspect.locator("select[name=seals]").select_option("intact")
    inspect.locator("input[name=notes]").fill("cathodes as declared, seals intact")
    inspect.locator("button.inspect").click()
    page.wait_for_load_state()
    expect(page.get_by_text("cathodes as declared, seals intact").first).to_be_visible()

    page.locator("button.release").click()
    page.wait_for_load_state()
    expect(page.locator("h1 .status")).to_have_text("released")
    expect(page.locator("section.actions button.release")).to_have_count(0)
    assert status_of(api, live, red) == "released"


def test_a_trader_sees_no_officer_actions_and_a_forced_one_is_refused(
    page: Page, live: Live, api: httpx.Client, red: str
) -> None:
    sign_in(page, live, "trader")
    expect(page.locator("header.top nav a[href='/ui/queue']")).to_have_count(0)
    # the officer's page of the trader's own declaration is refused (the trader follows it
    # under /ui/my-declarations), and offers none of the officer's actions
    shown = page.goto(f"/ui/declarations/{red}")
    assert shown is not None and shown.status == 403
    for action in ("inspect", "release", "hold", "seize", "check_documents"):
        expect(page.locator(f"button.{action}")).to_have_count(0)
    expect(page.locator("section.actions")).to_have_count(0)

    token = page.locator("input[name=csrf]").first.get_attribute("value")
    assert token
    forced = page.request.post(
        f"/ui/declarations/{red}/actions",
        form={"csrf": token, "action": "release"},
        max_redirects=0,
    )
    assert forced.status == 403
    inspected = page.request.post(
        f"/ui/declarations/{red}/actions",
        form={"csrf": token, "action": "inspect", "seals": "intact"},
        max_redirects=0,
    )
    assert inspected.status == 403
    assert status_of(api, live, red) != "released"
    # the queue itself is an officer's page: refused, not shown
    assert page.goto("/ui/queue").status == 403  # type: ignore[union-attr]
