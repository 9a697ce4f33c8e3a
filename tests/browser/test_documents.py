"""Issue 17 in Chromium: a trader attaches a document on its declaration's page, then
downloads the release note of a released declaration; the QR check page reads it back."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pypdf
from playwright.sync_api import Page, expect

from tests.browser.conftest import Live, sign_in
from tests.browser.test_trader import _api, _load_policy
from tests.builders import declaration
from tests.integration.test_clearance import goods
from tests.integration.test_documents import PDF, _signing, _token

Shot = Callable[[Page, str], Path]


def _lodge(live: Live, doc: dict[str, object]) -> dict[str, str]:
    with _api(live, "trader") as api:
        lodged = api.post("/declarations", json=doc)
    assert lodged.status_code == 201, lodged.text
    return lodged.json()


def test_a_trader_attaches_a_document_and_downloads_the_release_note(
    page: Page, live: Live, shot: Shot, tmp_path: Path
) -> None:
    _signing(live.node)
    _load_policy(live)
    waiting = _lodge(live, goods(declaration(), "854442"))  # yellow: documents to check
    sign_in(page, live, "trader")
    page.goto(f"/ui/my-declarations/{waiting['mrn']}")
    invoice = tmp_path / "invoice-118.pdf"
    invoice.write_bytes(PDF)
    page.set_input_files("#f-document", str(invoice))
    page.click("form.attach button[type=submit]")
    expect(page.locator("ul.attachments")).to_contain_text("invoice-118.pdf")
    shot(page, "trader-attached-document")

    released = _lodge(live, declaration("LRN-2"))
    assert released["status"] == "released"
    page.goto(f"/ui/my-declarations/{released['mrn']}")
    with page.expect_download() as download:
        page.click("a.release-note")
    pdf = Path(download.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert released["mrn"] in text and "放行通知书" in text

    token = _token(live.node, released["mrn"], live.keys, None)
    page.goto("/ui/verify/release")
    page.fill("#f-qr", token)
    page.click("form.verify-release button[type=submit]")
    expect(page.locator("section.statement")).to_contain_text(released["mrn"])
    shot(page, "release-note-verified")
