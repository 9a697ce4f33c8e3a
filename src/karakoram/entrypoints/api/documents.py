"""Documents of a declaration (issue 17): attachments, the release note as PDF, and the
public check of a release note's QR code."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from karakoram.domain.access import Capability as Cap
from karakoram.domain.declaration.attachments import ACCEPTED_TYPES, Attachment
from karakoram.domain.declaration.release_note import MAX_QR_TEXT
from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.entrypoints.http.sandbox import document_headers
from karakoram.services import attachments, release_note

router = APIRouter(tags=["documents"])

_BINARY = {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}


class AttachmentOut(BaseModel):
    sha256: str = Field(description="SHA-256 of the document's bytes, in hex: its identity.")
    media_type: str = Field(description="The type read from the file's signature.")
    size: int
    filename: str
    attached_by: str
    attached_at: datetime


def attachment_json(a: Attachment) -> AttachmentOut:
    return AttachmentOut(
        sha256=a.sha256,
        media_type=a.media_type,
        size=a.size,
        filename=a.filename,
        attached_by=a.attached_by,
        attached_at=a.attached_at,
    )


@router.post(
    "/attachments/{mrn}",
    response_model=AttachmentOut,
    status_code=201,
    dependencies=[needs(Cap.LODGE_DECLARATIONS)],
    responses={200: {"description": "Attached before: the answer describes that attachment."}},
)
async def attach(
    mrn: str,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG or XML (not SVG).")],
    node: NodeDep,
    principal: PrincipalDep,
    response: Response,
) -> AttachmentOut:
    """Attach a document to a declaration the caller lodged; its type is read from its
    content. Sent twice, it is attached once (200 the second time)."""
    content = await file.read(node.ctx.attachment_max_bytes + 1)
    name = file.filename or "document"
    done = await run_in_threadpool(
        attachments.attach_document, mrn, name, content, principal, node.ctx
    )
    if not done.created:
        response.status_code = 200
    return attachment_json(done.attachment)


@router.get(
    "/attachments/{mrn}",
    response_model=list[AttachmentOut],
    dependencies=[needs(Cap.READ_ATTACHMENTS)],
)
def list_attachments(mrn: str, node: NodeDep, principal: PrincipalDep) -> list[AttachmentOut]:
    """The documents attached to a declaration (its declarant, its representative and the
    node's officers only)."""
    return [attachment_json(a) for a in attachments.list_attachments(mrn, principal, node.ctx)]


@router.get(
    "/attachments/{mrn}/{sha256}",
    response_class=Response,
    dependencies=[needs(Cap.READ_ATTACHMENTS)],
    responses={200: {"content": {t: _BINARY for t in ACCEPTED_TYPES}}},
)
def read_attachment(mrn: str, sha256: str, node: NodeDep, principal: PrincipalDep) -> Response:
    """One attached document, served under a sandboxing Content-Security-Policy."""
    a, content = attachments.read_attachment(mrn, sha256, principal, node.ctx)
    return Response(content, media_type=a.media_type, headers=document_headers(a.filename))


@router.get(
    "/declarations/{mrn}/release-note.pdf",
    response_class=Response,
    dependencies=[needs(Cap.READ_DECLARATIONS)],
    responses={200: {"content": {"application/pdf": _BINARY}}},
)
async def release_note_pdf(mrn: str, node: NodeDep, principal: PrincipalDep) -> Response:
    """The release note of a released declaration as PDF, with its signed QR code."""
    pdf = await run_in_threadpool(release_note.release_note_pdf, mrn, principal, node.ctx)
    headers = {"Content-Disposition": f'attachment; filename="release-note-{mrn}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


class ReleaseCheckOut(BaseModel):
    verified: bool = Field(description="Always true: a QR code that fails is a 403.")
    mrn: str
    released_at: datetime
    sha256: str = Field(description="Hash of the release statement, as signed.")
    statement: dict[str, Any] = Field(description="The full statement this node holds.")


@router.get("/verify/release", response_model=ReleaseCheckOut)
def verify_release(
    node: NodeDep,
    qr: Annotated[str, Query(description="The QR code's text.", max_length=MAX_QR_TEXT)] = "",
) -> ReleaseCheckOut:
    """Check a release note's QR code (no sign-in): signed by this node, and the statement it
    signed is the one this node holds. A forged or altered code is refused (403)."""
    if not qr.strip():
        raise ValidationFailed([FieldError("required", "/qr", "Give the QR code's text.")])
    checked = release_note.verify_release(qr, node.ctx)
    return ReleaseCheckOut(
        verified=True,
        mrn=checked.claims.mrn,
        released_at=checked.claims.released_at,
        sha256=checked.claims.sha256,
        statement=checked.statement.as_dict(),
    )
