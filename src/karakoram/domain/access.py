"""Who may do what. Roles come from DESIGN.md's security section."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.errors import NotFound, PermissionDenied


class Role(StrEnum):
    TRADER = "trader"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    ADMINISTRATOR = "administrator"
    PARTNER = "partner"


#: Roles of the node's own staff who may read every declaration of the node.
STAFF: frozenset[Role] = frozenset(
    {Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.ADMINISTRATOR}
)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: int
    name: str
    role: Role
    #: the trader identifier a trader acts for (matches party identifiers on declarations)
    party: str | None = None


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        wanted = ", ".join(r.value for r in roles)
        raise PermissionDenied(f"This needs the role {wanted}; you are {principal.role.value}.")


def can_see(principal: Principal, record: DeclarationRecord) -> bool:
    if principal.role in STAFF:
        return True
    if principal.role is Role.TRADER and principal.party:
        return (
            record.owner == principal.party
            or principal.party in record.declaration.party_identifiers()
        )
    return False


def ensure_visible(
    principal: Principal, record: DeclarationRecord | None, mrn: str
) -> DeclarationRecord:
    """The record, or `NotFound` whether it is missing or hidden, so existence does not leak."""
    if record is None or not can_see(principal, record):
        raise NotFound(f"No declaration {mrn} that you can see.")
    return record


def ensure_can_change(principal: Principal, record: DeclarationRecord) -> None:
    """Only the trader who lodged a declaration may amend or cancel it."""
    if principal.role is not Role.TRADER or record.owner != principal.party:
        raise PermissionDenied("Only the trader who lodged a declaration may amend or cancel it.")
