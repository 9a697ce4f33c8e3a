"""The signed contract's PDF at the expo (issue 19), on SQLite and PostgreSQL: once both
parties signed in JWS, the expo renders the signed version with its canonical JSON attached
byte for byte; each party signs it in PAdES with its own key (certified by its node's trader
CA) through interrupted signing; the result verifies offline (`karakoram contract verify
FILE.pdf`), through the API and on the public page. Refusals: a signature by a key other than
the presented certificate's, someone who is no party, a contract not signed yet, a certificate
of another trader, a stale prepared signature, a tampered PDF."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from karakoram.entrypoints.cli.main import app as karakoram_cli
from karakoram.expo.adapters.contract_pades import sign_to_be_signed
from karakoram.expo.adapters.contract_pdf_verify import embedded_json_of
from tests.contract_support import (
    CN_TRADER,
    PK_TRADER,
    Fair,
    Party,
    canonical_of,
    certified,
    draft_id,
    sign,
    signed_by_both,
)
from tests.expo_support import CN
from tests.integration.test_expo_web import _csrf, _post, browser


def _signed(f: Fair) -> int:
    cid = draft_id(f)
    signed_by_both(f, cid)
    return cid


def _prepare(f: Fair, cid: int, who: Party, cert: bytes | None = None):
    body = {} if cert is None else {"certificate": cert.decode()}
    return f.client.post(f"/contracts/{cid}/pdf/prepare", json=body, headers=who.headers)


def _finish(f: Fair, cid: int, who: Party, tbs: str, key: bytes | None = None):
    value = sign_to_be_signed(key or who.key_pem, base64.b64decode(tbs))
    body = {"signature": base64.b64encode(value).decode()}
    return f.client.post(f"/contracts/{cid}/pdf/signature", json=body, headers=who.headers)


def _pdf(f: Fair, cid: int, who: Party) -> bytes:
    answer = f.client.get(f"/contracts/{cid}/pdf", headers=who.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    return answer.content


def _trust(f: Fair, folder: Path) -> Path:
    folder.mkdir()
    for name, ca in f.cas.items():
        (folder / f"{name}.pem").write_text(ca.certificate_pem())
    return folder


def test_both_parties_sign_the_pdf_and_it_verifies_offline_by_api_and_on_the_page(
    f, expo, tmp_path
):
    cid = draft_id(f)
    early = f.client.get(f"/contracts/{cid}/pdf", headers=f.cn.headers)
    assert early.status_code == 409 and early.json()["code"] == "not_signed"
    assert _prepare(f, cid, f.cn).json()["code"] == "not_signed"
    assert sign(f, cid, 1, f.cn).status_code == 201
    assert _prepare(f, cid, f.cn).status_code == 409  # one JWS signature is not both
    assert sign(f, cid, 1, f.pk).status_code == 201
    rendition = _pdf(f, cid, f.pk)
    assert embedded_json_of(rendition) == canonical_of(f, cid, 1, f.cn)
    assert _pdf(f, cid, f.cn) == rendition  # rendered once, kept
    # the seller with the certificate of its JWS signature; the same request, the same bytes
    seller = _prepare(f, cid, f.cn)
    assert seller.status_code == 201, seller.text
    assert seller.json()["field_name"] == "seller"
    assert seller.json()["digest_algorithm"] == "sha512"  # Ed25519, the node CA's key type
    again = _prepare(f, cid, f.cn)
    assert again.status_code == 200 and again.json() == seller.json()
    first = _finish(f, cid, f.cn, seller.json()["to_be_signed"])
    assert first.status_code == 201 and first.json() == {
        "revision": 1, "field_name": "seller", "complete": False,
    }  # fmt: skip
    repeat = _finish(f, cid, f.cn, seller.json()["to_be_signed"])
    assert repeat.status_code == 200 and repeat.json()["revision"] == 1
    # the buyer presents another key its node certified, and signs on top
    key, cert, _ = certified(f.cas["PK-GB"], "PK-GB", PK_TRADER)
    buyer = _prepare(f, cid, f.pk, cert)
    assert buyer.status_code == 201 and buyer.json()["base_revision"] == 1
    done = _finish(f, cid, f.pk, buyer.json()["to_be_signed"], key)
    assert done.status_code == 201 and done.json()["complete"] is True
    signed = _pdf(f, cid, f.cn)
    assert signed.startswith(rendition) and len(signed) > len(rendition)
    assert embedded_json_of(signed) == canonical_of(f, cid, 1, f.cn)

    verdict = f.client.post(
        "/contracts/verify-pdf", content=signed, headers={"content-type": "application/pdf"}
    ).json()
    assert verdict["valid"] and verdict["json_matches"], verdict
    assert [s["field_name"] for s in verdict["signatures"]] == ["seller", "buyer"]

    (tmp_path / "c.pdf").write_bytes(signed)
    contract = f.client.get(f"/contracts/{cid}/signed", headers=f.cn.headers).json()
    (tmp_path / "c.json").write_text(json.dumps(contract))
    args = ["contract", "verify", str(tmp_path / "c.pdf"), "--trust-dir",
            str(_trust(f, tmp_path / "trust")), "--contract", str(tmp_path / "c.json")]  # fmt: skip
    ok = CliRunner().invoke(karakoram_cli, args)
    assert ok.exit_code == 0, ok.output
    assert "Valid: the PDF is signed by both parties." in ok.output
    assert "contract.json equals the contract: True" in ok.output

    visitor = browser(expo)
    token = _csrf(visitor.get("/ui/contracts/verify").text)
    files = {"file": ("contract.pdf", signed, "application/pdf")}
    page = visitor.post("/ui/contracts/verify", data={"csrf": token}, files=files).text
    assert "Valid: the PDF is signed by both parties" in page and "Kashgar Trading" in page
    _post(visitor, "/ui/contracts/verify", "/ui/language", language="zh_Hans",
          to="/ui/contracts/verify")  # fmt: skip
    token = _csrf(visitor.get("/ui/contracts/verify").text)
    page = visitor.post("/ui/contracts/verify", data={"csrf": token}, files=files).text
    assert "PDF 签名" in page


def test_a_signature_by_a_key_other_than_the_certificates_is_refused_and_nothing_kept(f):
    cid = _signed(f)
    rendition = _pdf(f, cid, f.cn)
    seller = _prepare(f, cid, f.cn).json()
    other_key, _, _ = certified(f.cas["CN-URC"], "CN-URC", CN_TRADER)
    refused = _finish(f, cid, f.cn, seller["to_be_signed"], other_key)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0] == {
        "code": "signature_key_mismatch", "pointer": "/signature",
        "message": refused.json()["errors"][0]["message"],
    }  # fmt: skip
    assert _pdf(f, cid, f.cn) == rendition
    garbage = f.client.post(
        f"/contracts/{cid}/pdf/signature", json={"signature": "%%"}, headers=f.cn.headers
    )
    assert garbage.status_code == 422 and garbage.json()["errors"][0]["code"] == "not_base64"
    assert _finish(f, cid, f.cn, seller["to_be_signed"]).status_code == 201


def test_no_party_no_pdf_and_another_traders_certificate_is_refused(f, expo):
    cid = _signed(f)
    outsider = f.client.post("/participants", json={"attestation": CN.attest("X-1", "Outsider")})
    headers = {"Authorization": f"Bearer {outsider.json()['api_key']}"}
    assert f.client.get(f"/contracts/{cid}/pdf", headers=headers).status_code == 404
    assert (
        f.client.post(f"/contracts/{cid}/pdf/prepare", json={}, headers=headers).status_code == 404
    )
    assert (
        f.client.post(
            f"/contracts/{cid}/pdf/signature", json={"signature": "AA=="}, headers=headers
        ).status_code
        == 404
    )
    assert f.client.get(f"/contracts/{cid}/pdf").status_code == 401
    assert f.client.post(f"/contracts/{cid}/pdf/prepare", json={}).status_code == 401
    # the buyer presenting the seller's certificate; a certificate from the other node's CA
    wrong = _prepare(f, cid, f.pk, f.cn.cert_pem)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "wrong_trader"
    _, forged, _ = certified(f.cas["CN-URC"], "PK-GB", PK_TRADER)
    untrusted = _prepare(f, cid, f.pk, forged)
    assert untrusted.json()["errors"][0]["code"] == "untrusted_certificate"
    junk = _prepare(f, cid, f.pk, b"not a certificate")
    assert junk.status_code == 422 and junk.json()["errors"][0]["pointer"] == "/certificate"
    finish = _finish(f, cid, f.pk, base64.b64encode(b"x").decode())
    assert finish.status_code == 409 and finish.json()["code"] == "not_prepared"


def test_a_signature_prepared_before_the_other_partys_is_stale_and_prepared_again(f):
    cid = _signed(f)
    seller = _prepare(f, cid, f.cn).json()
    buyer = _prepare(f, cid, f.pk).json()
    assert seller["base_revision"] == buyer["base_revision"] == 0
    assert _finish(f, cid, f.pk, buyer["to_be_signed"]).status_code == 201
    stale = _finish(f, cid, f.cn, seller["to_be_signed"])
    assert stale.status_code == 409 and stale.json()["code"] == "stale_pdf"
    again = _prepare(f, cid, f.cn).json()
    assert again["base_revision"] == 1
    assert _finish(f, cid, f.cn, again["to_be_signed"]).json()["complete"] is True
    twice = _prepare(f, cid, f.cn)
    assert twice.status_code == 409 and twice.json()["code"] == "already_signed"


def test_a_tampered_or_half_signed_pdf_is_refused_on_the_page_and_offline(f, expo, tmp_path):
    cid = _signed(f)
    prepared = _prepare(f, cid, f.cn).json()
    assert _finish(f, cid, f.cn, prepared["to_be_signed"]).status_code == 201
    half = _pdf(f, cid, f.cn)
    signed = _both_sign_the_pdf_from(f, cid)
    at = signed.index(b"/Producer")  # a byte inside the signed range
    tampered = signed[:at] + b"/Producar" + signed[at + 9 :]
    visitor = browser(expo)

    def upload(pdf: bytes) -> str:
        token = _csrf(visitor.get("/ui/contracts/verify").text)
        files = {"file": ("c.pdf", pdf, "application/pdf")}
        answer = visitor.post("/ui/contracts/verify", data={"csrf": token}, files=files)
        assert answer.status_code == 200
        return answer.text

    page = upload(tampered)
    assert "Not valid." in page and "signature_not_intact" in page
    assert "signature_missing:PK-GB:PK-9000" in upload(half)
    assert "Valid: the PDF is signed by both parties" in upload(signed)
    (tmp_path / "t.pdf").write_bytes(tampered)
    args = ["contract", "verify", str(tmp_path / "t.pdf"), "--trust-dir",
            str(_trust(f, tmp_path / "trust"))]  # fmt: skip
    refused = CliRunner().invoke(karakoram_cli, args)
    assert refused.exit_code == 1 and "REFUSED" in refused.output
    (tmp_path / "s.pdf").write_bytes(signed)
    (tmp_path / "other.json").write_bytes(b'{"format": "karakoram-contract/1"}')
    other = [
        *args[:2],
        str(tmp_path / "s.pdf"),
        *args[3:],
        "--contract",
        str(tmp_path / "other.json"),
    ]
    differs = CliRunner().invoke(karakoram_cli, other)
    assert differs.exit_code == 1 and "attachment_differs" in differs.output


def _both_sign_the_pdf_from(f: Fair, cid: int) -> bytes:
    buyer = _prepare(f, cid, f.pk).json()
    assert _finish(f, cid, f.pk, buyer["to_be_signed"]).json()["complete"] is True
    return _pdf(f, cid, f.cn)


#: who reaches the PDF routes: the contract's parties (signed in), or anyone (the check)
ACCESS = {
    "GET /contracts/{contract_id}/pdf": "party",
    "POST /contracts/{contract_id}/pdf/prepare": "party",
    "POST /contracts/{contract_id}/pdf/signature": "party",
    "POST /contracts/verify-pdf": "anyone",
}


def test_the_pdf_routes_are_documented_with_examples_and_open_only_to_the_parties(f):
    from openapi_spec_validator import validate

    schema = f.client.get("/openapi.json").json()
    validate(schema)
    ops = {f"{m.upper()} {p}": op for p, item in schema["paths"].items() for m, op in item.items()}
    assert set(ACCESS) <= set(ops)
    models = schema["components"]["schemas"]
    for name in ("PrepareIn", "PreparedOut", "SignatureIn", "PdfSignedOut", "PdfVerdictOut"):
        assert models[name]["examples"], name
    assert (
        "application/pdf" in ops["GET /contracts/{contract_id}/pdf"]["responses"]["200"]["content"]
    )
    assert "application/pdf" in ops["POST /contracts/verify-pdf"]["requestBody"]["content"]
    cid = _signed(f)
    for key, who in ACCESS.items():
        method, path = key.split(" ")
        url = path.format(contract_id=cid)
        body = {"signature": "AA=="} if url.endswith("signature") else {}
        anonymous = f.client.request(method, url, json=body if method == "POST" else None)
        if who == "anyone":
            assert anonymous.status_code == 200, key
        else:
            assert anonymous.status_code == 401, key


def test_sign_pdf_prepares_signs_on_the_traders_machine_and_finishes(f, tmp_path, monkeypatch):
    cid = _signed(f)
    (tmp_path / "me.key").write_bytes(f.pk.key_pem)
    (tmp_path / "me.crt.pem").write_bytes(f.pk.cert_pem)
    app = f.client.app

    def client(*, headers: dict[str, str], timeout: float) -> TestClient:
        return TestClient(app, base_url="http://expo.test", headers=headers)

    monkeypatch.setattr("karakoram.expo.entrypoints.contract_cli.httpx.Client", client)
    key = f.pk.headers["Authorization"].removeprefix("Bearer ")
    args = ["contract", "sign-pdf", str(cid), "--key", str(tmp_path / "me.key"), "--expo",
            "http://expo.test", "--api-key", key, "--out", str(tmp_path / "c.pdf")]  # fmt: skip
    done = CliRunner().invoke(karakoram_cli, args)
    assert done.exit_code == 0, done.output
    assert "as buyer (revision 1; both parties: False)" in done.output
    assert (tmp_path / "c.pdf").read_bytes() == _pdf(f, cid, f.pk)
    again = CliRunner().invoke(karakoram_cli, args)
    assert again.exit_code == 1 and "already_signed" in again.output


def test_a_pdf_of_a_version_not_signed_is_refused_on_the_page_though_its_signatures_hold(f, expo):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from karakoram.expo.adapters.contract_pades import finish_signature, prepare_signature

    cid = draft_id(f)  # drafted, never signed in JWS: the expo offers no PDF of it
    assert f.client.get(f"/contracts/{cid}/pdf", headers=f.cn.headers).status_code == 409
    pdf = expo.ctx.pdf.render(canonical_of(f, cid, 1, f.cn))  # the parties make one themselves
    for field, who in (("seller", f.cn), ("buyer", f.pk)):
        der = x509.load_pem_x509_certificate(who.cert_pem).public_bytes(Encoding.DER)
        pending = prepare_signature(pdf, der, field_name=field)
        pdf = finish_signature(pending, sign_to_be_signed(who.key_pem, pending.to_be_signed))
    verdict = f.client.post("/contracts/verify-pdf", content=pdf).json()
    assert verdict["problems"] == ["contract_not_signed"], verdict
    assert all(s["valid"] and s["trusted"] for s in verdict["signatures"])
