"""The trader's "Signing key" page on its node (issue 19), on SQLite and PostgreSQL: a
certificate signing request made in a browser is certified for the signed-in trader and the
certificate shown to copy; a request that proves nothing, or names another trader, is refused
on the page in the reader's language and stores nothing; a lost key is replaced (the old
certificate revoked with the new one, or on its own), and the CA's revocation list names it."""

from __future__ import annotations

import html
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from karakoram.bootstrap_parts import trader_ca
from tests.builders import OTHER_TRADER, TRADER
from tests.integration.test_web import csrf_of, sign_in


@pytest.fixture
def ca(node, tmp_path):
    node.ctx.trader_ca = trader_ca(tmp_path / "keys" / "signing.key", node.ctx.administration)
    return node.ctx.trader_ca


def _csr(name: str = TRADER) -> str:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    request = x509.CertificateSigningRequestBuilder().subject_name(subject)
    signed = request.sign(Ed25519PrivateKey.generate(), None)
    return signed.public_bytes(serialization.Encoding.PEM).decode()


def _certificate(page: str) -> x509.Certificate:
    found = re.search(r'<textarea id="certificate"[^>]*>([^<]+)</textarea>', page)
    assert found, "no certificate on the page"
    return x509.load_pem_x509_certificate(html.unescape(found.group(1)).encode())


def _revoked(client) -> set[int]:
    crl = x509.load_pem_x509_crl(client.get("/trader-ca/crl").text.encode())
    return {r.serial_number for r in crl}


def test_a_trader_certifies_a_browser_key_on_its_node_s_page(ca, client, keys):
    home = sign_in(client, keys.trader)
    assert 'href="/ui/signing-key"' in client.get("/ui").text
    page = client.get("/ui/signing-key")
    assert page.status_code == 200 and "No certificate yet." in page.text
    assert "<script" not in page.text.split("</header>", 1)[1]  # the page needs no script
    done = client.post("/ui/signing-key", data={"csrf": csrf_of(home), "csr": _csr(), "days": "7"})
    assert done.status_code == 201, done.text
    cert = _certificate(done.text)
    ca_cert = x509.load_pem_x509_certificate(client.get("/trader-ca/certificate").text.encode())
    cert.verify_directly_issued_by(ca_cert)
    assert f'data-serial="{cert.serial_number}"' in done.text
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 7
    listed = client.get("/trader-keys", headers=keys.trader).json()
    assert [c["serial"] for c in listed] == [str(cert.serial_number)]
    zh = client.get("/ui/signing-key", headers={"Accept-Language": "zh-CN"})
    assert "签名密钥" in zh.text and str(cert.serial_number) in zh.text


@pytest.mark.parametrize(
    ("csr", "status", "says"),
    [
        ("not a request", 422, "This is not a certificate signing request"),
        (_csr(OTHER_TRADER), 403, "The request names another trader"),
    ],
)
def test_a_request_that_proves_nothing_is_refused_on_the_page(ca, client, keys, csr, status, says):
    home = sign_in(client, keys.trader)
    answer = client.post("/ui/signing-key", data={"csrf": csrf_of(home), "csr": csr})
    assert answer.status_code == status
    assert says in answer.text and html.escape(csr.strip().splitlines()[0]) in answer.text
    assert client.get("/trader-keys", headers=keys.trader).json() == []
    forged = client.post("/ui/signing-key", data={"csrf": "forged", "csr": _csr()})
    assert forged.status_code == 403
    assert client.get("/trader-keys", headers=keys.trader).json() == []


def _revoke(client, token: str, serial: object):
    return client.post("/ui/signing-key/revoke", data={"csrf": token, "serial": str(serial)})


def test_a_lost_key_is_replaced_and_the_old_certificate_revoked(ca, client, keys):
    home = sign_in(client, keys.trader)
    token = csrf_of(home)
    first = _certificate(client.post("/ui/signing-key", data={"csrf": token, "csr": _csr()}).text)
    second = _certificate(client.post("/ui/signing-key", data={"csrf": token, "csr": _csr()}).text)
    assert _revoked(client) == set()
    revoke = _revoke(client, token, first.serial_number)
    assert revoke.status_code == 200 and "data-revoked" in revoke.text
    assert _revoked(client) == {first.serial_number}
    again = _revoke(client, token, first.serial_number)
    assert again.status_code == 200 and _revoked(client) == {first.serial_number}
    for bad, status in (("12ab", 422), ("", 422), ("7", 404)):
        assert _revoke(client, token, bad).status_code == status
    data = {"csrf": token, "csr": _csr(), "replace": "1"}
    third = client.post("/ui/signing-key", data=data)
    assert third.status_code == 201
    assert _revoked(client) == {first.serial_number, second.serial_number}
    states = {c["serial"]: c["revoked_at"] is None for c in client.get(
        "/trader-keys", headers=keys.trader).json()}  # fmt: skip
    assert states == {str(first.serial_number): False, str(second.serial_number): False,
                      str(_certificate(third.text).serial_number): True}  # fmt: skip


def test_no_one_revokes_another_trader_s_certificate(ca, client, keys):
    token = csrf_of(sign_in(client, keys.trader))
    mine = _certificate(client.post("/ui/signing-key", data={"csrf": token, "csr": _csr()}).text)
    client.cookies.clear()
    other = csrf_of(sign_in(client, keys.other))
    answer = _revoke(client, other, mine.serial_number)
    assert answer.status_code == 404 and _revoked(client) == set()
    client.cookies.clear()
    officer = csrf_of(sign_in(client, keys.officer))
    assert client.get("/ui/signing-key").status_code == 403
    refused = _revoke(client, officer, mine.serial_number)
    assert refused.status_code == 403 and _revoked(client) == set()
