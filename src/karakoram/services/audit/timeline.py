"""A declaration's timeline checked against the audit chain.

The event rows and the declaration row can be changed by anyone with database rights; the
audit entries that recorded them cannot without breaking the chain (`audit verify`). So a
timeline is served with each event compared to the change its audit entry recorded: the row's
canonical form (`event_change`, the very dictionary `adapters/db/audited.py` records) against
the change read from the entry's stored canonical bytes. An event no entry records is marked
unverified; a recorded event no row matches (a row deleted, or changed: the chain's version)
is served beside the timeline; the declaration's status, channel and digest are compared with
the last the chain recorded.

Cheap on purpose: one indexed query for the declaration's entries (`audit_log (subject, seq)`)
and a JSON parse of each, a handful per declaration. Each entry's bytes are checked against
its own hash; that the chain links (nothing inserted, removed or rewritten before it) is what
`audit verify` proves for the whole log.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.services import canonical_json

#: a stored entry of one subject: seq, canonical bytes, hash
SubjectRow = tuple[int, bytes, str]

_EVENT_PREFIX = "declaration."


def iso(at: datetime | None) -> str | None:
    """A time as the audit log's changes hold it."""
    return None if at is None else at.isoformat()


def event_data(e: DeclarationEvent) -> dict[str, Any]:
    """What an event's audit change holds besides its kind and actor (and the declaration's
    digest, added when the declaration was written in the same unit of work)."""
    data: dict[str, Any] = {"from": e.from_state, "to": e.to_state, "at": iso(e.at)}
    if e.reason is not None:
        data["reason"] = e.reason
    return data


def event_change(e: DeclarationEvent) -> dict[str, Any]:
    """An event row as its audit change records it (`SqlAuditLog.record`'s shape)."""
    return {"kind": f"{_EVENT_PREFIX}{e.action}", "by": e.actor, **event_data(e)}


def _key(change: Mapping[str, Any]) -> bytes:
    """The canonical bytes compared: the change without the declaration's digest, its time
    in UTC (a row read back from the database is in UTC whatever zone wrote it)."""
    kept = {k: v for k, v in change.items() if k != "digest"}
    if isinstance(kept.get("at"), str):
        kept["at"] = datetime.fromisoformat(kept["at"]).astimezone(UTC).isoformat()
    return canonical_json.dumps(kept)


def _as_event(change: Mapping[str, Any]) -> DeclarationEvent:
    return DeclarationEvent(
        str(change["kind"])[len(_EVENT_PREFIX) :],
        change.get("from"),
        str(change["to"]),
        str(change["by"]),
        datetime.fromisoformat(change["at"]),
        change.get("reason"),
    )


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a declaration's audit entries recorded, in chain order."""

    #: event changes (those with a `to` state)
    events: list[dict[str, Any]] = field(default_factory=list)
    channel: str | None = None
    digest: str | None = None
    #: entries whose bytes do not hash to their recorded hash (their changes are not used)
    unsound: list[int] = field(default_factory=list)

    @classmethod
    def read(cls, rows: Iterable[SubjectRow]) -> Recorded:
        events: list[dict[str, Any]] = []
        channel = digest = None
        unsound: list[int] = []
        for seq, data, digest_hex in rows:
            if hashlib.sha256(data).hexdigest() != digest_hex:
                unsound.append(seq)
                continue
            for change in json.loads(data)["what"].get("changes", []):
                if not str(change.get("kind", "")).startswith(_EVENT_PREFIX):
                    continue
                if "to" in change:
                    events.append(change)
                if "channel" in change:
                    channel = change["channel"]
                if "digest" in change:
                    digest = change["digest"]
        return cls(events, channel, digest, unsound)


@dataclass(frozen=True, slots=True)
class CheckedTimeline:
    """A timeline beside its audit record: which rows the record confirms, what it holds
    that no row shows, and why the whole does not verify (empty when it does)."""

    events: list[DeclarationEvent]
    #: one per event: whether an audit entry recorded exactly this row
    verified: list[bool]
    #: events the audit record holds that no row matches (the chain's version)
    recorded_only: list[DeclarationEvent]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unverified(self) -> list[DeclarationEvent]:
        """The events no audit entry recorded as they stand."""
        return [e for e, ok in zip(self.events, self.verified, strict=True) if not ok]


def check_timeline(
    record: DeclarationRecord, events: Sequence[DeclarationEvent], rows: Iterable[SubjectRow]
) -> CheckedTimeline:
    """Compare `record` and its `events` with the audit entries of its MRN (`rows`)."""
    recorded = Recorded.read(rows)
    unmatched = Counter(_key(c) for c in recorded.events)
    verified = [_consume(unmatched, _key(event_change(e))) for e in events]
    only = [_as_event(c) for c in recorded.events if _consume(unmatched, _key(c))]
    problems = [f"audit entry {seq}'s bytes do not hash to its hash" for seq in recorded.unsound]
    problems += [
        f"the {e.action} event at {iso(e.at)} does not match the audit record"
        for e, ok in zip(events, verified, strict=True)
        if not ok
    ]
    problems += [
        f"the audit record holds a {e.action} event at {iso(e.at)} that the timeline lacks"
        for e in only
    ]
    problems += _record_problems(record, recorded)
    return CheckedTimeline(list(events), verified, only, problems)


def _consume(left: Counter[bytes], key: bytes) -> bool:
    """True (and one fewer left) while `key` has recorded events no row matched."""
    if left[key] > 0:
        left[key] -= 1
        return True
    return False


def _record_problems(record: DeclarationRecord, recorded: Recorded) -> list[str]:
    problems: list[str] = []
    last = recorded.events[-1]["to"] if recorded.events else None
    if last is not None and record.status != last:
        problems.append(f"the status is {record.status}; the audit record says {last}")
    if record.channel != recorded.channel:
        problems.append(
            f"the channel is {record.channel or 'none'}; "
            f"the audit record says {recorded.channel or 'none'}"
        )
    if recorded.digest is not None and record.digest != recorded.digest:
        problems.append("the declaration's digest differs from the one the audit record holds")
    return problems
