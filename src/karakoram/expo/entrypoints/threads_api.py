"""The business-discussion routes: a thread per match (its suggestion id), its messages in
order with their signed receipts, attachments, the export a member keeps, the expo's public
key, and the check of an export against a receipt (open: anyone holding one may check it).
Thin: parse, call `expo/services/threads.py`, shape the answer."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.expo.entrypoints.deps import CtxDep, ParticipantDep
from karakoram.expo.services import threads
from karakoram.expo.services.records import ThreadEntry

router = APIRouter()


class AttachmentIn(BaseModel):
    name: str = Field(description="The file's name, e.g. prices-2026.xlsx.")
    content: str = Field(description="The file, base64; its type is told by its first bytes.")


class MessageIn(BaseModel):
    ref: str = Field(description="Your reference: the same one again is the same message.")
    text: str = ""
    attachments: list[AttachmentIn] = []


class AttachmentOut(BaseModel):
    name: str
    type: str
    size: int
    sha256: str


class EntryOut(BaseModel):
    seq: int
    author: int
    author_name: str
    at: str
    text: str
    attachments: list[AttachmentOut]
    prev_hash: str
    hash: str
    receipt: str = Field(description="The expo's JWS over the thread's head after this entry.")

    @classmethod
    def of(cls, e: ThreadEntry) -> EntryOut:
        b = e.body
        return cls(
            seq=e.seq, author=e.author_id, author_name=b["author_name"], at=b["at"],
            text=b["text"], attachments=[AttachmentOut(**a) for a in b["attachments"]],
            prev_hash=e.prev_hash, hash=e.hash, receipt=e.receipt,
        )  # fmt: skip


class VerifyIn(BaseModel):
    export: dict[str, Any] = Field(description="The thread as GET /threads/{id}/export gave it.")
    receipt: str | None = Field(None, description="A receipt; default: the export's own.")


class VerifiedOut(BaseModel):
    valid: bool
    thread: int | None
    entries: int
    head: str | None
    problem: str | None
    at_entry: int | None


def _files(body: MessageIn) -> list[threads.Attachment]:
    out, errors = [], []
    for i, a in enumerate(body.attachments):
        try:
            out.append(threads.Attachment(a.name, base64.b64decode(a.content, validate=True)))
        except (binascii.Error, ValueError):
            errors.append(FieldError("invalid_base64", f"/attachments/{i}/content", "Base64."))
    if errors:
        raise ValidationFailed(errors)
    return out


@router.post(
    "/threads/{suggestion_id}/messages", response_model=EntryOut, status_code=201,
    tags=["discussions"],
)  # fmt: skip
def post_message(
    suggestion_id: int, body: MessageIn, response: Response, ctx: CtxDep, who: ParticipantDep
) -> EntryOut:
    """Write in the discussion of your match (201); the same ref again answers 200. The answer
    carries the expo's signed receipt of the thread's head, which the other member gets too."""
    done = threads.post_message(suggestion_id, who, body.text, body.ref, _files(body), ctx)
    response.status_code = 201 if done.created else 200
    return EntryOut.of(done.entry)


@router.get("/threads/{suggestion_id}", response_model=list[EntryOut], tags=["discussions"])
def read_thread(suggestion_id: int, ctx: CtxDep, who: ParticipantDep) -> list[EntryOut]:
    """The discussion in order, each message with its receipt (members only)."""
    return [EntryOut.of(e) for e in threads.thread_of(suggestion_id, who, ctx)]


@router.get("/threads/{suggestion_id}/export", tags=["discussions"])
def export_thread(suggestion_id: int, ctx: CtxDep, who: ParticipantDep) -> dict[str, Any]:
    """The discussion as a file to keep: every entry with its hashes and the last receipt."""
    return threads.export(suggestion_id, who, ctx)


@router.get(
    "/threads/{suggestion_id}/attachments/{sha256}", response_class=Response,
    tags=["discussions"],
)  # fmt: skip
def get_attachment(suggestion_id: int, sha256: str, ctx: CtxDep, who: ParticipantDep) -> Response:
    media, content = threads.attachment(suggestion_id, sha256, who, ctx)
    headers = {"X-Content-Type-Options": "nosniff", "Content-Disposition": "attachment"}
    return Response(content, media_type=media, headers=headers)


@router.get("/receipt-key", tags=["discussions"])
def receipt_key(ctx: CtxDep) -> dict[str, Any]:
    """The expo's public key (JWK) that verifies the receipts of discussions."""
    return threads.public_key(ctx)


@router.post("/threads/verify", response_model=VerifiedOut, tags=["discussions"])
def verify_thread(body: VerifyIn, ctx: CtxDep) -> VerifiedOut:
    """Check an exported discussion against a receipt: valid when the expo signed the receipt
    and the export's entries up to it hash to the receipt's head; else the problem and the
    first entry that does not hold."""
    v = threads.verify(body.export, body.receipt, threads.receipt_key_of(ctx))
    return VerifiedOut(
        valid=v.valid, thread=v.thread, entries=v.entries, head=v.head, problem=v.problem,
        at_entry=v.at_entry,
    )  # fmt: skip
