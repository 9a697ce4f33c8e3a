"""A business discussion's history as a hash chain, like the node's audit log: each entry's
hash is SHA-256 over the previous hash and the entry's canonical JSON (RFC 8785), so changing,
removing or reordering any entry changes every hash after it. A receipt the expo signs names
the thread, the entry count and the head hash; checking an exported thread against it proves
what was said up to that entry. Pure: no framework, no database, no keys."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785

GENESIS = "0" * 64
MAX_TEXT = 8000
MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024
MAX_ATTACHMENTS = 4

#: what an attachment may be, told by its first bytes (never by its name or declared type)
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
)


class TamperedThread(Exception):
    """The history does not hash to what it claims, or not to the receipt's head."""

    def __init__(self, detail: str, seq: int | None = None) -> None:
        super().__init__(detail)
        self.detail, self.seq = detail, seq


class ReceiptRefused(Exception):
    """A receipt the expo's key did not sign, or not a compact JWS at all."""


def sniff(content: bytes) -> str | None:
    """The attachment's media type from its signature: PDF, PNG, JPEG, ZIP (XLSX, DOCX) or
    UTF-8 text (CSV price lists); None for anything else."""
    for magic, media in _SIGNATURES:
        if content.startswith(magic):
            return media
    if b"\x00" in content:
        return None
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def entry_body(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The fields an entry's hash covers (everything but the hashes themselves)."""
    return {k: v for k, v in entry.items() if k not in ("prev_hash", "hash")}


def chain_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + rfc8785.dumps(dict(body))).hexdigest()


@dataclass(frozen=True, slots=True)
class Checked:
    thread: int
    entries: int
    head: str


def check_chain(thread: int, entries: Sequence[Mapping[str, Any]]) -> Checked:
    """Recompute the chain of an exported thread; `TamperedThread` at the first entry that does
    not follow (wrong thread, gap in the sequence, wrong previous hash, wrong hash)."""
    prev = GENESIS
    for i, entry in enumerate(entries, start=1):
        body = entry_body(entry)
        if body.get("thread") != thread or body.get("seq") != i:
            raise TamperedThread(f"Entry {i} is not entry {i} of thread {thread}.", i)
        if entry.get("prev_hash") != prev:
            raise TamperedThread(f"Entry {i} does not follow entry {i - 1}.", i)
        prev = chain_hash(prev, body)
        if entry.get("hash") != prev:
            raise TamperedThread(f"Entry {i} was changed after it was written.", i)
    return Checked(thread, len(entries), prev)


def check_against_receipt(
    entries: Sequence[Mapping[str, Any]], receipt: Mapping[str, Any]
) -> Checked:
    """The thread's first `receipt["entries"]` entries hash to the receipt's head."""
    try:
        thread, count, head = int(receipt["thread"]), int(receipt["entries"]), str(receipt["head"])
    except (KeyError, TypeError, ValueError) as exc:
        raise TamperedThread("The receipt does not name a thread, a count and a head.") from exc
    if count > len(entries):
        raise TamperedThread(
            f"The receipt covers {count} entries; the export holds {len(entries)}.", len(entries)
        )
    checked = check_chain(thread, entries[:count])
    if checked.head != head:
        raise TamperedThread("The history does not hash to the receipt's head.", count)
    return checked
