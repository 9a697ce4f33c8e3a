"""Documents shared with the partner administration (issue 17), two nodes in one process on
SQLite and PostgreSQL: an attachment never leaves without an officer's action; shared, with a
reason kept in the timeline, it crosses in parts under the message limit and the partner's
officers read it whole, read-only and sandboxed; traders, a missing reason and an agreement
without `document_shared` are refused with nothing sent."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from karakoram.adapters.db.tables import outbox
from karakoram.domain.access import Principal, Role
from karakoram.domain.errors import PermissionDenied, ValidationFailed
from karakoram.domain.exchange.expo_bodies import PartnerKind, default_types
from karakoram.entrypoints.http.app import create_app
from karakoram.services import attachments, partner_documents
from karakoram.services import declarations as handlers
from karakoram.services.exchange import partners
from karakoram.services.partner_documents import NotSharedWithPartner
from karakoram.services.users import add_user
from tests.builders import IMPORTER, import_declaration
from tests.integration.test_exchange import pair as pair
from tests.integration.test_exchange import relay_until_done
from tests.integration.test_web import csrf_of

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
#: a scan of about 900 KB: fifteen parts on the wire
SCAN = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3600
IMPORTER_CN = Principal(2, "urumqi-importers", Role.TRADER, IMPORTER)
OFFICER = Principal(3, "officer-li", Role.OFFICER)
PK_OFFICER = Principal(4, "officer-khan", Role.OFFICER)
#: what the JWS reader takes (its header, payload and signature limits)
JWS_LIMIT = 129_536
WHY = "The invoice behind the price gap the mirror check marked; please compare."


def _lodged_with_documents(cn):
    mrn = handlers.lodge_declaration(import_declaration("SH-1"), IMPORTER_CN, cn.ctx).record.mrn
    pdf = attachments.attach_document(mrn, "invoice.pdf", PDF, IMPORTER_CN, cn.ctx).attachment
    scan = attachments.attach_document(mrn, "scan.png", SCAN, IMPORTER_CN, cn.ctx).attachment
    return mrn, pdf, scan


def _sent_types(node):
    with node.engine.connect() as conn:
        return [r.type for r in conn.execute(select(outbox.c.type, outbox.c.token))]


def _largest_message(node):
    with node.engine.connect() as conn:
        return max(len(r.token) for r in conn.execute(select(outbox.c.token)))


def test_an_attachment_leaves_only_when_an_officer_shares_it_and_arrives_whole(pair):
    cn, pk, apps, _ = pair
    mrn, pdf, scan = _lodged_with_documents(cn)
    relay_until_done(cn, apps)
    assert "document_shared" not in _sent_types(cn)  # attached is not sent
    ucr = "UCR-SH-1"
    assert partner_documents.partner_documents(ucr, PK_OFFICER, pk.ctx) == []

    shared = partner_documents.share_attachment(mrn, scan.sha256, WHY, OFFICER, cn.ctx)
    assert shared.created and shared.partner == "PK-GB"
    again = partner_documents.share_attachment(mrn, scan.sha256, "twice", OFFICER, cn.ctx)
    assert not again.created
    assert _sent_types(cn).count("document_shared") == 15  # 900 KB in 64 KiB parts, once
    assert _largest_message(cn) < JWS_LIMIT
    relay_until_done(cn, apps)

    (seen,) = partner_documents.partner_documents(ucr, PK_OFFICER, pk.ctx)
    assert (seen.sha256, seen.filename, seen.media_type, seen.size) == (
        scan.sha256, "scan.png", "image/png", len(SCAN),
    )  # fmt: skip
    assert seen.complete and seen.reason == WHY and seen.sender == "CN-URC" and seen.mrn == mrn
    _, content = partner_documents.read_partner_document(ucr, scan.sha256, PK_OFFICER, pk.ctx)
    assert content == SCAN
    # the invoice was never shared: it is not there
    with pytest.raises(Exception, match="No document"):
        partner_documents.read_partner_document(ucr, pdf.sha256, PK_OFFICER, pk.ctx)
    with cn.ctx.uow() as uow:
        timeline = uow.declarations.events(mrn)
    (event,) = [e for e in timeline if e.action == "share_document"]
    assert event.actor == "officer-li" and event.reason.endswith(f"to PK-GB: {WHY}")


def test_the_partners_officers_read_it_inline_in_a_sandbox_and_no_one_else(pair):
    cn, pk, apps, _ = pair
    mrn, pdf, _ = _lodged_with_documents(cn)
    partner_documents.share_attachment(mrn, pdf.sha256, WHY, OFFICER, cn.ctx)
    relay_until_done(cn, apps)
    keys = {
        role: add_user(f"{role}-pk", role, None, pk.ctx, pk.hasher).api_key
        for role in ("officer", "analyst")
    }
    path = f"/consignments/UCR-SH-1/partner/documents/{pdf.sha256}"
    with TestClient(create_app(pk)) as client:
        shown = client.get(path, headers={"Authorization": f"Bearer {keys['officer']}"})
        listed = client.get(
            "/consignments/UCR-SH-1/partner/documents",
            headers={"Authorization": f"Bearer {keys['officer']}"},
        )
        refused = client.get(path, headers={"Authorization": f"Bearer {keys['analyst']}"})
    assert shown.status_code == 200 and shown.content == PDF
    assert shown.headers["content-type"] == "application/pdf"
    assert shown.headers["content-security-policy"].startswith("sandbox")
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["content-disposition"] == 'inline; filename="invoice.pdf"'
    assert [d["reason"] for d in listed.json()] == [WHY]
    assert refused.status_code == 403


def test_refused_shares_send_nothing(pair):
    cn, _pk, apps, _ = pair
    mrn, pdf, _ = _lodged_with_documents(cn)
    relay_until_done(cn, apps)
    before = _sent_types(cn)
    with pytest.raises(PermissionDenied):
        partner_documents.share_attachment(mrn, pdf.sha256, WHY, IMPORTER_CN, cn.ctx)
    with pytest.raises(ValidationFailed) as missing:
        partner_documents.share_attachment(mrn, pdf.sha256, "  ", OFFICER, cn.ctx)
    assert missing.value.errors[0].pointer == "/reason"
    shared = default_types(PartnerKind.ADMINISTRATION)
    partners.share_types(cn.ctx, "PK-GB", [t.value for t in shared if t.value != "document_shared"])
    with pytest.raises(NotSharedWithPartner):
        partner_documents.share_attachment(mrn, pdf.sha256, WHY, OFFICER, cn.ctx)
    assert _sent_types(cn) == before
    with cn.ctx.uow() as uow:
        assert not [e for e in uow.declarations.events(mrn) if e.action == "share_document"]


def _signed_in(client, key):
    token = csrf_of(client.get("/ui/sign-in"))
    assert client.post("/ui/sign-in", data={"csrf": token, "api_key": key}).status_code == 200
    return client


def test_an_officer_shares_from_the_declarations_page_and_the_partner_opens_it(pair):
    cn, pk, apps, _ = pair
    mrn, pdf, scan = _lodged_with_documents(cn)
    cn_key = add_user("officer-cn", "officer", None, cn.ctx, cn.hasher).api_key
    pk_key = add_user("officer-pk", "officer", None, pk.ctx, pk.hasher).api_key
    with TestClient(create_app(cn)) as client:
        page = _signed_in(client, cn_key).get(f"/ui/declarations/{mrn}")
        assert page.text.count("Share with the partner administration") == 2
        share = f"/ui/declarations/{mrn}/attachments/{pdf.sha256}/share"
        empty = client.post(share, data={"csrf": csrf_of(page), "reason": ""})
        assert empty.status_code == 422 and "document_shared" not in _sent_types(cn)
        done = client.post(share, data={"csrf": csrf_of(page), "reason": WHY})
        assert done.status_code == 200 and "Shared with the partner" in done.text
        assert "document shared with the partner" in done.text  # the timeline says so
    relay_until_done(cn, apps)
    with TestClient(create_app(pk)) as client:
        _signed_in(client, pk_key)
        shown = client.get(f"/ui/consignments/UCR-SH-1/partner/documents/{pdf.sha256}")
        missing = client.get(f"/ui/consignments/UCR-SH-1/partner/documents/{scan.sha256}")
    assert shown.status_code == 200 and shown.content == PDF
    assert shown.headers["content-security-policy"].startswith("sandbox")
    assert missing.status_code == 404
