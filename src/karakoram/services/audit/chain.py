"""The audit chain: how an entry becomes canonical bytes, and how a chain is checked.

Each entry's bytes are the RFC 8785 form of
`{"after": previous hash, "at", "by", "kind", "seq", "subject", "what": the change's data}`;
its hash is the SHA-256 of those bytes. The keys are named so that RFC 8785's ordering puts
the previous hash first and the data last: a checker compares the bytes' start with what the
row's columns say without parsing JSON, which keeps `audit verify` near the speed of hashing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from karakoram.services import canonical_json

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A change waiting to be chained: appended when its unit of work commits."""

    kind: str
    subject: str
    actor: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ChainedEntry:
    seq: int
    at: datetime
    actor: str
    kind: str
    subject: str
    canonical: bytes
    hash: str


#: a stored entry as the database gives it: seq, at (as `time_text` writes it), actor, kind,
#: subject, canonical bytes, hash
StoredRow = tuple[int, str, str, str, str, bytes, str]


def time_text(at: datetime) -> str:
    """An entry's time as its bytes hold it: UTC, always with microseconds."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def chain(
    entries: Sequence[AuditEntry], after_seq: int, after_hash: str, at: datetime
) -> list[ChainedEntry]:
    """The entries numbered and linked after the head (`after_seq`, `after_hash`). Each
    entry's bytes are the canonical JSON (`canonical_json.dumps`) of its document, written
    here as its checker reads them (`ChainCheck.feed`): the fixed keys formatted in RFC 8785's
    order, then the data's own canonical bytes, which do not depend on the link and are made
    once."""
    chained: list[ChainedEntry] = []
    previous = after_hash
    at_text = time_text(at)
    quote = encode_basestring
    for seq, e in enumerate(entries, start=after_seq + 1):
        what = canonical_json.dumps(e.data)
        head = (
            f'{{"after":"{previous}","at":"{at_text}","by":{quote(e.actor)},'
            f'"kind":{quote(e.kind)},"seq":{seq},"subject":{quote(e.subject)},"what":'
        )
        data = head.encode() + what + b"}"
        previous = hashlib.sha256(data).hexdigest()
        chained.append(ChainedEntry(seq, at, e.actor, e.kind, e.subject, data, previous))
    return chained


@dataclass(frozen=True, slots=True)
class BrokenLink:
    """The first entry that does not verify, and what differs."""

    seq: int
    problem: str


class ChainCheck:
    """Checks stored entries in order, page by page; remembers where it is."""

    def __init__(self, wanted: Iterable[int] = ()) -> None:
        self.seq = 0
        self.hash = GENESIS
        #: hashes of the entries at these sizes (checkpoints to compare), once passed
        self.at_size: dict[int, str] = dict.fromkeys(wanted, "")
        if 0 in self.at_size:  # the empty chain's head
            self.at_size[0] = GENESIS

    def feed(self, rows: Iterable[StoredRow]) -> BrokenLink | None:
        seq, previous, sha256, at_size = self.seq, self.hash, hashlib.sha256, self.at_size
        quoted: dict[str, str] = {}  # actors and kinds repeat: quote each once
        for row_seq, at, actor, kind, subject, data, digest in rows:
            seq += 1
            if row_seq != seq:
                return _gap(seq, row_seq)
            if sha256(data).hexdigest() != digest:
                return BrokenLink(seq, "its stored bytes do not hash to its recorded hash")
            by = quoted.get(actor) or quoted.setdefault(actor, encode_basestring(actor))
            what = quoted.get(kind) or quoted.setdefault(kind, encode_basestring(kind))
            expected = (
                f'{{"after":"{previous}","at":"{at}","by":{by},"kind":{what},"seq":{seq},'
                f'"subject":{encode_basestring(subject)},"what":'
            )
            if not data.startswith(expected.encode()):
                return BrokenLink(seq, _differs(data, previous, row_seq, at, actor, kind, subject))
            previous = digest
            if seq in at_size:
                at_size[seq] = digest
        self.seq, self.hash = seq, previous
        return None


def _gap(expected: int, found: int) -> BrokenLink:
    if found > expected:
        return BrokenLink(expected, f"entry {expected} is missing (the next stored is {found})")
    return BrokenLink(found, f"entry {found} is stored out of place (expected {expected})")


def _differs(
    data: bytes, previous: str, seq: int, at: str, actor: str, kind: str, subject: str
) -> str:
    """How the row disagrees with its hashed bytes (the slow path, once)."""
    stored = json.loads(data)
    if stored.get("after") != previous:
        return f"it does not chain to entry {seq - 1}'s hash"
    columns = {"seq": seq, "at": at, "by": actor, "kind": kind, "subject": subject}
    names = {"by": "actor"}
    differ = [
        f"{names.get(k, k)} is {v!r}, its hashed bytes say {stored.get(k)!r}"
        for k, v in columns.items()
        if stored.get(k) != v
    ]
    return "; ".join(differ) or "its columns disagree with its hashed bytes"
