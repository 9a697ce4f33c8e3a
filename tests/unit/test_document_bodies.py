"""A shared document's part: split under the message limit, read back as written, refused
when its bytes are not those its hash names, and recorded without its bytes."""

from __future__ import annotations

import base64
import hashlib

import pytest

from karakoram.domain.exchange.bodies import MalformedBody, MessageType, parse_body
from karakoram.domain.exchange.document_bodies import PART_BYTES, DocumentShared, split

AT = "2026-11-30T09:40:02+00:00"


def _part(data: bytes, claimed: bytes | None = None) -> DocumentShared:
    named = hashlib.sha256(claimed if claimed is not None else data).hexdigest()
    return DocumentShared(
        "d" * 64, "invoice.pdf", "application/pdf", len(data), "compare the price", AT, 0, 1,
        named, base64.b64encode(data).decode(),
    )  # fmt: skip


def test_a_document_is_split_in_parts_of_at_most_the_part_size():
    content = bytes(range(256)) * 1000
    parts = split(content)
    assert b"".join(parts) == content and max(map(len, parts)) == PART_BYTES
    assert split(b"") == [b""]


def test_a_part_reads_back_as_written_and_is_recorded_without_its_bytes():
    body = _part(b"%PDF-1.4 part")
    assert parse_body(MessageType.DOCUMENT_SHARED, body.as_dict()) == body
    assert body.part_bytes() == b"%PDF-1.4 part"
    assert "content" not in body.recorded() and body.recorded()["part_sha256"] == body.part_sha256
    assert body.named_parties == ()


@pytest.mark.parametrize("content", ["not base64!", None])
def test_a_part_whose_bytes_are_not_those_named_is_malformed(content):
    body = _part(b"the real bytes", claimed=b"other bytes").as_dict()
    if content is not None:
        body["content"] = content
    with pytest.raises(MalformedBody) as refused:
        parse_body(MessageType.DOCUMENT_SHARED, body)
    assert refused.value.fields == ("content",)


def test_a_part_beyond_the_count_is_malformed():
    body = _part(b"x").as_dict() | {"part": 1, "count": 1}
    with pytest.raises(MalformedBody):
        parse_body(MessageType.DOCUMENT_SHARED, body)
