"""Clearance policy: the versioned rule set, tariff schedule and exchange-rate table.

Each is a text document the administration submits (draft), validates, activates and can roll
back. An invalid document is refused with every error listed, and the active one stays. The
running node parses the active documents once and re-reads them only when another version is
activated (checked with one small query per unit of work, so several workers stay in step).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from karakoram.domain.access import Capability, Principal, Role, require_role, roles_with
from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.domain.duties.rates_file import parse_rates_csv
from karakoram.domain.duties.schedule import TariffSchedule
from karakoram.domain.duties.tariff_file import parse_tariff
from karakoram.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from karakoram.domain.risk.compiled import CompiledRuleSet
from karakoram.domain.risk.rule_file import parse_rule_set
from karakoram.domain.risk.rules import RuleSet
from karakoram.services.ports import UnitOfWork, UnitOfWorkFactory
from karakoram.services.records import PolicyDocument

log = logging.getLogger(__name__)


class Kind(StrEnum):
    RULES = "rules"
    TARIFF = "tariff"
    RATES = "rates"


#: who may change each kind of document
EDITORS: dict[Kind, tuple[Role, ...]] = {
    Kind.RULES: roles_with(Capability.EDIT_RULE_SETS),
    Kind.TARIFF: roles_with(Capability.EDIT_TARIFFS),
    Kind.RATES: roles_with(Capability.EDIT_TARIFFS),
}


@dataclass(frozen=True, slots=True)
class ActivePolicy:
    """The parsed active documents and their versions (None when not loaded)."""

    rules: CompiledRuleSet | None = None
    rules_version: int | None = None
    tariff: TariffSchedule | None = None
    tariff_version: int | None = None
    rates: ExchangeRates | None = None
    rates_version: int | None = None

    def missing(self) -> list[str]:
        names = {
            "rule set": self.rules,
            "tariff schedule": self.tariff,
            "exchange-rate table": self.rates,
        }
        return [name for name, doc in names.items() if doc is None]


@dataclass(frozen=True, slots=True)
class Parsers:
    """How each kind of document is parsed, given the node's code lists."""

    currencies: frozenset[str]
    base_currency: str

    def parse(self, kind: Kind, text: str) -> Any:
        if kind is Kind.RULES:
            return parse_rule_set(text, self.currencies)
        if kind is Kind.TARIFF:
            schedule = parse_tariff(text, self.currencies)
            if schedule.currency != self.base_currency:
                raise ValidationFailed(
                    [
                        FieldError(
                            "unknown_currency",
                            "/currency",
                            f"The schedule is in {schedule.currency}; this node assesses in "
                            f"{self.base_currency}.",
                        )
                    ]
                )
            return schedule
        return parse_rates_csv(text, self.base_currency, self.currencies)

    def name_of(self, kind: Kind, parsed: Any) -> str:
        if kind is Kind.RATES:
            return f"exchange rates ({len(parsed.rates)} currencies)"
        return str(parsed.name)


class PolicyCache:
    """The parsed active policy, refreshed when the active versions change."""

    def __init__(self, parsers: Parsers) -> None:
        self.parsers = parsers
        self._lock = threading.Lock()
        self._versions: dict[str, int] | None = None
        self._policy = ActivePolicy()
        self._checked = 0.0
        self.recheck = 2.0
        #: run after a version is activated (bootstrap: assess the declarations that waited)
        self.on_activation: Callable[[], object] | None = None

    def forget(self) -> None:
        """Re-read the active versions on the next use (after an activation here)."""
        with self._lock:
            self._versions = None

    def current(self, uow: UnitOfWork) -> ActivePolicy:
        """The active policy. Which versions are active is re-read at most every `recheck`
        seconds (an activation in this process is seen at once; other workers within that)."""
        now = time.monotonic()
        with self._lock:
            if self._versions is not None and now < self._checked + self.recheck:
                return self._policy
        versions = uow.policy.active_versions()
        with self._lock:
            self._checked = now
            if versions == self._versions:
                return self._policy
        docs = {k: uow.policy.active(k) for k in versions}
        policy = self._build(docs)
        with self._lock:
            self._versions, self._policy = versions, policy
        return policy

    def _build(self, docs: dict[str, PolicyDocument | None]) -> ActivePolicy:
        parsed: dict[str, Any] = {}
        versions: dict[str, int | None] = {}
        for kind in Kind:
            doc = docs.get(kind.value)
            parsed[kind] = self.parsers.parse(kind, doc.source) if doc else None
            versions[kind] = doc.version if doc else None
        rules = parsed[Kind.RULES]
        return ActivePolicy(
            rules=CompiledRuleSet(rules) if rules else None,
            rules_version=versions[Kind.RULES],
            tariff=parsed[Kind.TARIFF],
            tariff_version=versions[Kind.TARIFF],
            rates=parsed[Kind.RATES],
            rates_version=versions[Kind.RATES],
        )


