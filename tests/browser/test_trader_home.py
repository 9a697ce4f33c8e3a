"""The trader's home in the browser: a request for documents reads top to bottom, the
officer's words under the MRN line, at desktop width and at 390 px."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Live, sign_in
from tests.browser.test_trader import _api, _load_policy
from tests.builders import import_declaration

Shot = Callable[[Page, str], Path]
#: short, so that a row layout would have room to put it beside the MRN line
REASON = "The letter of credit, please"


@pytest.mark.parametrize("width", [1440, 390])
def test_the_officer_s_reason_sits_under_the_mrn_line(
    page: Page, live: Live, shot: Shot, width: int
) -> None:
    _load_policy(live)
    doc = import_declaration("IM-HOME-1")
    for item in doc["items"]:
        item["hs_code"] = "854442"  # insulated cable: yellow
    with _api(live, "importer") as api:
        lodged = api.post("/declarations", json=doc)
        assert lodged.status_code == 201, lodged.text
        mrn = lodged.json()["mrn"]
    with _api(live, "officer") as api:
        asked = api.post(f"/declarations/{mrn}/actions/request-documents", json={"reason": REASON})
        assert asked.status_code == 200, asked.text
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live, "importer")
    card = page.locator(".needs.documents .card").first
    expect(card.locator(".mrn-line")).to_contain_text(mrn)
    expect(card.locator(".reason")).to_contain_text("letter of credit")
    line = card.locator(".mrn-line").bounding_box()
    reason = card.locator(".reason").bounding_box()
    assert line is not None and reason is not None
    assert reason["y"] >= line["y"] + line["height"] - 1  # under it, not beside it
    box = card.bounding_box()
    assert box is not None and reason["x"] + reason["width"] <= box["x"] + box["width"] + 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"trader-home-documents-{width}")
