"""Issue 17 over the HTTP API, on SQLite and PostgreSQL: attachments (typed by their content,
SVG refused, size limit, kept once by hash, who may read them, the sandboxing headers), the
release note as PDF (its text holds the MRN, Chinese and Urdu) and its QR code's checks (valid,
tampered, another key; by the node and offline)."""

from __future__ import annotations

import base64
import io
import json

import pypdf
import segno  # noqa: F401  (the PDF maker's QR library must be installed)
import uuid6
from sqlalchemy import func, select

from karakoram.adapters.db.attachment_blobs import attachment_blobs
from karakoram.adapters.exchange.signing import JwsCrypto, Signer, new_key, public_jwk
from karakoram.bootstrap_parts import token_verifier
from karakoram.domain.declaration.release_note import ReleaseNoteRefused
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.release_note import verify_token
from tests.builders import declaration
from tests.integration.test_clearance import lodge, policy  # noqa: F401  (fixture)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
XML = b'<?xml version="1.0"?><invoice><total>10</total></invoice>'
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>'


def _signing(node, kid="cn-1"):
    key = new_key(kid)
    crypto = JwsCrypto(Signer(key, kid))
    node.ctx.exchange = ExchangeConfig(
        node.ctx.administration,
        crypto,
        lambda: str(uuid6.uuid7()),
        own_key=crypto.public_key(),
    )
    return key


def _attach(client, headers, mrn, name, content, content_type="application/pdf"):
    files = {"file": (name, content, content_type)}
    return client.post(f"/attachments/{mrn}", files=files, headers=headers)


def test_a_document_is_typed_by_its_content_and_kept_once(node, client, keys):
    mrn = lodge(client, keys, declaration())["mrn"]
    first = _attach(client, keys.trader, mrn, "invoice.pdf", PDF)
    assert first.status_code == 201, first.text
    assert first.json()["media_type"] == "application/pdf"
    again = _attach(client, keys.trader, mrn, "copy-of-invoice.pdf", PDF)
    assert again.status_code == 200 and again.json()["sha256"] == first.json()["sha256"]
    # a PNG sent as "scan.pdf" with a PDF content type is a PNG
    png = _attach(client, keys.trader, mrn, "scan.pdf", PNG)
    assert png.status_code == 201 and png.json()["media_type"] == "image/png"
    assert _attach(client, keys.trader, mrn, "c.xml", XML, "text/xml").status_code == 201
    listed = client.get(f"/attachments/{mrn}", headers=keys.officer).json()
    assert [a["filename"] for a in listed] == ["invoice.pdf", "scan.pdf", "c.xml"]
    timeline = client.get(f"/declarations/{mrn}", headers=keys.officer).json()["timeline"]
    assert [e["action"] for e in timeline].count("attach_document") == 3
    folder = node.settings.attachments_path()
    if folder is not None:  # SQLite: a folder beside the database file
        assert folder.parent == node.settings.attachments_path().parent
        assert len([p for p in folder.rglob("*") if p.is_file()]) == 3
    else:  # PostgreSQL: in the database, once per hash
        with node.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(attachment_blobs)).scalar() == 3


def test_svg_a_renamed_script_and_an_empty_file_are_refused(client, keys):
    mrn = lodge(client, keys, declaration())["mrn"]
    for name, content in [
        ("drawing.svg", SVG),
        ("invoice.pdf", b"<script>alert(1)</script>"),
        ("empty.pdf", b""),
    ]:
        refused = _attach(client, keys.trader, mrn, name, content)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert problem["errors"][0]["pointer"] == "/file" and problem["errors"][0]["code"]
    assert client.get(f"/attachments/{mrn}", headers=keys.trader).json() == []


def test_a_document_over_the_limit_is_refused_with_413(node, client, keys):
    mrn = lodge(client, keys, declaration())["mrn"]
    node.ctx.attachment_max_bytes = 1000
    refused = _attach(client, keys.trader, mrn, "big.pdf", PDF + b"0" * 2000)
    assert refused.status_code == 413, refused.text
    assert refused.json()["errors"][0]["code"] == "too_large"
    assert client.get(f"/attachments/{mrn}", headers=keys.trader).json() == []


def test_only_the_declarant_and_officers_read_documents(client, keys):
    mrn = lodge(client, keys, declaration())["mrn"]
    sha = _attach(client, keys.trader, mrn, "invoice.pdf", PDF).json()["sha256"]
    path = f"/attachments/{mrn}/{sha}"
    assert client.get(path, headers=keys.trader).status_code == 200
    assert client.get(path, headers=keys.officer).status_code == 200
    assert client.get(path, headers=keys.supervisor).status_code == 200
    assert client.get(path, headers=keys.other).status_code == 404  # not its declaration
    assert client.get(path, headers=keys.analyst).status_code == 403
    assert client.get(path, headers=keys.partner).status_code == 403
    # only the trader who lodged it attaches
    assert _attach(client, keys.other, mrn, "x.pdf", PNG).status_code == 404
    assert _attach(client, keys.officer, mrn, "x.pdf", PNG).status_code == 403