def validate_document(kind: Kind, text: str, cache: PolicyCache) -> Any:
    """Parse a document without storing it; raises ValidationFailed listing every problem."""
    return cache.parsers.parse(kind, text)


def submit_document(
    kind: Kind,
    text: str,
    principal: Principal,
    cache: PolicyCache,
    uow: UnitOfWorkFactory,
    clock: Callable[[], Any],
) -> PolicyDocument:
    """Store a valid document as a draft (a new version); it is not used until activated."""
    require_role(principal, *EDITORS[kind])
    parsed = validate_document(kind, text, cache)
    with uow() as work:
        doc = work.policy.add(
            kind.value, cache.parsers.name_of(kind, parsed), text, principal.name, clock()
        )
        work.commit()
    return doc


def activate_document(
    kind: Kind,
    version: int,
    principal: Principal,
    cache: PolicyCache,
    uow: UnitOfWorkFactory,
    clock: Callable[[], Any],
    reason: str | None = None,
) -> PolicyDocument:
    """Make `version` the active document of its kind; the previous one is retired."""
    require_role(principal, *EDITORS[kind])
    with uow() as work:
        doc = work.policy.get(kind.value, version)
        if doc is None:
            raise NotFound(f"No {kind.value} version {version}.")
        parsed = validate_document(kind, doc.source, cache)
        _check_fits(kind, parsed, cache.current(work), clock().date())
        work.policy.activate(kind.value, version, principal.name, reason, clock())
        work.commit()
        cache.forget()
    if cache.on_activation is not None:
        try:
            cache.on_activation()
        except Exception:  # the activation stands; what waited is assessed on the next one
            log.exception("assessing the declarations that waited failed after an activation")
    return PolicyDocument(
        doc.kind, doc.version, doc.name, doc.source, "active", doc.created_by, doc.created_at
    )


def install_document(
    kind: Kind,
    text: str,
    principal: Principal,
    cache: PolicyCache,
    uow: UnitOfWorkFactory,
    clock: Callable[[], Any],
    reason: str | None = None,
) -> PolicyDocument:
    """Store a document as a new version and make it the active one (load and activate)."""
    doc = submit_document(kind, text, principal, cache, uow, clock)
    return activate_document(kind, doc.version, principal, cache, uow, clock, reason)


def rollback_document(
    kind: Kind,
    principal: Principal,
    cache: PolicyCache,
    uow: UnitOfWorkFactory,
    clock: Callable[[], Any],
    reason: str | None = None,
) -> PolicyDocument:
    """Activate again the version that was active before the current one."""
    with uow() as work:
        history = work.policy.activation_history(kind.value)
    current = history[-1] if history else None
    earlier = [v for v in history if v != current]
    if not earlier:
        raise Conflict(f"There is no earlier {kind.value} version to roll back to.")
    return activate_document(
        kind,
        earlier[-1],
        principal,
        cache,
        uow,
        clock,
        reason or f"rollback from version {current}",
    )


def _check_fits(kind: Kind, parsed: Any, policy: ActivePolicy, today: date) -> None:
    """A rule set must be convertible with the active rates, and rates must cover it."""
    rules = parsed if kind is Kind.RULES else (policy.rules.rule_set if policy.rules else None)
    rates = parsed if kind is Kind.RATES else policy.rates
    if not isinstance(rules, RuleSet) or rates is None or rates.has_rate(rules.currency, today):
        return
    raise ValidationFailed(
        [
            FieldError(
                "missing_exchange_rate",
                "/rule_set/currency" if kind is Kind.RULES else "/rows",
                f"The rule set compares values in {rules.currency}, and the exchange-rate "
                f"table has no current {rules.currency} rate.",
            )
        ]
    )


def list_documents(kind: Kind, uow: UnitOfWorkFactory) -> list[PolicyDocument]:
    with uow() as work:
        return work.policy.all(kind.value)


def get_document(kind: Kind, version: int, uow: UnitOfWorkFactory) -> PolicyDocument:
    with uow() as work:
        doc = work.policy.get(kind.value, version)
    if doc is None:
        raise NotFound(f"No {kind.value} version {version}.")
    return doc
