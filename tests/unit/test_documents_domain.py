"""Issue 17's domain rules without I/O: a file's type from its signature, safe file names, the
QR text read back, and the release statement's hash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from karakoram.domain.declaration.attachments import (
    AttachmentTooLarge,
    check,
    safe_name,
    sniff,
)
from karakoram.domain.declaration.release_note import (
    ReleaseItem,
    ReleaseNoteRefused,
    ReleaseStatement,
    claims_of,
    parse_claims,
    qr_token,
)
from karakoram.domain.errors import ValidationFailed


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0....", "image/jpeg"),
        (b'\xef\xbb\xbf<?xml version="1.0"?><invoice/>', "application/xml"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', None),
        (b'<?xml version="1.0"?><!DOCTYPE svg><x/>', None),
        (b"<svg onload=alert(1)>", None),
        (b"<html><script>x()</script></html>", None),
        (b"MZ\x90\x00", None),
    ],
)
def test_the_type_is_read_from_the_signature(content, expected):
    assert sniff(content) == expected


def test_too_large_and_empty_files_are_refused_with_the_field_named():
    with pytest.raises(AttachmentTooLarge) as big:
        check(b"%PDF-" + b"0" * 100, 50)
    assert big.value.errors[0].code == "too_large"
    with pytest.raises(ValidationFailed) as empty:
        check(b"", 50)
    assert empty.value.errors[0].pointer == "/file"


def test_file_names_lose_paths_quotes_and_control_characters():
    assert safe_name("C:\\scans\\invoice 7.pdf") == "invoice 7.pdf"
    assert safe_name('../../a"b\r\n.pdf') == "a_b_.pdf"
    assert safe_name("...") == "document"
    assert safe_name("发票.pdf") == "发票.pdf"


def _statement(description: str = "cable") -> ReleaseStatement:
    return ReleaseStatement(
        "CN-URC", "26CNZ6PMY32S5D4VE7", "U", "L", "EX", "d", "e", "i", "CNKJB", "PKSST",
        "KHUNJERAB", "新Q-A1234 (CN)", datetime(2026, 11, 30, 10, 2, 11, tzinfo=UTC),
        (ReleaseItem("854442", description, "1", "KGM", "2"),),
    )  # fmt: skip


def test_the_statement_hash_changes_with_any_word_and_the_claims_read_back():
    assert _statement().digest() != _statement("cables").digest()
    claims = parse_claims(claims_of(_statement()))
    assert (claims.mrn, claims.sha256) == ("26CNZ6PMY32S5D4VE7", _statement().digest())
    assert claims.released_at == datetime(2026, 11, 30, 10, 2, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    "payload",
    [
        {"typ": "karakoram/attestation/1"},
        {**claims_of(_statement()), "sha": "zz"},
        {**claims_of(_statement()), "rel": "yesterday"},
        {**claims_of(_statement()), "mrn": "<script>"},
    ],
)
def test_claims_that_are_no_release_are_refused(payload):
    with pytest.raises(ReleaseNoteRefused) as refused:
        parse_claims(payload)
    assert refused.value.code == "release_malformed"


def test_a_qr_text_is_a_token_or_a_link_holding_one():
    assert qr_token(" a.b.c \n") == "a.b.c"
    assert qr_token("https://node.example/ui/verify/release?t=a.b.c&x=1") == "a.b.c"
    for bad in ["not a token", "a.b", "<a>.b.c", "x" * 3000]:
        with pytest.raises(ReleaseNoteRefused):
            qr_token(bad)
