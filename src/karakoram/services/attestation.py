"""Attestations: the node vouches for one of its traders to the expo, signed with the
node's exchange key (the same signer as its messages).

The trader is known here by its account (role trader, the identifier it acts for) and named
as in its latest declaration (its company's name; the account's name until it lodged one); the AEO
status comes from this administration's own register at the moment of issue, never from
anything the trader typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.attestation import MAX_LIFETIME, Attestation, claims_of
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from karakoram.domain.representation import LOCAL
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import configured
from karakoram.services.records import DeclarationFilter

DEFAULT_DAYS = 30


@dataclass(frozen=True, slots=True)
class IssuedAttestation:
    token: str
    attestation: Attestation


def issue_attestation(
    trader_id: str, actor: Principal, ctx: NodeContext, days: int = DEFAULT_DAYS
) -> IssuedAttestation:
    """A signed attestation of `trader_id`, valid `days` from now: a trader asks for its own,
    a supervisor or administrator for any trader of this node."""
    require_role(actor, Role.TRADER, Role.SUPERVISOR, Role.ADMINISTRATOR)
    if actor.role is Role.TRADER and actor.party != trader_id:
        raise PermissionDenied(
            "A trader may ask for an attestation of itself only.", code="not_your_trader"
        )
    if not 1 <= days <= MAX_LIFETIME.days:
        raise ValidationFailed(
            [FieldError("out_of_range", "/days", f"Between 1 and {MAX_LIFETIME.days} days.")]
        )
    exchange = configured(ctx.exchange)
    now = ctx.clock().replace(microsecond=0)
    with ctx.uow() as uow:
        accounts = sorted(
            (
                u
                for u in uow.users.all()
                if u.role == Role.TRADER.value and u.party == trader_id and u.active
            ),
            key=lambda u: u.id,
        )
        entries = uow.register.aeo_entries([trader_id])
        latest = uow.declarations.find(
            DeclarationFilter(trader=trader_id, newest_first=True), actor, None, 1
        )
    if not accounts:
        raise NotFound(f"No active trader {trader_id!r} at this node.")
    held = sorted(
        (e for e in entries if e.source == LOCAL and e.in_force(now)), key=lambda e: e.valid_from
    )
    attestation = Attestation(
        ctx.administration,
        trader_id,
        _company_name(trader_id, latest) or accounts[0].name,
        ctx.rules.country,
        bool(held),
        held[-1].level if held else None,
        now,
        now + timedelta(days=days),
    )
    return IssuedAttestation(exchange.crypto.sign(claims_of(attestation)), attestation)


def _company_name(trader_id: str, latest: list[DeclarationRecord]) -> str | None:
    """The name the trader goes by in its latest declaration (a company's, as customs knows
    it), not its account's login name; None when it has lodged nothing yet."""
    for record in latest:
        d = record.declaration
        for party in (d.exporter, d.importer, d.declarant):
            if party.identifier == trader_id and party.name.strip():
                return party.name.strip()
    return None
