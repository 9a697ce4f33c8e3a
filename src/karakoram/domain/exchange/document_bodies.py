"""A declaration's attached document sent to the partner administration, when an officer shares
it (services/partner_documents.py). The bytes travel in parts small enough for one signed
message (the JWS reader takes payloads up to 128,000 bytes of base64url): each part names the
whole document's SHA-256, its own, its place and the count, so the receiver keeps each part by
its hash as it comes, in any order, and puts the document together, checked against its hash,
once it holds them all."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any, ClassVar

from karakoram.domain.exchange.body_base import MessageType, _Body

#: bytes of a document per message: base64 twice over (the part, then the JWS payload) makes
#: about 117,000 bytes with the envelope and a long reason, under the JWS reader's 128,000
PART_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class DocumentShared(_Body):
    """One part of a shared document, with what the officer wrote for the partner."""

    type: ClassVar[MessageType] = MessageType.DOCUMENT_SHARED
    sha256: str
    filename: str
    media_type: str
    size: int
    reason: str
    shared_at: str
    part: int
    count: int
    part_sha256: str
    #: this part's bytes, base64
    content: str

    @property
    def happened_at(self) -> str:
        return self.shared_at

    @property
    def named_parties(self) -> tuple[str, ...]:
        return ()  # for the partner's officers, never shown to a trader

    def recorded(self) -> dict[str, Any]:
        """What the partner's record keeps: everything but the bytes (kept by their hash)."""
        kept = self.as_dict()
        kept.pop("content", None)
        return kept

    def part_bytes(self) -> bytes | None:
        """This part's bytes, or None when they are not base64 of the hash it names (or the
        part is not one of `count`)."""
        try:
            data = base64.b64decode(self.content, validate=True)
        except ValueError:
            return None
        ok = self.part < self.count and hashlib.sha256(data).hexdigest() == self.part_sha256
        return data if ok else None


def split(content: bytes) -> list[bytes]:
    """`content` in parts of at most `PART_BYTES` (one part for an empty file)."""
    return [content[i : i + PART_BYTES] for i in range(0, len(content), PART_BYTES)] or [b""]
