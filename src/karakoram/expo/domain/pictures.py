"""Pictures of a listed product (issue 18): PNG, JPEG or WebP told by the file's own first
bytes (never by a header or a name; no SVG, which may carry script), at most `MAX_PICTURES`
per listing of at most `MAX_PICTURE_BYTES` each, kept by their SHA-256."""

from __future__ import annotations

import hashlib

from karakoram.domain.errors import FieldError, ValidationFailed

MAX_PICTURES = 4
MAX_PICTURE_BYTES = 2 * 1024 * 1024
MEDIA_TYPES = ("image/png", "image/jpeg", "image/webp")


def sniff_image(content: bytes) -> str | None:
    """The picture's media type from its signature, or None when it is no PNG, JPEG or WebP."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def picture_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def check_picture(content: bytes, held: int) -> str:
    """The media type of a new picture for a listing holding `held` others; `ValidationFailed`
    (`too_large`, `not_an_image`, `too_many_pictures`) when it cannot be added."""
    errors = []
    if len(content) > MAX_PICTURE_BYTES:
        megabytes = MAX_PICTURE_BYTES // 1024 // 1024
        errors.append(FieldError("too_large", "", f"A picture is at most {megabytes} MiB."))
    media = sniff_image(content)
    if media is None:
        errors.append(FieldError("not_an_image", "", "A picture is a PNG, JPEG or WebP file."))
    if held >= MAX_PICTURES:
        errors.append(
            FieldError("too_many_pictures", "", f"A listing has at most {MAX_PICTURES} pictures.")
        )
    if errors or media is None:
        raise ValidationFailed(errors)
    return media
