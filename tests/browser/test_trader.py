"""A trader in the browser: lodging through the form (HS search, item rows added and removed)
and through an upload, then answering a request for documents on the declaration's page."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import Live, sign_in
from tests.builders import import_declaration
from tests.integration.test_clearance import EXAMPLES, RATES, RULES

Shot = Callable[[Page, str], Path]


def _api(live: Live, role: str) -> httpx.Client:
    return httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {live.key(role)}"})


def _load_policy(live: Live) -> None:
    with _api(live, "supervisor") as api:
        for kind, text, content_type in (
            ("rates", RATES, "text/csv"),
            ("tariff", (EXAMPLES / "tariff-cn-import.toml").read_text(), "application/toml"),
            ("rules", RULES, "application/toml"),
        ):
            stored = api.post(
                f"/policy/{kind}", content=text, headers={"Content-Type": content_type}
            )
            assert stored.status_code == 201, stored.text
            version = stored.json()["version"]
            activated = api.post(f"/policy/{kind}/{version}/activate", json={"reason": "test"})
            assert activated.status_code == 200, activated.text


def _rows(page: Page) -> int:
    return page.locator("form.lodge .item-rows fieldset.item").count()


def test_a_trader_lodges_through_the_form_with_hs_search_and_item_rows(
    page: Page, live: Live, shot: Shot
) -> None:
    sign_in(page, live, "trader")
    page.click("header nav a[href='/ui/lodge']")
    page.wait_for_url("**/ui/lodge")
    fields = {
        "lrn": "BROWSER-1",
        "ucr": "UCR-BROWSER-1",
        "declarant.name": "Kashgar Silk Road Trading",
        "declarant.country": "CN",
        "exporter.name": "Kashgar Silk Road Trading",
        "exporter.identifier": "91650100MA77XY1234",
        "exporter.country": "CN",
        "importer.name": "Hunza Valley Traders",
        "importer.identifier": "PK-NTN-4412345",
        "importer.country": "PK",
        "transport.registration": "XJ-A1234",
        "transport.nationality": "CN",
        "driver.name": "Aili Maimaiti",
        "driver.passport_number": "E1234567",
        "driver.nationality": "CN",
        "invoice.amount": "7000",
    }
    for name, value in fields.items():
        page.fill(f"[name='{name}']", value)
    page.select_option("[name='incoterm']", "DAP")
    page.select_option("[name='office_of_lodgement']", "CNKSG")
    page.select_option("[name='office_of_exit_entry']", "CNKJB")
    page.select_option("[name='crossing']", "KHUNJERAB")
    page.select_option("[name='invoice.currency']", "USD")

    # HS search: words of the description bring the subheading into the field's suggestions
    page.fill("[name='items.0.hs_code']", "portable")
    suggestion = page.locator("#hs-codes option[value='847130']")
    expect(suggestion).to_have_count(1)
    page.fill("[name='items.0.hs_code']", suggestion.get_attribute("value") or "")
    _fill_item(page, 0, "Portable computers", "5000")

    page.click("button.add-item")  # in place, by script: no page load, the typed values stay
    page.click("button.add-item")
    assert _rows(page) == 3 and page.url.endswith("/ui/lodge")
    _fill_item(page, 1, "Keyboards that are removed again", "999")
    page.fill("[name='items.1.hs_code']", "847160")
    page.fill("[name='items.2.hs_code']", "847130")
    _fill_item(page, 2, "Tablets", "2000")
    page.locator("fieldset.item").nth(1).locator("button.remove-item").click()
    assert _rows(page) == 2
    # the rows after the removed one are renumbered
    expect(page.locator("[name='items.1.description']")).to_have_value("Tablets")
    assert page.locator("[name='items.2.description']").count() == 0
    shot(page, "trader-lodge")

    page.click("p.submit button")
    page.wait_for_url("**/ui/my-declarations/*?lodged=new")
    expect(page.locator("p.notice")).to_contain_text("lodged")
    with _api(live, "trader") as api:
        (stored,) = api.get("/declarations").json()["items"]
    items = stored["declaration"]["items"]
    assert [(i["hs_code"], i["description"]) for i in items] == [
        ("847130", "Portable computers"),
        ("847130", "Tablets"),
    ]
    assert stored["mrn"] in page.locator("h1").inner_text()


def _fill_item(page: Page, n: int, description: str, value: str) -> None:
    page.fill(f"[name='items.{n}.description']", description)
    page.fill(f"[name='items.{n}.origin']", "CN")
    page.fill(f"[name='items.{n}.quantity']", "10")
    page.select_option(f"[name='items.{n}.unit']", "NAR")
    page.fill(f"[name='items.{n}.gross_mass']", "30")
    page.fill(f"[name='items.{n}.net_mass']", "25")
    page.fill(f"[name='items.{n}.value']", value)


def test_a_trader_uploads_a_file_and_answers_a_request_for_documents(
    page: Page, live: Live, shot: Shot
) -> None:
    _load_policy(live)
    good = import_declaration("IM-UP-1")
    for item in good["items"]:
        item["hs_code"] = "854442"  # insulated cable: yellow, documents checked
    bad = import_declaration("IM-UP-2")
    bad["items"][1]["net_mass"] = "99"
    bad["invoice"]["currency"] = "XXY"
    body = "\n".join(json.dumps(d) for d in (good, bad)) + "\n"

    sign_in(page, live, "importer")
    page.goto("/ui/upload")
    page.set_input_files(
        "input[name=file]",
        {"name": "imports.jsonl", "mimeType": "application/x-ndjson", "buffer": body.encode()},
    )
    page.click("form.upload button[type=submit]")
    expect(page.locator("table.results tbody tr")).to_have_count(2)
    expect(page.locator("tr.outcome-rejected")).to_contain_text("/items/1/net_mass")
    expect(page.locator("tr.outcome-rejected")).to_contain_text("/invoice/currency")
    shot(page, "trader-upload")

    mrn = page.locator("tr.outcome-created a").inner_text()
    with _api(live, "officer") as api:
        asked = api.post(
            f"/declarations/{mrn}/actions/request-documents",
            json={"reason": "Commercial invoice and packing list, please"},
        )
        assert asked.status_code == 200, asked.text
    page.click("tr.outcome-created a")
    page.wait_for_url(f"**/ui/my-declarations/{mrn}")
    expect(page.locator(".documents-request blockquote")).to_contain_text("packing list")
    expect(page.locator("table.duties tbody tr")).to_have_count(4)
    page.fill(
        "textarea[name=answer]", "Invoice INV-42 and packing list PL-42, uploaded to the portal"
    )
    page.click("form.answer button[type=submit]")
    expect(page.locator("p.notice")).to_contain_text("answer was recorded")
    expect(page.locator(".documents-request ul")).to_contain_text("INV-42")
    shot(page, "trader-declaration")
    with _api(live, "officer") as api:
        timeline = api.get(f"/declarations/{mrn}").json()["timeline"]
    assert timeline[-1]["action"] == "answer_documents"
