"""Issue 17 in the web UI (server-rendered, SQLite and PostgreSQL): a trader attaches a file
from its declaration's page and the officer opens it in a sandbox; the release note's link; the
public page that checks a QR code."""

from __future__ import annotations

from tests.builders import declaration
from tests.integration.test_clearance import lodge, policy  # noqa: F401  (fixture)
from tests.integration.test_documents import PDF, SVG, _released, _signing, _tampered, _token
from tests.integration.test_web import csrf_of, sign_in


def test_a_trader_attaches_a_file_and_the_officer_opens_it_sandboxed(client, keys):
    mrn = lodge(client, keys, declaration())["mrn"]
    sign_in(client, keys.trader)
    page = client.get(f"/ui/my-declarations/{mrn}")
    assert 'enctype="multipart/form-data"' in page.text and "No document attached" in page.text
    csrf = csrf_of(page)
    files = {"file": ("invoice.pdf", PDF, "application/pdf")}
    sent = client.post(f"/ui/attachments/{mrn}", data={"csrf": csrf}, files=files)
    assert sent.status_code == 200 and "invoice.pdf" in sent.text, sent.text
    svg = {"file": ("drawing.svg", SVG, "image/svg+xml")}
    refused = client.post(f"/ui/attachments/{mrn}", data={"csrf": csrf}, files=svg)
    assert refused.status_code == 422 and "not SVG" in refused.text
    sign_in(client, keys.officer)
    officer_page = client.get(f"/ui/declarations/{mrn}")
    assert "invoice.pdf" in officer_page.text
    sha = client.get(f"/attachments/{mrn}", headers=keys.officer).json()[0]["sha256"]
    shown = client.get(f"/ui/attachments/{mrn}/{sha}")
    assert shown.content == PDF
    assert shown.headers["content-security-policy"].startswith("sandbox;")
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-disposition"].startswith("inline;")


def test_the_release_note_link_and_the_public_check(node, client, keys, policy):  # noqa: F811
    _signing(node)
    mrn = _released(client, keys)
    sign_in(client, keys.trader)
    page = client.get(f"/ui/my-declarations/{mrn}")
    assert f"/ui/release-notes/{mrn}" in page.text
    pdf = client.get(f"/ui/release-notes/{mrn}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    token = _token(node, mrn, keys, client)
    client.cookies.clear()  # nobody signed in
    checked = client.get("/ui/verify/release", params={"qr": token})
    assert checked.status_code == 200 and 'data-verified="true"' in checked.text
    assert mrn in checked.text
    forged = client.get("/ui/verify/release", params={"qr": _tampered(token)})
    assert forged.status_code == 403 and 'data-verified="false"' in forged.text
    assert client.get("/ui/verify/release").status_code == 200
