"""Documents shared with the partner administration (issue 17): a declaration's attachments
stay with the declaration and leave the node only when an officer shares one, with a reason.

Sharing records a `share_document` event on the declaration's timeline (the audit trail: who,
when, to whom, why) and queues the document in the same transaction, in parts
(`document_bodies.py`), to the partner on the other side whose agreement takes
`document_shared`; the same document shared again sends nothing. Nothing else sends an
attachment: no status change, no other message carries one.

The partner keeps each part by its hash as it comes, puts the document together when first read
once it holds every part (checked against the document's hash), and shows it to its officers
read-only beside its record of the consignment, inline under the same sandboxing CSP as its
own attachments.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration.attachments import Attachment
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from karakoram.domain.exchange.body_base import MessageType
from karakoram.domain.exchange.document_bodies import DocumentShared, split
from karakoram.services.attachments import read_attachment
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import ExchangeConfig, configured
from karakoram.services.exchange.emit import counterpart_country, emit_to, publish
from karakoram.services.ports import AttachmentStore, UnitOfWork
from karakoram.services.records import Partner, PartnerRecord

log = logging.getLogger(__name__)
SHARE_DOCUMENT = "share_document"
OFFICERS = (Role.OFFICER, Role.SUPERVISOR)
MAX_REASON = 500


class NotSharedWithPartner(Conflict):
    title = "The partner does not take documents"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.code = "not_shared"


@dataclass(frozen=True, slots=True)
class Shared:
    attachment: Attachment
    partner: str
    #: False when it was shared before (nothing sent again)
    created: bool


@dataclass(frozen=True, slots=True)
class PartnerDocument:
    """A document the partner shared about a consignment, as its record says."""

    sha256: str
    filename: str
    media_type: str
    size: int
    reason: str
    sender: str
    mrn: str | None
    shared_at: str
    #: whether every part has arrived (the document can be opened)
    complete: bool


def shared_ones(events: Sequence[DeclarationEvent]) -> set[str]:
    """The SHA-256 of each attachment of a declaration already shared with the partner."""
    return {
        (e.reason or "").removeprefix("sha256:").split(" ", 1)[0]
        for e in events
        if e.action == SHARE_DOCUMENT and (e.reason or "").startswith("sha256:")
    }


def share_attachment(
    mrn: str, sha256: str, reason: str, principal: Principal, ctx: NodeContext
) -> Shared:
    """Send one attached document of `mrn` to the partner administration, saying why."""
    require_role(principal, *OFFICERS)
    why = reason.strip()
    if not why or len(why) > MAX_REASON:
        message = f"Say why the partner needs this document (at most {MAX_REASON} characters)."
        raise ValidationFailed(
            [FieldError("required" if not why else "too_long", "/reason", message)]
        )
    config = configured(ctx.exchange)
    attachment, content = read_attachment(mrn, sha256, principal, ctx)
    with ctx.uow() as uow:
        record = uow.declarations.get(mrn)
        assert record is not None, "read_attachment found it"
        country = counterpart_country(record)
        partner = next((p for p in uow.exchange.partners() if p.country == country), None)
        if partner is None or MessageType.DOCUMENT_SHARED.value not in partner.message_types:
            name = partner.administration if partner else f"the partner in {country}"
            raise NotSharedWithPartner(
                f"The agreement with {name} does not share documents (document_shared)."
            )
        mark = f"sha256:{attachment.sha256} "
        if attachment.sha256 in shared_ones(uow.declarations.events(mrn)):
            return Shared(attachment, partner.administration, False)
        now = ctx.clock()
        event = DeclarationEvent(
            SHARE_DOCUMENT, record.status, record.status, principal.name, now,
            f"{mark}to {partner.administration}: {why}",
        )  # fmt: skip
        publish(uow, None, [(record, event)])
        _send(uow, config, now, (partner, record), attachment, content, why)
        uow.commit()
    return Shared(attachment, partner.administration, True)


def _send(
    uow: UnitOfWork,
    config: ExchangeConfig,
    now: datetime,
    to: tuple[Partner, DeclarationRecord],
    attachment: Attachment,
    content: bytes,
    reason: str,
) -> None:
    """Queue the document's parts to the partner, in the caller's transaction."""
    partner, record = to
    parts = split(content)
    references = {"ucr": record.declaration.ucr, "mrn": record.mrn}
    for i, part in enumerate(parts):
        body = DocumentShared(
            attachment.sha256, attachment.filename, attachment.media_type, attachment.size,
            reason, now.isoformat(), i, len(parts), hashlib.sha256(part).hexdigest(),
            base64.b64encode(part).decode(),
        )  # fmt: skip
        emit_to(uow, config, now, partner, body, references)


def received(config: ExchangeConfig, body: DocumentShared) -> None:
    """Keep one part of a document the partner shared, by its hash (the parser refused a part
    whose bytes are not those its hash names); it is put together when first read."""
    store, data = config.attachments, body.part_bytes()
    if store is None or data is None:
        log.warning("a shared document's part %s of %s is not kept", body.part, body.sha256)
        return
    store.put(body.part_sha256, data)


def partner_documents(ucr: str, principal: Principal, ctx: NodeContext) -> list[PartnerDocument]:
    """The documents the partner shared about consignment `ucr`, in the order shared."""
    return [d for d, _ in _documents(ucr, principal, ctx)]


def _documents(
    ucr: str, principal: Principal, ctx: NodeContext
) -> list[tuple[PartnerDocument, list[str]]]:
    """Each document with the hashes of its parts in order ([] while some are missing)."""
    require_role(principal, *OFFICERS)
    with ctx.uow() as uow:
        records = [
            r for r in uow.exchange.partner_records(ucr)
            if r.type == MessageType.DOCUMENT_SHARED.value
        ]  # fmt: skip
    parts: dict[str, dict[int, str]] = {}
    first: dict[str, PartnerRecord] = {}
    for r in records:
        sha = str(r.body["sha256"])
        first.setdefault(sha, r)
        parts.setdefault(sha, {})[int(r.body["part"])] = str(r.body["part_sha256"])
    out = []
    for sha, r in first.items():
        b, got = r.body, parts[sha]
        ordered = [got[i] for i in range(int(b["count"]))] if len(got) == b["count"] else []
        document = PartnerDocument(
            sha, str(b["filename"]), str(b["media_type"]), int(b["size"]), str(b["reason"]),
            r.sender, r.mrn, str(b["shared_at"]), bool(ordered),
        )  # fmt: skip
        out.append((document, ordered))
    return out


def read_partner_document(
    ucr: str, sha256: str, principal: Principal, ctx: NodeContext
) -> tuple[PartnerDocument, bytes]:
    """One document the partner shared, with its bytes (only once every part is here; put
    together and checked against its hash the first time)."""
    found = {d.sha256: (d, p) for d, p in _documents(ucr, principal, ctx)}
    document, parts = found.get(sha256.lower(), (None, []))
    content = _whole(ctx.attachments, document, parts) if document else None
    if document is None or content is None:
        raise NotFound(f"No document {sha256[:64]} shared by the partner about {ucr}.")
    return document, content


def _whole(store: AttachmentStore | None, d: PartnerDocument, parts: list[str]) -> bytes | None:
    if store is None or not parts:
        return None
    kept = store.get(d.sha256)
    if kept is not None:
        return kept
    pieces = [store.get(p) for p in parts]
    whole = b"".join(p for p in pieces if p is not None)
    if None in pieces or len(whole) != d.size or hashlib.sha256(whole).hexdigest() != d.sha256:
        return None
    store.put(d.sha256, whole)
    return whole
