"""Business discussions: a thread per match, visible only to its two members (anyone else gets
404, as if it did not exist), messages kept in order with small attachments (prices,
catalogues) whose type is told by their first bytes. The history is hash-chained
(`expo/domain/thread.py`) and after each message the expo signs a receipt of the chain's head
with its own key; both members read it with the message, so either can later prove what was
said by showing the exported thread and a receipt (`verify`).

The same `ref` from the same author again is the same message (200, nothing added); with other
content it is a conflict. Two messages posted at once both land, one after the other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from karakoram.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from karakoram.expo.domain.thread import (
    GENESIS,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    MAX_TEXT,
    ReceiptRefused,
    TamperedThread,
    chain_hash,
    check_against_receipt,
    content_hash,
    sniff,
)
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.ports import ExpoUnitOfWork, ReceiptSigner
from karakoram.expo.services.records import DuplicateEntry, Participant, Suggestion, ThreadEntry

MAX_REF = 64
_TYPES = "PDF, PNG, JPEG, XLSX/ZIP or plain text (CSV) only."
_RETRIES = 5


class MessageRefReused(Conflict):
    """The author's message ref already names a message with other content."""

    code = "message_ref_reused"


class NoReceiptKey(Conflict):
    """The expo was built without its signing key."""

    code = "no_receipt_key"


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Posted:
    entry: ThreadEntry
    created: bool


def _member_of(suggestion_id: int, who: Participant, uow: ExpoUnitOfWork) -> Suggestion:
    s = uow.suggestion(suggestion_id)
    if s is None or who.id not in (s.exhibitor_id, s.buyer_id):
        raise NotFound(f"You have no discussion {suggestion_id}.")
    return s


def _signer(ctx: ExpoContext) -> ReceiptSigner:
    if ctx.receipts is None:
        raise NoReceiptKey("The expo has no signing key for receipts.")
    return ctx.receipts


def _checked(
    text: str, ref: str, files: list[Attachment]
) -> tuple[list[dict[str, Any]], dict[str, tuple[str, bytes]]]:
    errors: list[FieldError] = []
    if not 1 <= len(ref) <= MAX_REF:
        errors.append(FieldError("invalid_ref", "/ref", f"1 to {MAX_REF} characters."))
    if len(text) > MAX_TEXT:
        errors.append(FieldError("too_long", "/text", f"At most {MAX_TEXT} characters."))
    if not text.strip() and not files:
        errors.append(FieldError("required", "/text", "Write a message or attach a file."))
    if len(files) > MAX_ATTACHMENTS:
        errors.append(FieldError("too_many", "/attachments", f"At most {MAX_ATTACHMENTS}."))
    meta: list[dict[str, Any]] = []
    store: dict[str, tuple[str, bytes]] = {}
    for i, f in enumerate(files[:MAX_ATTACHMENTS]):
        media, at = sniff(f.content), f"/attachments/{i}"
        if len(f.content) > MAX_ATTACHMENT_BYTES:
            megabytes = MAX_ATTACHMENT_BYTES // 1024 // 1024
            errors.append(FieldError("too_large", at, f"At most {megabytes} MB."))
        elif media is None:
            errors.append(FieldError("unsupported_type", at, _TYPES))
        elif not f.name.strip() or len(f.name) > 200:
            errors.append(FieldError("invalid_name", at, "A file name."))
        else:
            sha = content_hash(f.content)
            meta.append({"name": f.name, "type": media, "size": len(f.content), "sha256": sha})
            store[sha] = (media, f.content)
    if errors:
        raise ValidationFailed(errors)
    return meta, store


