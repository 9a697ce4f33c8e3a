"""The audit trail of one object or one user, as a supervisor reads it: the entries of the
chain, newest first, each with the changes it recorded and whether its stored bytes still
hash to its recorded hash (the whole chain's links are `audit verify`'s to check)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from karakoram.domain.access import Capability, Principal, require
from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.services.context import NodeContext

MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class TrailEntry:
    seq: int
    at: str
    actor: str
    kind: str
    subject: str
    changes: list[dict[str, Any]]
    intact: bool


@dataclass(frozen=True, slots=True)
class Trail:
    entries: list[TrailEntry]
    #: the `before` of the next page, when there is one
    next_before: int | None


def audit_trail(
    principal: Principal,
    ctx: NodeContext,
    subject: str | None = None,
    actor: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> Trail:
    """One page of the trail of `subject` (an MRN, `user/NAME`, `cargo/...`), of `actor` (a
    user name), or of both."""
    require(principal, Capability.VERIFY_AUDIT)
    subject, actor = (subject or "").strip() or None, (actor or "").strip() or None
    errors = []
    if subject is None and actor is None:
        errors.append(FieldError("required", "/subject", "Name an object or a user."))
    if not 1 <= limit <= MAX_PAGE:
        errors.append(FieldError("out_of_range", "/limit", f"limit is 1 to {MAX_PAGE}."))
    if errors:
        raise ValidationFailed(errors)
    with ctx.uow() as uow:
        rows = uow.audit.trail(subject, actor, before, limit + 1)
    entries = [_entry(row) for row in rows[:limit]]
    more = len(rows) > limit
    return Trail(entries, entries[-1].seq if more and entries else None)


def _entry(row: tuple[int, str, str, str, str, bytes, str]) -> TrailEntry:
    seq, at, actor, kind, subject, data, digest = row
    intact = hashlib.sha256(data).hexdigest() == digest
    try:
        what = json.loads(data).get("what", {})
        changes = what.get("changes", [what]) if isinstance(what, dict) else []
    except (ValueError, AttributeError):
        changes = []
    return TrailEntry(seq, at, actor, kind, subject, changes, intact)
