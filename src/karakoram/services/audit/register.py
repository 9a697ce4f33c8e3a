"""Mandates and the AEO register against the audit chain.

Every change to either (added, ended) is recorded by `adapters/db/audited.py` as an audit
entry whose subject is `mandate/<id>` or `aeo/<id>`: `added` holds the row's whole state
(`mandate_state`, `aeo_state`), `ended` its new end. Replaying a row's entries in chain order
gives what the row must hold; `register_problem` compares each row's canonical form with it,
so a mandate or certification altered, added or removed with database rights makes
`audit verify` fail, naming the entry that recorded the row (`verify_with_records`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from karakoram.domain.representation import AeoEntry, Mandate
from karakoram.services import canonical_json
from karakoram.services.audit.chain import BrokenLink
from karakoram.services.audit.verify import AuditReport, verify_audit
from karakoram.services.context import NodeContext
from karakoram.services.ports import PeerTransport

#: the subjects' prefixes, one per register (the kinds are `<name>.added`, `<name>.ended`)
MANDATE = "mandate"
AEO = "aeo"

#: a stored entry of a prefixed subject: seq, subject, canonical bytes, hash
PrefixedRow = tuple[int, str, bytes, str]


def utc(at: datetime | None) -> str | None:
    """A time as register entries hold it: UTC, so that a row read back compares equal."""
    return None if at is None else at.astimezone(UTC).isoformat()


def mandate_state(m: Mandate) -> dict[str, Any]:
    return {
        "principal": m.principal,
        "representative": m.representative,
        "from": utc(m.valid_from),
        "to": utc(m.valid_to),
        "recorded_by": m.recorded_by,
        "recorded_at": utc(m.recorded_at),
    }


def aeo_state(e: AeoEntry) -> dict[str, Any]:
    return {
        "identifier": e.identifier,
        "level": e.level,
        "from": utc(e.valid_from),
        "to": utc(e.valid_to),
        "source": e.source,
        "recorded_by": e.recorded_by,
        "recorded_at": utc(e.recorded_at),
    }


def subject(register: str, row_id: int | None) -> str:
    return f"{register}/{row_id}"


def replay(rows: Iterable[PrefixedRow]) -> tuple[dict[str, tuple[int, dict[str, Any]]], list[int]]:
    """Each subject's state after its entries (and the last entry's seq); entries whose bytes
    do not hash to their hash are left out and listed."""
    states: dict[str, tuple[int, dict[str, Any]]] = {}
    unsound: list[int] = []
    for seq, name, data, digest in rows:
        if hashlib.sha256(data).hexdigest() != digest:
            unsound.append(seq)
            continue
        for change in json.loads(data)["what"].get("changes", []):
            action = str(change.get("kind", "")).partition(".")[2]
            state = dict(states.get(name, (seq, {}))[1])
            if action == "added":
                state = {k: v for k, v in change.items() if k not in ("kind", "by")}
            elif action == "ended":
                state["to"] = change.get("to")
            states[name] = (seq, state)
    return states, unsound


def _differences(row: dict[str, Any], recorded: dict[str, Any]) -> str:
    names = [k for k in sorted(set(row) | set(recorded)) if row.get(k) != recorded.get(k)]
    return "; ".join(f"{k} is {row.get(k)!r}, the entry says {recorded.get(k)!r}" for k in names)


def compare(current: dict[str, dict[str, Any]], rows: Iterable[PrefixedRow]) -> BrokenLink | None:
    """The first disagreement between a register's rows (`current`, by subject) and the state
    their audit entries give, or None. A row no entry recorded is named at entry 0."""
    states, unsound = replay(rows)
    if unsound:
        return BrokenLink(unsound[0], "its stored bytes do not hash to its recorded hash")
    for name, state in sorted(current.items()):
        if name not in states:
            return BrokenLink(0, f"{name} is in the register, but no audit entry recorded it")
        seq, recorded = states[name]
        if canonical_json.dumps(state) != canonical_json.dumps(recorded):
            what = _differences(state, recorded)
            return BrokenLink(seq, f"{name} differs from the entry that recorded it: {what}")
    for name, (seq, _) in sorted(states.items()):
        if name not in current:
            return BrokenLink(seq, f"{name}, recorded by this entry, is missing from the register")
    return None


def register_problem(ctx: NodeContext) -> BrokenLink | None:
    """The first mandate or AEO register row that its audit entries contradict, or None."""
    with ctx.uow() as uow:
        mandates = {subject(MANDATE, m.id): mandate_state(m) for m in uow.register.mandates()}
        entries = {subject(AEO, e.id): aeo_state(e) for e in uow.register.aeo_entries()}
        return compare(mandates, uow.audit.with_prefix(f"{MANDATE}/")) or compare(
            entries, uow.audit.with_prefix(f"{AEO}/")
        )


def verify_with_records(
    ctx: NodeContext,
    progress: Callable[[int, int], None] | None = None,
    peer: PeerTransport | None = None,
) -> AuditReport:
    """`verify_audit` (with `peer`, the partners' copies of our checkpoints too), then the
    registers (mandates, AEO) against the entries that recorded them: a row altered in the
    database breaks the verification at its entry."""
    report = verify_audit(ctx, progress, peer)
    if not report.ok:
        return report
    problem = register_problem(ctx)
    return report if problem is None else replace(report, broken=problem)
