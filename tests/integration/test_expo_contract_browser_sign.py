"""What the contract page's script asks of the expo to sign in the browser (issue 19), on
SQLite and PostgreSQL: the version's payload to sign, the signature member posted with the
page's CSRF token and checked as the API checks it (refusals as problem+json with the
reason's code, nothing stored), and the signed file to download once both parties signed."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

from cryptography import x509
from fastapi.testclient import TestClient

from karakoram.expo.adapters.contract_jws import sign_member
from karakoram.expo.services.contract_verify import expo_trust, verify
from tests.contract_support import Fair, Party, canonical_of, draft_id
from tests.expo_support import NOW
from tests.integration.test_expo_web import _post as _form
from tests.integration.test_expo_web import browser

JSON = {"Accept": "application/json"}


def _page_of(f: Fair, who: Party, cid: int) -> tuple[TestClient, str]:
    """A browser signed in as `who` on the contract's page, and the page's CSRF token."""
    member = browser(f.expo, who.headers["Authorization"].removeprefix("Bearer "))
    page = member.get(f"/ui/contracts/{cid}")
    assert page.status_code == 200
    found = re.search(r'data-csrf="([^"]+)"', page.text)
    assert found, "no signing section on the page"
    return member, found.group(1)


def _post(client: TestClient, cid: int, member: object, csrf: str, version: int = 1):
    return client.post(
        f"/ui/contracts/{cid}/versions/{version}/signatures", json=member,
        headers={**JSON, "X-CSRF-Token": csrf},
    )  # fmt: skip


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_the_page_signs_what_the_api_would_and_the_file_verifies(f):
    cid = draft_id(f)
    files = {}
    for who in (f.cn, f.pk):
        client, csrf = _page_of(f, who, cid)
        page = client.get(f"/ui/contracts/{cid}").text
        assert '<script src="/ui/static/contract-sign.js"></script>' in page
        assert 'data-typ="jose+json"' in page and 'data-version="1"' in page
        got = client.get(f"/ui/contracts/{cid}/versions/1/signing-payload", headers=JSON)
        assert got.status_code == 200
        payload = _b64url_decode(got.json()["payload"])
        assert payload == canonical_of(f, cid, 1, who)
        member = sign_member(payload, who.key_pem, who.cert_pem, NOW)
        done = _post(client, cid, member, csrf)
        assert done.status_code == 201, done.text
        assert _post(client, cid, member, csrf).status_code == 200
        assert "data-signed-by-me" in client.get(f"/ui/contracts/{cid}").text or who is f.pk
        files[who.id] = client
    assert files[f.pk.id].get(f"/ui/contracts/{cid}").text.count("data-signed-file") == 1
    download = files[f.cn.id].get(f"/ui/contracts/{cid}/signed.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    crypto, trust = expo_trust(f.expo.ctx)
    verdict = verify(download.json(), crypto, trust)
    assert verdict.valid and [s.valid for s in verdict.signers] == [True, True]


def test_refused_signatures_are_problems_with_a_reason_and_change_nothing(f):
    cid = draft_id(f)
    client, csrf = _page_of(f, f.pk, cid)
    payload = canonical_of(f, cid, 1, f.pk)
    good = sign_member(payload, f.pk.key_pem, f.pk.cert_pem, NOW)
    ca = f.cas["PK-GB"]
    serial = x509.load_pem_x509_certificate(f.pk.cert_pem).serial_number
    crl = ca.revocation_list([(serial, NOW - timedelta(hours=1))], NOW, NOW + timedelta(days=1))
    assert f.client.put("/trader-cas/PK-GB/crl", json={"crl": crl}).status_code == 204
    for member, status, code, pointer in (
        (good, 422, "certificate_revoked", "/protected/x5c"),
        ({"protected": "e30", "signature": "AA"}, 422, "malformed_signature", "/protected"),
        ({**good, "signature": good["signature"][::-1]}, 422, "bad_signature", None),
    ):
        answer = _post(client, cid, member, csrf)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        (error,) = answer.json()["errors"]
        assert error["code"] == code and (pointer is None or error["pointer"] == pointer)
    not_json = client.post(
        f"/ui/contracts/{cid}/versions/1/signatures", content=b"{", headers={
            **JSON, "X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )  # fmt: skip
    assert not_json.status_code == 422
    assert not_json.headers["content-type"].startswith("application/problem+json")
    no_csrf = _post(client, cid, good, "")
    assert no_csrf.status_code == 403 and no_csrf.json()["status"] == 403
    old = _post(client, cid, good, csrf, version=9)
    assert old.json()["errors"][0]["code"] == "old_version"
    assert f.client.get(f"/contracts/{cid}", headers=f.pk.headers).json()["signatures"] == []
    unsigned = client.get(f"/ui/contracts/{cid}/signed.json", headers=JSON)
    assert unsigned.status_code == 409 and unsigned.json()["code"] == "not_signed"


def test_outsiders_get_no_payload_and_post_no_signature(f, expo):
    cid = draft_id(f)
    visitor = browser(expo)
    answer = visitor.get(f"/ui/contracts/{cid}/versions/1/signing-payload", headers=JSON)
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    page = visitor.get(f"/ui/contracts/{cid}/versions/1/signing-payload")
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")


def test_the_signing_section_speaks_the_reader_s_language(f):
    cid = draft_id(f)
    client, _ = _page_of(f, f.cn, cid)
    for language, button, key_text in (
        ("zh_Hans", "在此浏览器中签署", "在此浏览器中生成签名密钥"),
        ("ur", "اس براؤزر میں دستخط کریں", "اس براؤزر میں دستخطی کلید بنائیں"),
    ):
        page = f"/ui/contracts/{cid}"
        _form(client, page, "/ui/language", language=language, to=page)
        text = client.get(page).text
        assert button in text and key_text in text
