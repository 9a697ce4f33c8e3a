"""Documents shared with the partner administration (issue 17): an officer shares one attached
document with a reason; the partner's officers read what was shared with them, read-only,
inline under the sandboxing CSP (services/partner_documents.py)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from karakoram.domain.access import Capability as Cap
from karakoram.domain.declaration.attachments import ACCEPTED_TYPES
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.entrypoints.http.sandbox import document_headers
from karakoram.services import partner_documents as shared
from karakoram.services.partner_documents import MAX_REASON, PartnerDocument

router = APIRouter(tags=["documents"])

_BINARY = {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}


class ShareIn(BaseModel):
    reason: str = Field(
        max_length=MAX_REASON,
        description="Why the partner needs the document; kept in the audit trail and sent.",
    )


class SharedOut(BaseModel):
    sha256: str
    filename: str
    partner: str = Field(description="The administration it was sent to.")
    created: bool = Field(description="False when it was shared before (nothing sent again).")


class PartnerDocumentOut(BaseModel):
    sha256: str
    filename: str
    media_type: str
    size: int
    reason: str = Field(description="Why the partner's officer shared it.")
    sender: str
    mrn: str | None = Field(description="The partner's declaration it is attached to.")
    shared_at: str
    complete: bool = Field(description="Whether every part has arrived (it can be opened).")

    @classmethod
    def of(cls, d: PartnerDocument) -> PartnerDocumentOut:
        return cls(
            sha256=d.sha256, filename=d.filename, media_type=d.media_type, size=d.size,
            reason=d.reason, sender=d.sender, mrn=d.mrn, shared_at=d.shared_at,
            complete=d.complete,
        )  # fmt: skip


@router.post(
    "/declarations/{mrn}/attachments/{sha256}/share",
    response_model=SharedOut,
    status_code=201,
    dependencies=[needs(Cap.ACT_ON_DECLARATION)],
    responses={200: {"description": "Shared before: nothing was sent again."}},
)
def share(
    mrn: str, sha256: str, body: ShareIn, response: Response, node: NodeDep, principal: PrincipalDep
) -> SharedOut:
    """Send one attached document to the partner administration on the other side, saying
    why (officers and supervisors; the agreement must share `document_shared`). Nothing else
    ever sends an attachment."""
    done = shared.share_attachment(mrn, sha256, body.reason, principal, node.ctx)
    response.status_code = 201 if done.created else 200
    a = done.attachment
    return SharedOut(
        sha256=a.sha256, filename=a.filename, partner=done.partner, created=done.created
    )


@router.get(
    "/consignments/{ucr}/partner/documents",
    response_model=list[PartnerDocumentOut],
    dependencies=[needs(Cap.READ_PARTNER_DOCUMENTS)],
)
def partner_documents(ucr: str, node: NodeDep, principal: PrincipalDep) -> list[PartnerDocumentOut]:
    """The documents the partner administration shared about a consignment."""
    return [PartnerDocumentOut.of(d) for d in shared.partner_documents(ucr, principal, node.ctx)]


@router.get(
    "/consignments/{ucr}/partner/documents/{sha256}",
    response_class=Response,
    dependencies=[needs(Cap.READ_PARTNER_DOCUMENTS)],
    responses={200: {"content": {t: _BINARY for t in ACCEPTED_TYPES}}},
)
def read_partner_document(
    ucr: str, sha256: str, node: NodeDep, principal: PrincipalDep
) -> Response:
    """One document the partner shared, read-only, under a sandboxing Content-Security-Policy."""
    d, content = shared.read_partner_document(ucr, sha256, principal, node.ctx)
    return Response(content, media_type=d.media_type, headers=document_headers(d.filename))
