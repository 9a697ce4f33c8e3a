"""Documents a trader attaches to a declaration (issue 17): PDF, PNG, JPEG or XML, never SVG.

The type is read from the file's first bytes (its signature), never from its name or the
content type the client declared: a script renamed `invoice.pdf` is refused. An attachment is
kept by the SHA-256 of its bytes (the same file twice is kept once) and recorded on the
declaration's timeline as an event that leaves the state alone, so it lands in the audit chain
with the declaration: its reason is `sha256:<hex> <media type> <bytes> <file name>`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from karakoram.domain.clearance import DeclarationEvent, Status
from karakoram.domain.errors import FieldError, InvalidTransition, ValidationFailed

#: the action name of an attachment on the timeline
ATTACH_DOCUMENT = "attach_document"
#: the default limit of one attachment (Settings.attachment_max_bytes)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_FILE_NAME = 120
#: states in which nothing more is attached: the declaration's file is closed
CLOSED = frozenset(
    {
        Status.REJECTED.value,
        Status.CANCELLED.value,
        Status.RELEASED.value,
        Status.EXITED.value,
        Status.SEIZED.value,
    }
)
PDF, PNG, JPEG, XML = "application/pdf", "image/png", "image/jpeg", "application/xml"
ACCEPTED_TYPES = (PDF, PNG, JPEG, XML)
_UNSAFE_NAME = re.compile(r"[^\w.\- ()]+", re.UNICODE)


class AttachmentTooLarge(ValidationFailed):
    """An attachment over the node's limit (HTTP 413)."""

    title = "The document is too large"


@dataclass(frozen=True, slots=True)
class Attachment:
    sha256: str
    media_type: str
    size: int
    filename: str
    attached_by: str
    attached_at: datetime


def sniff(content: bytes) -> str | None:
    """The media type the bytes are, by their signature; None when not an accepted type.
    XML must be an XML document whose root is not `svg` (SVG can carry scripts)."""
    if content.startswith(b"%PDF-"):
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") and b"<svg" not in head and b"<!doctype svg" not in head:
        return XML
    return None


def safe_name(name: str) -> str:
    """A file name fit to show and to send back in Content-Disposition: no path, no quotes,
    no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE_NAME.sub("_", base).strip(" .")[:MAX_FILE_NAME]
    return cleaned or "document"


def check(content: bytes, max_bytes: int) -> str:
    """The media type of an acceptable attachment; `ValidationFailed` (413 when too large)."""
    if len(content) > max_bytes:
        raise AttachmentTooLarge(
            [FieldError("too_large", "/file", f"A document is at most {max_bytes:,} bytes.")]
        )
    if not content:
        raise ValidationFailed([FieldError("required", "/file", "The file is empty.")])
    media_type = sniff(content)
    if media_type is None:
        raise ValidationFailed(
            [
                FieldError(
                    "unsupported_type",
                    "/file",
                    "Attach a PDF, a PNG or JPEG image, or an XML file (not SVG); the type is "
                    "read from the file's content, not its name.",
                )
            ]
        )
    return media_type


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def attach_event(status: str, attachment: Attachment, actor: str, at: datetime) -> DeclarationEvent:
    """The event recording `attachment`, or why nothing may be attached now."""
    if status in CLOSED:
        raise InvalidTransition("attach a document to", status.replace("_", " "))
    a = attachment
    reason = f"sha256:{a.sha256} {a.media_type} {a.size} {a.filename}"
    return DeclarationEvent(ATTACH_DOCUMENT, status, status, actor, at, reason)


def attachments_of(events: Sequence[DeclarationEvent]) -> list[Attachment]:
    """The declaration's attachments, oldest first, each hash once."""
    found: dict[str, Attachment] = {}
    for e in events:
        if e.action != ATTACH_DOCUMENT or not e.reason or not e.reason.startswith("sha256:"):
            continue
        parts = e.reason[len("sha256:") :].split(" ", 3)
        if len(parts) == 4 and parts[2].isdigit() and parts[0] not in found:
            found[parts[0]] = Attachment(parts[0], parts[1], int(parts[2]), parts[3], e.actor, e.at)
    return list(found.values())
