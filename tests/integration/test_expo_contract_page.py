"""The contract page to read (issue 19, "Signed agreements"), on SQLite and PostgreSQL: a
party reads the parties, terms, lines with their HS descriptions and totals, the schedule,
each signature's certificate and the verification verdict (the public page's check), the
downloads, and once handed to the customs nodes the hash, the UCRs and each shipment's
state; a draft says who is still to sign; anyone else gets no page."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

from fastapi.testclient import TestClient

from karakoram.expo.services.contract_register import set_node_address
from karakoram.expo.services.deal_records import ResultRecord
from tests.contract_support import CN_TRADER, PK_TRADER, Fair, draft_id, sign, terms
from tests.expo_support import CN, NOW
from tests.integration.test_expo_web import _post, browser

TWO_LINES = [
    {"hs_code": "8517.13", "description": {"en": "5G smartphone", "zh": "5G智能手机", "ur": "فون"},
     "origin": "CN", "quantity": 1000, "unit": "H87", "unit_price": "165.00", "currency": "USD"},
    {"hs_code": "8517.13", "description": {"en": "Spare phones"}, "origin": "CN",
     "quantity": 10, "unit": "H87", "unit_price": "150.50", "currency": "USD"},
]  # fmt: skip
TWO_SHIPMENTS = [
    {"ref": "S1", "earliest": "2027-04-01", "latest": "2027-04-15", "crossing": "KHUNJERAB"},
    {"ref": "S2", "earliest": "2027-05-01", "latest": "2027-05-15", "crossing": "KHUNJERAB"},
]


def _draft(f: Fair) -> int:
    return draft_id(f, lines=TWO_LINES, shipments=TWO_SHIPMENTS)


def _member(f: Fair, who) -> TestClient:
    return browser(f.expo, who.headers["Authorization"].removeprefix("Bearer "))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_draft_reads_as_a_contract_and_says_who_must_sign(f):
    cid = _draft(f)
    page = _member(f, f.pk).get(f"/ui/contracts/{cid}")
    assert page.status_code == 200
    text = _text(page.text)
    for seen in ("Kashgar Trading", CN_TRADER, "CN-URC", "Gilgit Mobiles", PK_TRADER, "PK-GB",
                 "FCA Kashgar", "30% advance, 70% against documents", "CISG; disputes to CIETAC",
                 "5G智能手机", "فون", "1000 H87", "165 USD", "150.5 USD", "KHUNJERAB",
                 "2027-05-15"):  # fmt: skip
        assert seen in text, seen
    assert "Total USD" in text
    total = Decimal("1000") * Decimal("165.00") + Decimal("10") * Decimal("150.50")
    assert f'data-total="USD"><strong>{total.normalize():f} USD' in page.text
    to_sign = re.search(r"data-to-sign>(.*?)</p>", page.text, re.S)
    assert to_sign and "Kashgar Trading" in to_sign.group(1) and "Gilgit" in to_sign.group(1)
    assert "data-signed-file" not in page.text and "data-registered" not in page.text
    assert 'id="browser-signing"' in page.text  # the signing section stays
    assert sign(f, cid, 1, f.cn).status_code == 201
    page = _member(f, f.pk).get(f"/ui/contracts/{cid}").text
    to_sign = re.search(r"data-to-sign>(.*?)</p>", page, re.S)
    assert to_sign and "Gilgit" in to_sign.group(1) and "Kashgar" not in to_sign.group(1)
    assert page.count('data-verdict="valid"') == 1


def test_a_signed_contract_shows_certificates_verdicts_downloads_and_customs(f, expo):
    cid = _draft(f)
    for name in ("CN-URC", "PK-GB"):
        set_node_address(expo.ctx, name, f"http://{name.lower()}")
    assert sign(f, cid, 1, f.cn).status_code == 201
    assert sign(f, cid, 1, f.pk).status_code == 201
    member = _member(f, f.cn)
    page = member.get(f"/ui/contracts/{cid}").text
    assert page.count('data-verdict="valid"') == 2 and "data-to-sign" not in page
    text = _text(page)
    assert "CN-URC" in text and "PK-GB" in text and NOW.strftime("%Y-%m-%d %H:%M:%S") in text
    assert "Smartphones" in text or "smartphones" in text.lower()  # the HS 2022 subheading
    for link in ("signed.json", "contract.pdf", "/ui/contracts/verify"):
        assert link in page, link
    pdf = member.get(f"/ui/contracts/{cid}/contract.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "data-registered" in page
    ucrs = re.findall(r"<code data-ucr>([^<]+)</code>", page)
    assert len(ucrs) == 2 and ucrs[0].endswith("-1") and ucrs[1].endswith("-2")
    with expo.ctx.uow() as uow:
        held = uow.contract_hash(str(cid))
        uow.add_clearance_result(
            ResultRecord(str(uuid.uuid4()), CN.administration, ucrs[0], "EX", "declared",
                         Decimal("166505"), "USD", NOW)
        )  # fmt: skip
        uow.commit()
    assert held and held in page
    page = member.get(f"/ui/contracts/{cid}").text
    stages = re.findall(r'data-stage="(\d)"', page)
    assert stages == ["1", "0"]
    page_url = f"/ui/contracts/{cid}"
    _post(member, page_url, "/ui/language", language="zh_Hans", to=page_url)
    zh = member.get(f"/ui/contracts/{cid}").text
    assert "已向海关节点登记" in zh and "交货安排" in zh and "已申报" in zh
    _post(member, page_url, "/ui/language", language="ur", to=page_url)
    ur = member.get(f"/ui/contracts/{cid}").text
    assert 'dir="rtl"' in ur and "کسٹمز نوڈز کے ساتھ رجسٹرڈ" in ur and "ترسیل کا شیڈول" in ur


def test_an_older_version_is_readable_and_outsiders_get_no_page(f, expo):
    cid = _draft(f)
    body = {"terms": terms(f.cn.id, payment_terms="100% advance")}
    f.client.post(f"/contracts/{cid}/versions", json=body, headers=f.cn.headers)
    member = _member(f, f.pk)
    assert "100% advance" in _text(member.get(f"/ui/contracts/{cid}").text)
    older = member.get(f"/ui/contracts/{cid}?version=1").text
    assert "data-older-version" in older and "30% advance" in _text(older)
    assert "data-to-sign" not in older  # only the latest version is signed
    assert member.get(f"/ui/contracts/{cid}?version=9").status_code == 404
    outsider = f.client.post("/participants", json={"attestation": CN.attest("X-1", "Outsider")})
    stranger = browser(expo, outsider.json()["api_key"])
    assert stranger.get(f"/ui/contracts/{cid}").status_code == 404
    assert stranger.get(f"/ui/contracts/{cid}/contract.pdf").status_code == 404
    assert browser(expo).get(f"/ui/contracts/{cid}").status_code == 401
