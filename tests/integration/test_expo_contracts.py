"""Contracts at the expo (issue 19), on SQLite and PostgreSQL, through its API: drafted in a
discussion with the customs nodes' line checks, versioned (the same terms again are no new
version, a stale edit is refused), compared side by side; signed by both parties with keys
their nodes certified, each signature checked and countersigned when received; and every
refusal the issue names: wrong key, another trader's certificate, an expired or revoked
certificate, a signature on an older version, a missing second signature."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from cryptography import x509
from typer.testing import CliRunner

from karakoram.entrypoints.cli.main import app as karakoram_cli
from tests.contract_support import (
    CN_TRADER,
    PK_TRADER,
    Fair,
    canonical_of,
    certified,
    draft,
    draft_id,
    sign,
    signed_by_both,
    terms,
)
from tests.expo_support import NOW
from tests.integration.test_expo_web import _csrf, _post, browser


def test_a_draft_is_checked_as_customs_checks_lines_and_lists_every_problem(f):
    bad = terms(
        f.cn.id,
        lines=[{"hs_code": "999999", "description": {"fr": "x"}, "origin": "XX", "quantity": -1,
                "unit": "BOX", "unit_price": "1", "currency": "ZZZ"}],
        incoterms={"rule": "FOB2", "place": "Kashgar"},
        shipments=[{"ref": "S1", "earliest": "2027-04-15", "latest": "2027-04-01"}],
    )  # fmt: skip
    answer = f.client.post(f"/threads/{f.sid}/contracts", json=bad, headers=f.cn.headers)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    found = {(e["code"], e["pointer"]) for e in answer.json()["errors"]}
    assert {
        ("unknown_hs_code", "/lines/0/hs_code"), ("unknown_language", "/lines/0/description/fr"),
        ("unknown_country", "/lines/0/origin"), ("not_positive", "/lines/0/quantity"),
        ("unknown_unit", "/lines/0/unit"), ("unknown_currency", "/lines/0/currency"),
        ("unknown_incoterm", "/incoterms/rule"), ("dates_reversed", "/shipments/0/latest"),
        ("required", "/shipments/0/crossing"),
    } <= found  # fmt: skip
    seller = f.client.post(f"/threads/{f.sid}/contracts", json=terms(999), headers=f.cn.headers)
    assert seller.json()["errors"][0]["pointer"] == "/seller"
    assert f.client.get("/contracts/1", headers=f.cn.headers).status_code == 404


def test_drafting_twice_is_one_contract_and_each_edit_one_version(f):
    first = draft(f)
    again = f.client.post(f"/threads/{f.sid}/contracts", json=terms(f.cn.id), headers=f.pk.headers)
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    cid = first["id"]
    doc = first["latest"]["document"]
    assert (doc["seller"]["trader_id"], doc["buyer"]["trader_id"]) == (CN_TRADER, PK_TRADER)
    assert doc["lines"][0] == {
        "hs_code": "851713", "description": {"en": "5G smartphone", "zh": "5G智能手机"},
        "origin": "CN", "quantity": "1000", "unit": "H87", "unit_price": "165",
        "currency": "USD", "amount": "165000",
    }  # fmt: skip
    lines = [{**terms(f.cn.id)["lines"][0], "unit_price": "160"}]
    body = {"base_version": 1, "terms": terms(f.cn.id, lines=lines)}
    v2 = f.client.post(f"/contracts/{cid}/versions", json=body, headers=f.pk.headers)
    assert v2.status_code == 201 and v2.json()["versions"] == 2
    same = f.client.post(f"/contracts/{cid}/versions", json=body, headers=f.pk.headers)
    assert same.status_code == 200 and same.json()["versions"] == 2
    stale = {"base_version": 1, "terms": terms(f.cn.id, payment_terms="100% advance")}
    refused = f.client.post(f"/contracts/{cid}/versions", json=stale, headers=f.cn.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "stale_version"
    diff = f.client.get(f"/contracts/{cid}/diff?from=1&to=2", headers=f.cn.headers).json()
    assert diff == [
        {"pointer": "/lines/0/unit_price", "before": "165", "after": "160"},
        {"pointer": "/lines/0/amount", "before": "165000", "after": "160000"},
    ]


def test_outsiders_see_no_contract(f, expo):
    from tests.expo_support import CN

    cid = draft_id(f)
    other = f.client.post("/participants", json={"attestation": CN.attest("X-1", "Outsider")})
    headers = {"Authorization": f"Bearer {other.json()['api_key']}"}
    assert f.client.get(f"/contracts/{cid}", headers=headers).status_code == 404
    assert f.client.get(f"/contracts/{cid}").status_code == 401
    drafted = f.client.post(f"/threads/{f.sid}/contracts", json=terms(f.cn.id), headers=headers)
    assert drafted.status_code == 404


def test_both_parties_sign_and_the_file_verifies(f):
    cid = draft_id(f)
    early = f.client.get(f"/contracts/{cid}/signed", headers=f.cn.headers)
    assert early.status_code == 409 and early.json()["code"] == "not_signed"
    first = sign(f, cid, 1, f.cn)
    assert first.status_code == 201, first.text
    assert sign(f, cid, 1, f.cn).status_code == 200  # the same member again: the one held
    assert sign(f, cid, 1, f.pk).status_code == 201
    held = f.client.get(f"/contracts/{cid}", headers=f.pk.headers).json()
    assert held["status"] == "signed" and len(held["signatures"]) == 2
    signed = f.client.get(f"/contracts/{cid}/signed", headers=f.pk.headers).json()
    assert len(signed["signatures"]) == 2
    verdict = f.client.post("/contracts/verify", json=signed).json()
    assert verdict["valid"], verdict
    assert [s["role"] for s in verdict["signers"]] == ["seller", "buyer"]
    assert verdict["signers"][0]["received_at"] == NOW.isoformat()
    edit = {"terms": terms(f.cn.id, payment_terms="changed")}
    late = f.client.post(f"/contracts/{cid}/versions", json=edit, headers=f.cn.headers)
    assert late.status_code == 409 and late.json()["code"] == "contract_signed"


def _refusal(answer) -> str:
    assert answer.status_code == 422, answer.text
    return answer.json()["errors"][0]["code"]


def test_a_signature_by_another_key_or_for_another_trader_is_refused(f):
    cid = draft_id(f)
    other_key, _, _ = certified(f.cas["CN-URC"], "CN-URC", CN_TRADER)
    assert _refusal(sign(f, cid, 1, f.cn, key=other_key)) == "bad_signature"
    # the PK trader signing with the CN trader's certified key and certificate
    assert _refusal(sign(f, cid, 1, f.pk, key=f.cn.key_pem, cert=f.cn.cert_pem)) == "wrong_trader"
    # a certificate for the PK trader's name, issued by the other node's CA
    forged_key, forged_cert, _ = certified(f.cas["CN-URC"], "PK-GB", PK_TRADER)
    answer = sign(f, cid, 1, f.pk, key=forged_key, cert=forged_cert)
    assert _refusal(answer) == "untrusted_certificate"
    tampered = canonical_of(f, cid, 1, f.cn).replace(b"165000", b"165001")
    assert _refusal(sign(f, cid, 1, f.cn, payload=tampered)) == "bad_signature"
    assert f.client.get(f"/contracts/{cid}", headers=f.cn.headers).json()["signatures"] == []


def test_an_expired_or_revoked_certificate_is_refused(f):
    cid = draft_id(f)
    old_key, old_cert, _ = certified(
        f.cas["CN-URC"], "CN-URC", CN_TRADER, start=NOW - timedelta(days=40),
        end=NOW - timedelta(days=10),
    )  # fmt: skip
    answer = sign(f, cid, 1, f.cn, key=old_key, cert=old_cert)
    assert _refusal(answer) == "certificate_expired"
    ca = f.cas["PK-GB"]
    serial = x509.load_pem_x509_certificate(f.pk.cert_pem).serial_number
    crl = ca.revocation_list([(serial, NOW - timedelta(hours=1))], NOW, NOW + timedelta(days=1))
    put = f.client.put("/trader-cas/PK-GB/crl", json={"crl": crl})
    assert put.status_code == 204
    forged = f.cas["CN-URC"].revocation_list([], NOW, NOW + timedelta(days=1))
    assert f.client.put("/trader-cas/PK-GB/crl", json={"crl": forged}).status_code == 422
    assert _refusal(sign(f, cid, 1, f.pk)) == "certificate_revoked"


def test_a_signature_on_an_older_version_is_refused(f):
    cid = draft_id(f)
    v1 = canonical_of(f, cid, 1, f.cn)
    body = {"terms": terms(f.cn.id, payment_terms="100% advance")}
    assert (
        f.client.post(f"/contracts/{cid}/versions", json=body, headers=f.pk.headers).status_code
        == 201
    )
    assert _refusal(sign(f, cid, 1, f.cn)) == "old_version"
    # version 1's bytes sent as a signature of version 2
    assert _refusal(sign(f, cid, 2, f.cn, payload=v1)) == "bad_signature"
    assert sign(f, cid, 2, f.cn).status_code == 201


def _signed(f: Fair) -> dict:
    cid = draft_id(f)
    signed_by_both(f, cid)
    return f.client.get(f"/contracts/{cid}/signed", headers=f.cn.headers).json()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _verdict(f: Fair, file: dict) -> dict:
    answer = f.client.post("/contracts/verify", json=file)
    assert answer.status_code == 200
    return answer.json()


def test_a_tampered_or_incomplete_file_is_refused_with_its_reason(f):
    signed = _signed(f)
    payload = base64.urlsafe_b64decode(signed["payload"] + "==")
    tampered = {**signed, "payload": _b64(payload.replace(b"165000", b"165001"))}
    verdict = _verdict(f, tampered)
    assert not verdict["valid"]
    assert all("does not verify" in s["problem"] for s in verdict["signers"])
    seller, buyer = signed["signatures"]
    one = _verdict(f, {**signed, "signatures": [seller]})
    assert not one["valid"] and one["signers"][1]["problem"] == "No signature of the buyer."
    swapped = {**seller, "header": buyer["header"]}  # the buyer's receipt on the seller's member
    wrong = _verdict(f, {**signed, "signatures": [swapped, buyer]})
    assert not wrong["valid"] and "receipt is of another" in wrong["signers"][0]["problem"]
    assert not _verdict(f, {"payload": "e30", "signatures": []})["valid"]
    assert _verdict(f, signed)["valid"]


def test_contract_verify_checks_a_file_offline(f, tmp_path):
    signed = _signed(f)
    (tmp_path / "contract.json").write_text(json.dumps(signed))
    (tmp_path / "expo.jwk").write_text(json.dumps(f.client.get("/receipt-key").json()))
    trust = tmp_path / "trust"
    trust.mkdir()
    for name, ca in f.cas.items():
        (trust / f"{name}.pem").write_text(ca.certificate_pem())
    args = ["contract", "verify", str(tmp_path / "contract.json"),
            "--expo-key", str(tmp_path / "expo.jwk"), "--trust-dir", str(trust)]  # fmt: skip
    ok = CliRunner().invoke(karakoram_cli, args)
    assert ok.exit_code == 0, ok.output
    assert "Valid: signed by both parties." in ok.output
    (trust / "CN-URC.pem").unlink()
    untrusted = CliRunner().invoke(karakoram_cli, args)
    assert untrusted.exit_code == 1
    assert "No trusted customs node's CA" in untrusted.output


def test_the_public_page_verifies_an_uploaded_contract_in_three_languages(f, expo):
    signed = _signed(f)
    visitor = browser(expo)
    token = _csrf(visitor.get("/ui/contracts/verify").text)

    def upload(data: dict) -> str:
        files = {"file": ("contract.json", json.dumps(data).encode(), "application/json")}
        answer = visitor.post("/ui/contracts/verify", data={"csrf": token}, files=files)
        assert answer.status_code == 200
        return answer.text

    page = upload(signed)
    assert "Valid: signed by both parties." in page and "Kashgar Trading" in page
    assert "Gilgit Mobiles" in page and "851713" in page and NOW.isoformat() in page
    one = upload({**signed, "signatures": signed["signatures"][:1]})
    assert "Not valid." in one and "No signature of the buyer." in one
    for language, valid in (("zh_Hans", "有效：双方均已签署。"), ("ur", "درست: دونوں فریقوں")):
        _post(visitor, "/ui/contracts/verify", "/ui/language", language=language,
              to="/ui/contracts/verify")  # fmt: skip
        token = _csrf(visitor.get("/ui/contracts/verify").text)
        assert valid in upload(signed)


def test_a_member_sees_two_versions_side_by_side(f, expo):
    cid = draft_id(f)
    body = {"terms": terms(f.cn.id, payment_terms="100% advance")}
    f.client.post(f"/contracts/{cid}/versions", json=body, headers=f.cn.headers)
    listed = f.client.get(f"/threads/{f.sid}/contracts", headers=f.pk.headers).json()
    assert [(c["id"], c["status"]) for c in listed] == [(cid, "draft")]
    member = browser(expo, f.cn.headers["Authorization"].removeprefix("Bearer "))
    assert f'href="/ui/contracts/{cid}"' in member.get(f"/ui/threads/{f.sid}").text
    page = member.get(f"/ui/contracts/{cid}")
    assert page.status_code == 200
    assert "/payment_terms" in page.text and "100% advance" in page.text
    assert "30% advance, 70% against documents" in page.text
    assert browser(expo).get(f"/ui/contracts/{cid}").status_code == 401


def test_the_cli_signs_on_the_traders_machine_what_the_expo_accepts(f, tmp_path):
    cid = draft_id(f)
    (tmp_path / "c.json").write_bytes(canonical_of(f, cid, 1, f.pk))
    (tmp_path / "me.key").write_bytes(f.pk.key_pem)
    (tmp_path / "me.crt.pem").write_bytes(f.pk.cert_pem)
    done = CliRunner().invoke(
        karakoram_cli,
        ["contract", "sign", str(tmp_path / "c.json"), "--key", str(tmp_path / "me.key")],
    )
    assert done.exit_code == 0, done.output
    member = json.loads(done.output)
    assert set(member) == {"protected", "signature"}
    answer = f.client.post(
        f"/contracts/{cid}/versions/1/signatures", json=member, headers=f.pk.headers
    )
    assert answer.status_code == 201, answer.text