def post_message(
    suggestion_id: int,
    who: Participant,
    text: str,
    ref: str,
    files: list[Attachment],
    ctx: ExpoContext,
) -> Posted:
    """Append a message to the match's thread and sign the new head; the same ref again
    answers the message already held."""
    meta, store = _checked(text, ref, files)
    signer = _signer(ctx)
    for _ in range(_RETRIES):
        with ctx.uow() as uow:
            uow.lock_thread(suggestion_id)  # first: the reads below see every earlier message
            s = _member_of(suggestion_id, who, uow)
            held = uow.thread_entry_by_ref(suggestion_id, who.id, ref)
            if held is not None:
                if held.body["text"] != text or held.body["attachments"] != meta:
                    raise MessageRefReused(f"Your message {ref!r} was sent with other content.")
                return Posted(held, created=False)
            entries = uow.thread(suggestion_id)
            prev = entries[-1].hash if entries else GENESIS
            at = ctx.clock()
            seq = len(entries) + 1
            body: dict[str, Any] = {
                "thread": suggestion_id, "seq": seq, "author": who.id,
                "author_name": who.name, "at": at.isoformat(), "text": text, "attachments": meta,
            }  # fmt: skip
            head = chain_hash(prev, body)
            receipt = signer.sign(
                {"thread": suggestion_id, "entries": seq, "head": head,
                 "members": [s.exhibitor_id, s.buyer_id], "issued_at": at.isoformat()}
            )  # fmt: skip
            entry = ThreadEntry(suggestion_id, seq, who.id, ref, body, prev, head, receipt)
            try:
                uow.add_thread_entry(entry, store)
            except DuplicateEntry:
                continue  # another message took this place first: read the thread again
            uow.commit()
            return Posted(entry, created=True)
    raise Conflict("The discussion is busy; send the message again.")


def thread_of(suggestion_id: int, who: Participant, ctx: ExpoContext) -> list[ThreadEntry]:
    with ctx.uow() as uow:
        _member_of(suggestion_id, who, uow)
        return uow.thread(suggestion_id)


def export(suggestion_id: int, who: Participant, ctx: ExpoContext) -> dict[str, Any]:
    """The whole thread as a member keeps it: every entry with its hashes, and the receipt of
    the last one. `verify` checks it later, offline too (`karakoram expo thread verify`)."""
    with ctx.uow() as uow:
        s = _member_of(suggestion_id, who, uow)
        entries = uow.thread(suggestion_id)
    return {
        "thread": suggestion_id,
        "members": [s.exhibitor_id, s.buyer_id],
        "entries": [{**e.body, "prev_hash": e.prev_hash, "hash": e.hash} for e in entries],
        "receipt": entries[-1].receipt if entries else None,
    }


def attachment(
    suggestion_id: int, sha256: str, who: Participant, ctx: ExpoContext
) -> tuple[str, bytes]:
    with ctx.uow() as uow:
        _member_of(suggestion_id, who, uow)
        found = uow.thread_attachment(suggestion_id, sha256)
    if found is None:
        raise NotFound(f"Discussion {suggestion_id} has no attachment {sha256}.")
    return found


@dataclass(frozen=True, slots=True)
class Verified:
    valid: bool
    thread: int | None
    entries: int
    head: str | None
    problem: str | None = None
    at_entry: int | None = None


def verify(exported: dict[str, Any], receipt: str | None, key: ReceiptSigner) -> Verified:
    """Whether `exported` (as `export` gives it) holds, up to the receipt's entry, exactly what
    the expo signed: the receipt's signature, then the chain, then its head. `receipt`
    defaults to the one inside the export."""
    token = receipt if receipt is not None else exported.get("receipt")
    if not isinstance(token, str) or not token:
        return Verified(False, None, 0, None, "No receipt to check the thread against.")
    try:
        signed = key.verify(token)
    except ReceiptRefused as exc:
        return Verified(False, None, 0, None, f"The receipt is not the expo's: {exc}")
    entries = exported.get("entries")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return Verified(False, signed.get("thread"), 0, None, "The export holds no entries.")
    try:
        checked = check_against_receipt(entries, signed)
    except TamperedThread as exc:
        return Verified(False, signed.get("thread"), len(entries), None, exc.detail, exc.seq)
    return Verified(True, checked.thread, checked.entries, checked.head)


def receipt_key_of(ctx: ExpoContext) -> ReceiptSigner:
    return _signer(ctx)


def public_key(ctx: ExpoContext) -> dict[str, Any]:
    return _signer(ctx).public_key()