def test_a_document_is_served_inline_in_a_sandbox(client, keys):
    mrn = lodge(client, keys, declaration())["mrn"]
    sha = _attach(client, keys.trader, mrn, "../../etc/invoice.pdf", PDF).json()["sha256"]
    shown = client.get(f"/attachments/{mrn}/{sha}", headers=keys.officer)
    assert shown.content == PDF
    assert shown.headers["content-type"] == "application/pdf"
    csp = shown.headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-disposition"] == 'inline; filename="invoice.pdf"'


def _released(client, keys):
    body = lodge(client, keys, declaration())
    assert body["status"] == "released", body
    return body["mrn"]


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_the_release_note_pdf_holds_the_mrn_in_three_scripts(node, client, keys, policy):  # noqa: F811
    _signing(node)
    mrn = _released(client, keys)
    note = client.get(f"/declarations/{mrn}/release-note.pdf", headers=keys.trader)
    assert note.status_code == 200, note.text
    assert note.headers["content-type"] == "application/pdf"
    text = _pdf_text(note.content)
    assert mrn in text
    assert "放行通知书" in text  # "release note" in Chinese
    assert "برآمد کنندہ" in text  # "exporter" in Urdu, shaped and extracted in logical order
    assert (
        client.get(f"/declarations/{mrn}/release-note.pdf", headers=keys.officer).status_code == 200
    )
    assert (
        client.get(f"/declarations/{mrn}/release-note.pdf", headers=keys.other).status_code == 404
    )


def test_no_release_note_before_release(node, client, keys):
    _signing(node)
    mrn = lodge(client, keys, declaration())["mrn"]  # no policy: it waits, accepted
    refused = client.get(f"/declarations/{mrn}/release-note.pdf", headers=keys.trader)
    assert refused.status_code == 409 and "not released" in refused.json()["detail"]


def _token(node, mrn, keys, client):
    from karakoram.domain.access import Principal, Role
    from karakoram.services.release_note import release_note

    return release_note(mrn, Principal(0, "officer", Role.OFFICER), node.ctx).token


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["rel"] = "2020-01-01T00:00:00Z"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_the_qr_code_verifies_publicly_and_offline(node, client, keys, policy):  # noqa: F811
    key = _signing(node)
    mrn = _released(client, keys)
    token = _token(node, mrn, keys, client)
    checked = client.get("/verify/release", params={"qr": token})  # no sign-in
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert body["verified"] and body["mrn"] == mrn
    assert body["statement"]["mrn"] == mrn and body["statement"]["items"]
    claims = verify_token(token, token_verifier(), public_jwk(key))
    assert (claims.mrn, claims.sha256) == (mrn, body["sha256"])
    # as a verification link too
    assert verify_token(
        f"https://node/verify/release?qr=x&t={token}", token_verifier(), public_jwk(key)
    )


def test_a_tampered_or_foreign_qr_code_is_refused(node, client, keys, policy):  # noqa: F811
    key = _signing(node)
    mrn = _released(client, keys)
    token = _token(node, mrn, keys, client)
    tampered = client.get("/verify/release", params={"qr": _tampered(token)})
    assert tampered.status_code == 403 and tampered.json()["code"] == "release_forged"
    other = new_key("cn-1")  # same key id, another key: a forgery
    forged = JwsCrypto(Signer(other, "cn-1")).sign(
        json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    )
    refused = client.get("/verify/release", params={"qr": forged})
    assert refused.status_code == 403 and refused.json()["code"] == "release_forged"
    for junk in ["not a qr code", "a.b.c", "x" * 5000]:
        answer = client.get("/verify/release", params={"qr": junk})
        assert answer.status_code in (403, 422), (junk[:20], answer.text)
    for bad, wrong_key in [(_tampered(token), key), (token, other)]:
        try:
            verify_token(bad, token_verifier(), public_jwk(wrong_key))
        except ReleaseNoteRefused as exc:
            assert exc.code == "release_forged"
        else:
            raise AssertionError("a tampered or foreign QR code verified offline")


def test_the_command_verifies_a_qr_code_offline_with_the_public_key(
    node,
    client,
    keys,
    policy,  # noqa: F811
    tmp_path,
):
    from typer.testing import CliRunner

    from karakoram.entrypoints.cli.main import app

    key = _signing(node)
    mrn = _released(client, keys)
    token = _token(node, mrn, keys, client)
    public = tmp_path / "cn-urc.jwk.json"
    public.write_text(json.dumps(public_jwk(key)))
    done = CliRunner().invoke(app, ["verify-release", token, "--key", str(public)])
    assert done.exit_code == 0, done.output
    assert mrn in done.output and "verified" in done.output
    refused = CliRunner().invoke(app, ["verify-release", _tampered(token), "--key", str(public)])
    assert refused.exit_code == 1 and "verified" not in refused.stdout
    other = tmp_path / "other.jwk.json"
    other.write_text(json.dumps(public_jwk(new_key("cn-1"))))
    assert CliRunner().invoke(app, ["verify-release", token, "--key", str(other)]).exit_code == 1
