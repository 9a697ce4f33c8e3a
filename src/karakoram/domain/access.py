"""Who may do what: the roles, the capabilities, and the one table between them.

Roles come from DESIGN.md's security section. `PERMISSIONS` is the node's whole role matrix:
the API, the web UI and the services all ask `require(principal, capability)`, so a role gains
or loses a door in one place. Selectivity stays confidential (WCO Risk Management Compendium):
traders and brokers see their channel, what is asked of them and what they owe, never rules,
scores, fired conditions, rates, draws or watch-list hits; officers see the rules that fired on
the declarations they handle; whole rule sets, watch lists and back-tests are for supervisors
and risk analysts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.errors import NotFound, PermissionDenied


class Role(StrEnum):
    TRADER = "trader"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    #: the statistician: figures and reports, never risk criteria
    ANALYST = "analyst"
    #: designs and tests risk rules: reads rule sets and watch lists, runs back-tests
    RISK_ANALYST = "risk_analyst"
    ADMINISTRATOR = "administrator"
    PARTNER = "partner"
    #: a haulier: lodges the cargo reports of its trucks, sees nothing of declarations
    CARRIER = "carrier"


#: Roles of the node's own staff who may read every declaration of the node.
STAFF: frozenset[Role] = frozenset(
    {Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.RISK_ANALYST, Role.ADMINISTRATOR}
)


class Capability(StrEnum):
    """What a route, a page or a service function needs of its caller."""

    READ_DECLARATIONS = "read_declarations"
    LODGE_DECLARATIONS = "lodge_declarations"
    READ_FIRED_RULES = "read_fired_rules"
    ACT_ON_DECLARATION = "act_on_declaration"
    OVERRIDE_CHANNEL = "override_channel"
    READ_RULE_SETS = "read_rule_sets"
    EDIT_RULE_SETS = "edit_rule_sets"
    BACKTEST = "backtest"
    READ_TARIFFS = "read_tariffs"
    EDIT_TARIFFS = "edit_tariffs"
    READ_PARTNER_RECORDS = "read_partner_records"
    WATCH_EXCHANGE = "watch_exchange"
    READ_STATISTICS = "read_statistics"
    ADMINISTER_USERS = "administer_users"
    ADMINISTER_NODE = "administer_node"
    VERIFY_AUDIT = "verify_audit"
    READ_MANDATES = "read_mandates"
    KEEP_MANDATES = "keep_mandates"
    READ_AEO_REGISTER = "read_aeo_register"
    KEEP_AEO_REGISTER = "keep_aeo_register"
    LODGE_CARGO_REPORTS = "lodge_cargo_reports"
    READ_CARGO_REPORTS = "read_cargo_reports"
    #: a trader's own attestation for the expo (services/attestation.py)
    REQUEST_ATTESTATION = "request_attestation"
    #: a trader's own contract-signing keys certified by the node's CA (services/trader_keys.py)
    CERTIFY_KEYS = "certify_keys"
    READ_CONTRACT_DRAFTS = "read_contract_drafts"
    #: documents attached to a declaration: its declarant or representative, officers (issue 17)
    READ_ATTACHMENTS = "read_attachments"
    #: documents the partner administration shared with this node's officers (issue 17)
    READ_PARTNER_DOCUMENTS = "read_partner_documents"


_R = Role
#: The role matrix: which roles hold each capability. Nothing else grants a capability.
PERMISSIONS: dict[Capability, frozenset[Role]] = {
    Capability.READ_DECLARATIONS: frozenset(
        {_R.TRADER, _R.OFFICER, _R.SUPERVISOR, _R.ANALYST, _R.RISK_ANALYST, _R.ADMINISTRATOR}
    ),
    Capability.LODGE_DECLARATIONS: frozenset({_R.TRADER}),
    Capability.READ_FIRED_RULES: frozenset({_R.OFFICER, _R.SUPERVISOR, _R.RISK_ANALYST}),
    Capability.ACT_ON_DECLARATION: frozenset({_R.OFFICER, _R.SUPERVISOR}),
    Capability.OVERRIDE_CHANNEL: frozenset({_R.SUPERVISOR}),
    Capability.READ_RULE_SETS: frozenset({_R.SUPERVISOR, _R.RISK_ANALYST}),
    Capability.EDIT_RULE_SETS: frozenset({_R.SUPERVISOR}),
    Capability.BACKTEST: frozenset({_R.SUPERVISOR, _R.RISK_ANALYST}),
    Capability.READ_TARIFFS: frozenset(
        {_R.TRADER, _R.OFFICER, _R.SUPERVISOR, _R.ANALYST, _R.RISK_ANALYST, _R.ADMINISTRATOR}
    ),
    Capability.EDIT_TARIFFS: frozenset({_R.SUPERVISOR, _R.ADMINISTRATOR}),
    Capability.READ_PARTNER_RECORDS: frozenset({_R.OFFICER, _R.SUPERVISOR, _R.ANALYST}),
    Capability.WATCH_EXCHANGE: frozenset({_R.SUPERVISOR, _R.ADMINISTRATOR}),
    Capability.READ_STATISTICS: frozenset({_R.ANALYST, _R.SUPERVISOR, _R.ADMINISTRATOR}),
    Capability.ADMINISTER_USERS: frozenset({_R.ADMINISTRATOR}),
    Capability.ADMINISTER_NODE: frozenset({_R.ADMINISTRATOR}),
    Capability.VERIFY_AUDIT: frozenset({_R.SUPERVISOR, _R.ADMINISTRATOR}),
    Capability.READ_MANDATES: frozenset({_R.TRADER, _R.OFFICER, _R.SUPERVISOR, _R.ADMINISTRATOR}),
    Capability.KEEP_MANDATES: frozenset({_R.SUPERVISOR, _R.ADMINISTRATOR}),
    Capability.READ_AEO_REGISTER: frozenset({_R.OFFICER, _R.SUPERVISOR, _R.ADMINISTRATOR}),
    Capability.KEEP_AEO_REGISTER: frozenset({_R.SUPERVISOR}),
    Capability.LODGE_CARGO_REPORTS: frozenset({_R.CARRIER}),
    #: a carrier its own trucks' reports only (services/gate/cargo_reports.py)
    Capability.READ_CARGO_REPORTS: frozenset({_R.CARRIER, _R.OFFICER, _R.SUPERVISOR}),
    Capability.REQUEST_ATTESTATION: frozenset({_R.TRADER}),
    Capability.CERTIFY_KEYS: frozenset({_R.TRADER}),
    #: its own drafts from contracts signed at the expo (services/contracts)
    Capability.READ_CONTRACT_DRAFTS: frozenset({_R.TRADER}),
    Capability.READ_ATTACHMENTS: frozenset({_R.TRADER, _R.OFFICER, _R.SUPERVISOR}),
    Capability.READ_PARTNER_DOCUMENTS: frozenset({_R.OFFICER, _R.SUPERVISOR}),
}


def may(role: Role, capability: Capability) -> bool:
    """Whether `role` holds `capability` under the one table."""
    return role in PERMISSIONS[capability]


def roles_with(capability: Capability) -> tuple[Role, ...]:
    """The roles holding `capability`, in the order `Role` lists them."""
    return tuple(r for r in Role if r in PERMISSIONS[capability])


def require(principal: Principal, capability: Capability) -> None:
    """Refuse (`PermissionDenied`) a caller whose role lacks `capability`."""
    if not may(principal.role, capability):
        raise PermissionDenied(
            f"This needs {capability.value.replace('_', ' ')}, which the role "
            f"{principal.role.value} does not have.",
            code="missing_capability",
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
