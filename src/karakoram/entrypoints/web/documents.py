"""The documents' pages (issue 17): a trader attaches a document from its declaration's page,
the declarant and officers open it (sandboxed), an officer shares one with the partner
administration (which opens it read-only, sandboxed), both download the release note, and anyone
checks a release note's QR code on /ui/verify/release without signing in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from karakoram.domain.access import Capability as Cap
from karakoram.domain.declaration.release_note import MAX_QR_TEXT, ReleaseNoteRefused
from karakoram.domain.errors import Conflict, NotFound, ValidationFailed
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.http.errors import status_of
from karakoram.entrypoints.http.sandbox import document_headers
from karakoram.entrypoints.web import officer, trader
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.refusals import pages_router
from karakoram.entrypoints.web.render import page_path
from karakoram.services import attachments, release_note
from karakoram.services import partner_documents as shared

router = pages_router("/ui")


@router.post(
    "/attachments/{mrn}",
    dependencies=[needs(Cap.LODGE_DECLARATIONS), CsrfDep],
    name="ui-attach-document",
)
async def attach(
    mrn: str,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
) -> Response:
    """Attach the chosen file, then back to the declaration's page (its refusal shown there)."""
    submitted = await request.form()
    file = submitted.get("file")
    content, name = b"", "document"
    if isinstance(file, UploadFile):
        content = await file.read(node.ctx.attachment_max_bytes + 1)
        name = file.filename or name
    try:
        await run_in_threadpool(attachments.attach_document, mrn, name, content, viewer, node.ctx)
    except (ValidationFailed, Conflict) as exc:
        return trader._declaration_page(mrn, request, node, pages, session, viewer, exc)
    url = page_path(request, "ui-my-declaration", mrn=mrn) + "?attached=1"
    return RedirectResponse(url, status_code=303)


@router.get(
    "/attachments/{mrn}/{sha256}",
    dependencies=[needs(Cap.READ_ATTACHMENTS)],
    name="ui-attachment",
)
def show(mrn: str, sha256: str, node: NodeDep, viewer: ViewerDep) -> Response:
    """One attached document, inline, under a sandboxing Content-Security-Policy."""
    a, content = attachments.read_attachment(mrn, sha256, viewer, node.ctx)
    return Response(content, media_type=a.media_type, headers=document_headers(a.filename))


@router.post(
    "/declarations/{mrn}/attachments/{sha256}/share",
    dependencies=[needs(Cap.ACT_ON_DECLARATION), CsrfDep],
    name="ui-share-document",
)
def share(
    mrn: str,
    sha256: str,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Send one attached document to the partner administration, then back to the page."""
    try:
        shared.share_attachment(mrn, sha256, reason, viewer, node.ctx)
    except (ValidationFailed, Conflict) as exc:
        return officer._declaration_page(mrn, request, node, pages, session, viewer, exc)
    url = page_path(request, "ui-declaration", mrn=mrn) + "?shared=1#documents"
    return RedirectResponse(url, status_code=303)


@router.get(
    "/consignments/{ucr}/partner/documents/{sha256}",
    dependencies=[needs(Cap.READ_PARTNER_DOCUMENTS)],
    name="ui-partner-document",
)
def partner_document(ucr: str, sha256: str, node: NodeDep, viewer: ViewerDep) -> Response:
    """A document the partner shared, read-only, inline under the sandboxing CSP."""
    d, content = shared.read_partner_document(ucr, sha256, viewer, node.ctx)
    return Response(content, media_type=d.media_type, headers=document_headers(d.filename))


@router.get(
    "/release-notes/{mrn}", dependencies=[needs(Cap.READ_DECLARATIONS)], name="ui-release-note"
)
async def release_note_pdf(mrn: str, node: NodeDep, viewer: ViewerDep) -> Response:
    """The release note of a released declaration, as PDF."""
    pdf = await run_in_threadpool(release_note.release_note_pdf, mrn, viewer, node.ctx)
    headers = {"Content-Disposition": f'attachment; filename="release-note-{mrn}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


@router.get("/verify/release", name="ui-verify-release")
def verify_release(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    qr: Annotated[str, Query(max_length=MAX_QR_TEXT)] = "",
) -> Response:
    """Check a release note's QR code (no sign-in): what this node states, or why not."""
    if not qr.strip():
        return pages.render(request, session, "verify_release.html", qr="")
    try:
        checked = release_note.verify_release(qr, node.ctx)
    except (ReleaseNoteRefused, NotFound, Conflict) as exc:
        return pages.render(
            request, session, "verify_release.html", status_code=status_of(exc), qr=qr, refused=exc
        )
    return pages.render(request, session, "verify_release.html", qr=qr, statement=checked.statement)
