"""The fallback file: what an officer captures on another machine while the node is down
(eTIR Annex 11 Art. 10: work goes on, and is regularised after; docs/gate.md).

Each entry is a signed statement of one thing captured (a declaration, or a truck's arrival),
numbered from 1 and chained: an entry names the digest of the one before it, so that nothing
can be dropped, reordered or slipped in without the chain showing it. The signing is not
done here (the key is an adapter's); this module says what an entry holds and whether a
sequence of them is a whole, unbroken chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from karakoram.domain.errors import Conflict

#: what the first entry of a file names as the one before it
GENESIS = "0" * 64
#: what a certificate of a fallback key says it is
CERTIFICATE_TYPE = "karakoram-fallback-key"
#: a file's entries are taken in at most this many at a time (a day's work at one post)
MAX_ENTRIES = 10_000


class Kind(StrEnum):
    DECLARATION = "declaration"
    ARRIVAL = "arrival"


class BrokenChain(Conflict):
    """The file is not one whole chain of entries; `code` says which check failed."""

    title = "The fallback file is refused"

    def __init__(self, code: str, detail: str, line: int | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.line = line


@dataclass(frozen=True, slots=True)
class Captured:
    """One entry of a fallback file, its signature already checked by the caller."""

    node: str
    kid: str
    seq: int
    kind: Kind
    captured_at: datetime
    officer: str
    body: dict[str, Any]
    prev: str
    #: SHA-256 of the entry's exact signed text: what the next entry names as `prev`
    digest: str


def entry_payload(
    node: str,
    kid: str,
    seq: int,
    kind: Kind,
    captured_at: datetime,
    officer: str,
    body: dict[str, Any],
    prev: str,
) -> dict[str, Any]:
    """What the fallback key signs for one entry."""
    return {
        "typ": "karakoram-fallback-entry",
        "node": node,
        "kid": kid,
        "seq": seq,
        "kind": kind.value,
        "captured_at": captured_at.isoformat(),
        "officer": officer,
        "body": body,
        "prev": prev,
    }


def read_entry(payload: dict[str, Any], digest: str, line: int) -> Captured:
    """The entry a signed payload states; `BrokenChain` when it is not one."""
    try:
        kind = Kind(payload["kind"])
        captured_at = datetime.fromisoformat(payload["captured_at"])
        seq, body, prev = payload["seq"], payload["body"], payload["prev"]
        node, kid, officer = payload["node"], payload["kid"], payload["officer"]
    except (KeyError, ValueError, TypeError) as exc:
        raise BrokenChain("malformed_entry", f"Line {line} is not a fallback entry.", line) from exc
    typed = (
        payload.get("typ") == "karakoram-fallback-entry"
        and isinstance(seq, int)
        and not isinstance(seq, bool)
        and isinstance(body, dict)
        and all(isinstance(v, str) for v in (prev, node, kid, officer))
        and captured_at.tzinfo is not None
    )
    if not typed:
        raise BrokenChain("malformed_entry", f"Line {line} is not a fallback entry.", line)
    return Captured(node, kid, seq, kind, captured_at, officer, body, prev, digest)


def check_chain(entries: Sequence[Captured]) -> None:
    """`BrokenChain` unless `entries` are one key's entries 1, 2, 3... each naming the digest
    of the one before, for one node, captured in time order."""
    if not entries:
        raise BrokenChain("empty", "The file holds no entries.")
    if len(entries) > MAX_ENTRIES:
        raise BrokenChain("too_many", f"A file holds at most {MAX_ENTRIES:,} entries.")
    first = entries[0]
    prev, at = GENESIS, first.captured_at
    for line, entry in enumerate(entries, start=2):  # line 1 is the certificate
        if entry.kid != first.kid or entry.node != first.node:
            raise BrokenChain("mixed_keys", f"Line {line} is of another key or node.", line)
        if entry.seq != line - 1:
            raise BrokenChain(
                "gap", f"Line {line} is entry {entry.seq}; entry {line - 1} was expected.", line
            )
        if entry.prev != prev:
            raise BrokenChain(
                "broken_link", f"Entry {entry.seq} does not follow the entry before it.", line
            )
        if entry.captured_at < at:
            raise BrokenChain(
                "out_of_order", f"Entry {entry.seq} was captured before the one before it.", line
            )
        prev, at = entry.digest, entry.captured_at
