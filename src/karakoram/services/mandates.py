"""Representation: mandates by which a principal lets another party declare for it.

An administrator or a supervisor records and ends mandates; lodging, amending and cancelling
check them (`ensure_may_declare`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from karakoram.domain.access import Capability, Principal, Role, require_role, roles_with
from karakoram.domain.declaration.model import Declaration
from karakoram.domain.errors import FieldError, NotFound, ValidationFailed
from karakoram.domain.representation import Mandate, ensure_represents
from karakoram.services.context import NodeContext
from karakoram.services.ports import UnitOfWork

KEEPERS = tuple(roles_with(Capability.KEEP_MANDATES))


@dataclass(frozen=True, slots=True)
class Recorded:
    mandate: Mandate
    created: bool


def _identifier(value: str, pointer: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > 35:
        raise ValidationFailed(
            [FieldError("invalid_identifier", pointer, "An identifier of 1 to 35 characters.")]
        )
    return value


def _period(valid_from: datetime, valid_to: datetime | None) -> None:
    errors = []
    if valid_from.tzinfo is None:
        errors.append(FieldError("naive_time", "/valid_from", "Give a time zone."))
    if valid_to is not None and valid_to.tzinfo is None:
        errors.append(FieldError("naive_time", "/valid_to", "Give a time zone."))
    elif valid_to is not None and valid_from.tzinfo and valid_to <= valid_from:
        errors.append(
            FieldError("empty_period", "/valid_to", "valid_to must come after valid_from.")
        )
    if errors:
        raise ValidationFailed(errors)


def record_mandate(
    principal_party: str,
    representative: str,
    valid_from: datetime | None,
    valid_to: datetime | None,
    actor: Principal,
    ctx: NodeContext,
) -> Recorded:
    """Record that `principal_party` lets `representative` declare for it; the same mandate
    again answers the one recorded and changes nothing."""
    require_role(actor, *KEEPERS)
    party = _identifier(principal_party, "/principal")
    agent = _identifier(representative, "/representative")
    if party == agent:
        raise ValidationFailed(
            [FieldError("self_mandate", "/representative", "A party needs no mandate for itself.")]
        )
    now = ctx.clock()
    start = valid_from or now
    _period(start, valid_to)
    with ctx.uow() as uow:
        for m in uow.register.mandates(agent):
            if (m.principal, m.valid_from, m.valid_to) == (party, start, valid_to):
                return Recorded(m, created=False)
        added = uow.register.add_mandate(Mandate(party, agent, start, valid_to, actor.name, now))
        uow.commit()
        return Recorded(added, created=True)


def end_mandate(mandate_id: int, actor: Principal, ctx: NodeContext) -> Mandate:
    """End a mandate now (a mandate already ended keeps its end)."""
    require_role(actor, *KEEPERS)
    now = ctx.clock()
    with ctx.uow() as uow:
        found = next((m for m in uow.register.mandates() if m.id == mandate_id), None)
        if found is None:
            raise NotFound(f"No mandate {mandate_id}.")
        if found.valid_to is not None and found.valid_to <= now:
            return found
        ended = uow.register.end_mandate(mandate_id, max(now, found.valid_from))
        assert ended is not None
        uow.commit()
        return ended


def list_mandates(actor: Principal, ctx: NodeContext, party: str | None = None) -> list[Mandate]:
    """Mandates, all or those given to or by `party`: staff see all, a trader its own."""
    if actor.role is Role.TRADER:
        party = actor.party
    else:
        require_role(actor, *KEEPERS, Role.OFFICER)
    with ctx.uow() as uow:
        rows = uow.register.mandates()
    if party is None:
        return rows
    return [m for m in rows if party in (m.principal, m.representative)]


def ensure_may_declare(uow: UnitOfWork, principal: Principal, d: Declaration, at: datetime) -> None:
    """`NotRepresented` unless the caller's party is the responsible party of `d` (exporter
    or importer) or holds a mandate from it in force at `at`."""
    given = uow.register.mandates(principal.party) if principal.party else []
    ensure_represents(principal.party, d, given, at)
