"""Documents attached to a declaration (issue 17): attach, list, read.

Who: the trader who lodged the declaration (the declarant or its representative) attaches;
that trader, the declarant, and the node's officers and supervisors list and read. Other
parties named on the declaration (the importer of an export), analysts and partners do not.

How: the bytes go to the attachment store under their SHA-256 first, then the attachment is
recorded as a timeline event in one audited transaction. Should that transaction fail, the
stored bytes are an orphan that nothing names (harmless, content-addressed); the same file sent
again finds its event and records nothing new (idempotent). An attachment is sent to the
partner administration only when an officer shares it (services/partner_documents.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from karakoram.domain.access import (
    Capability,
    Principal,
    Role,
    ensure_can_change,
    ensure_visible,
    may,
)
from karakoram.domain.declaration.attachments import (
    Attachment,
    attach_event,
    attachments_of,
    check,
    digest,
    safe_name,
)
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.errors import Conflict, NotFound, PermissionDenied
from karakoram.services.context import NodeContext
from karakoram.services.exchange.emit import publish
from karakoram.services.ports import AttachmentStore


@dataclass(frozen=True, slots=True)
class Attached:
    attachment: Attachment
    #: False when the same file was attached before (nothing new recorded)
    created: bool


def _store(ctx: NodeContext) -> AttachmentStore:
    if ctx.attachments is None:
        raise Conflict("This node keeps no attachments (no attachment store configured).")
    return ctx.attachments


def _may_read(principal: Principal, record: DeclarationRecord) -> bool:
    if principal.role is Role.TRADER:
        party = principal.party
        return party is not None and party in (
            record.owner,
            record.declaration.declarant.identifier,
        )
    return may(principal.role, Capability.READ_ATTACHMENTS)


def _readable(principal: Principal, record: DeclarationRecord | None, mrn: str) -> None:
    """Refuse a caller who may not read the documents: staff without the officer's capability
    learn so (they see the declaration anyway), traders find nothing (existence not leaked)."""
    visible = ensure_visible(principal, record, mrn)
    if _may_read(principal, visible):
        return
    if principal.role is Role.TRADER:
        raise NotFound(f"No declaration {mrn} whose documents you can see.")
    raise PermissionDenied(
        "Only the declarant, its representative and the node's officers read attached documents.",
        code="not_allowed",
    )


def attach_document(
    mrn: str, filename: str, content: bytes, principal: Principal, ctx: NodeContext
) -> Attached:
    """Attach `content` (checked by its signature and size) to a declaration the caller
    lodged; the same bytes twice are one attachment."""
    store = _store(ctx)
    media_type = check(content, ctx.attachment_max_bytes)
    sha = digest(content)
    with ctx.uow() as uow:
        record = ensure_visible(principal, uow.declarations.get(mrn), mrn)
        ensure_can_change(principal, record)
        known = {a.sha256: a for a in attachments_of(uow.declarations.events(mrn))}
    if sha in known:
        return Attached(known[sha], False)
    store.put(sha, content)
    with ctx.uow() as uow:
        record = ensure_visible(principal, uow.declarations.get(mrn), mrn)
        events = uow.declarations.events(mrn)
        again = {a.sha256: a for a in attachments_of(events)}
        if sha in again:  # attached meanwhile by a request sent twice
            return Attached(again[sha], False)
        now = ctx.clock()
        name = safe_name(filename)
        attachment = Attachment(sha, media_type, len(content), name, principal.name, now)
        event = attach_event(record.status, attachment, principal.name, now)
        publish(uow, None, [(record, event)])
        uow.commit()
    return Attached(attachment, True)


def list_attachments(mrn: str, principal: Principal, ctx: NodeContext) -> list[Attachment]:
    """The documents attached to a declaration, oldest first."""
    with ctx.uow() as uow:
        record = uow.declarations.get(mrn)
        _readable(principal, record, mrn)
        return attachments_of(uow.declarations.events(mrn))


def read_attachment(
    mrn: str, sha256: str, principal: Principal, ctx: NodeContext
) -> tuple[Attachment, bytes]:
    """One attached document and its bytes."""
    found = {a.sha256: a for a in list_attachments(mrn, principal, ctx)}
    attachment = found.get(sha256.lower())
    content = _store(ctx).get(attachment.sha256) if attachment else None
    if attachment is None or content is None:
        raise NotFound(f"No document {sha256[:64]} attached to {mrn}.")
    return attachment, content


def shown_attachments(mrn: str, principal: Principal, ctx: NodeContext) -> list[Attachment] | None:
    """The attachments a declaration's page lists, or None for a viewer who may not read them
    (the page then shows no list)."""
    try:
        return list_attachments(mrn, principal, ctx)
    except (NotFound, PermissionDenied):
        return None
