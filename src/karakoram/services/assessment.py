"""Assess a declaration: duties and taxes, then risk; release green goods with nothing owed.

Planning is pure computation over the active policy (it may raise `ValidationFailed` when a
trader's data cannot be assessed, for example an HS code without a tariff line); storing the
plan is the caller's job, in the same transaction as the lodgement or amendment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from karakoram.domain.clearance import (
    Action,
    DeclarationEvent,
    ReleaseState,
    Status,
    next_status,
    release_blockers,
)
from karakoram.domain.declaration.model import DeclarationRecord, DeclarationType
from karakoram.domain.duties.assessment import DutyAssessment, calculate_duties
from karakoram.domain.gate.cargo_report import CargoReport
from karakoram.domain.gate.pre_arrival import PENDING_PARTNER_DOWN
from karakoram.domain.risk.channels import Channel
from karakoram.domain.risk.detectors import RiskSignal
from karakoram.domain.risk.engine import RiskDecision, RiskInput, assess_risk
from karakoram.services.aeo import with_register_aeo
from karakoram.services.context import NodeContext
from karakoram.services.exchange.partner_cargo import partner_truck
from karakoram.services.exchange.partner_view import check_preferences, partner_signals
from karakoram.services.exchange.pre_arrival import open_check
from karakoram.services.gate.presented import goods_presented
from karakoram.services.history import StoredHistory
from karakoram.services.partner_inspection import risk_facts
from karakoram.services.policy.documents import ActivePolicy
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import AssessmentRecord
from karakoram.services.selection import select

SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class AssessmentPlan:
    record: DeclarationRecord
    assessment: AssessmentRecord
    events: list[DeclarationEvent]


@dataclass(frozen=True, slots=True)
class Waiting:
    """Why an accepted declaration is not assessed: `code` is `policy_missing` or
    `exchange_rate` (then `currency` names the rate it waits for, on `on`)."""

    code: str
    #: for officers (may name the rule set, which traders never see)
    reason: str
    currency: str | None = None
    on: date | None = None

    def for_trader(self) -> str:
        """The same in words for the trader, without the controls' internals."""
        if self.code == "exchange_rate":
            return (
                f"Waiting for a current {self.currency} exchange rate: customs has not "
                f"published one usable on {self.on}, and the declaration cannot be assessed "
                "without it. Nothing is needed from you."
            )
        return (
            "Waiting for customs to put its tariff and risk rules in force; the declaration "
            "cannot be assessed before. Nothing is needed from you."
        )


def why_pending(policy: ActivePolicy, ctx: NodeContext) -> str | None:
    """Why declarations cannot be assessed now, or None when they can."""
    waiting = waiting_for(policy, ctx.clock().date())
    return waiting.reason if waiting else None


def waiting_for(
    policy: ActivePolicy, today: date, record: DeclarationRecord | None = None
) -> Waiting | None:
    """Why declarations (or `record`) cannot be assessed `today`, or None when they can. A
    declaration whose invoice currency the rate table publishes, but not currently, waits too
    (a currency the table never had is the trader's error, refused at lodgement)."""
    missing = policy.missing()
    if missing:
        why = "no active " + ", ".join(missing) + ": a supervisor must activate one"
        return Waiting("policy_missing", why)
    assert policy.rules is not None and policy.rates is not None
    currency = policy.rules.rule_set.currency
    if not policy.rates.has_rate(currency, today):
        why = f"no current {currency} exchange rate for the rule set"
        return Waiting("exchange_rate", why, currency, today)
    if record is None:
        return None
    invoiced = record.declaration.invoice.currency
    if invoiced in policy.rates.rates and not policy.rates.has_rate(invoiced, today):
        return Waiting("exchange_rate", f"no current {invoiced} exchange rate", invoiced, today)
    return None


def plan_assessment(
    record: DeclarationRecord,
    policy: ActivePolicy,
    ctx: NodeContext,
    history: StoredHistory,
    uow: UnitOfWork,
    covered: Decimal = Decimal(0),
) -> AssessmentPlan:
    """The assessment of an accepted declaration under a complete policy."""
    assert policy.rules and policy.tariff and policy.rates
    now = ctx.clock()
    d = record.declaration
    backed, refused_preferences = check_preferences(uow, d)
    duties = calculate_duties(backed, policy.tariff, policy.rates, now.date())
    if refused_preferences:
        duties = replace(duties, notes=(*duties.notes, *refused_preferences))
    to_node, _ = policy.rates.rate(d.invoice.currency, now.date())
    to_rule = to_node / policy.rates.rate(policy.rules.rule_set.currency, now.date())[0]
    signals = [s for source in ctx.signal_sources for s in source.signals(d)]
    detectors = policy.rules.rule_set.detectors
    signals += partner_signals(uow, d, policy.rates, now.date(), detectors, now)
    chosen = select(uow, ctx.selection_key, ctx.draw_window, record.mrn, d, now)
    uow.register.record_draw(chosen.record)
    registered = with_register_aeo(uow, d, record.lodged_at)
    facts = (
        chosen.facts
        | risk_facts(uow, d, now, ctx.partner_inspection_max_age)
        | known_facts(uow, record, signals, now)
    )
    given = RiskInput(
        record.mrn,
        registered,
        to_rule,
        to_node,
        chosen.draw,
        signals,
        facts,
        chosen.signals,
        truck_carrying(uow, d.ucr),
        contract_of(uow, d.ucr),
    )
    decision = assess_risk(given, policy.rules, policy.rules_version or 0, history)
    responsible = d.exporter if d.type is DeclarationType.EXPORT else d.importer
    history.remember(responsible.identifier)
    assessed = _assessed(record, decision, duties, now)
    event = DeclarationEvent(
        Action.ASSESS.value,
        record.status,
        assessed.status,
        SYSTEM,
        now,
        summary(decision, duties.total, duties.currency),
    )
    plan = AssessmentPlan(assessed, _stored(decision, duties, policy, now), [event])
    return _maybe_release(plan, covered, goods_presented(uow, record))


def truck_carrying(uow: UnitOfWork, ucr: str) -> CargoReport | None:
    """The latest cargo report here that lists consignment `ucr`, else the partner's."""
    reports = uow.cargo.carrying(ucr)
    return reports[-1].report if reports else partner_truck(uow, ucr)


def contract_of(uow: UnitOfWork, ucr: str) -> dict[str, Any] | None:
    """The contract (as the expo registered it) the consignment's UCR came from, if any."""
    draft = uow.contract_drafts.by_ucr(ucr) if ucr else None
    return draft.contract if draft is not None else None


def known_facts(
    uow: UnitOfWork, record: DeclarationRecord, signals: list[RiskSignal], now: datetime
) -> dict[str, object]:
    """Facts the node knows besides the declaration: an import waiting for a partner that is
    down is marked for later verification (and the check opened, in this transaction)."""
    pending = any(s.source == PENDING_PARTNER_DOWN for s in signals)
    if pending:
        open_check(uow, record, now)
    return {PENDING_PARTNER_DOWN: pending}


def _stored(
    decision: RiskDecision, duties: DutyAssessment, policy: ActivePolicy, now: datetime
) -> AssessmentRecord:
    """The automatic assessment as stored, with the versions of the policy it was made under."""
    return AssessmentRecord(
        "automatic",
        decision.channel.value,
        decision.score,
        decision.draw,
        duties.total,
        duties.currency,
        decision.as_dict(),
        duties.as_dict(),
        SYSTEM,
        now,
        policy.rules_version,
        policy.tariff_version,
        policy.rates_version,
    )


def _assessed(
    record: DeclarationRecord, decision: RiskDecision, duties: DutyAssessment, now: datetime
) -> DeclarationRecord:
    """The declaration once assessed: its channel, what it owes, its items' unit values."""
    d = record.declaration
    return replace(
        record,
        status=next_status(Status(record.status), Action.ASSESS).value,
        channel=decision.channel.value,
        amount_due=duties.total,
        due_currency=duties.currency,
        updated_at=now,
        unit_values=tuple(
            float(cv / i.net_mass) for cv, i in zip(duties.customs_values, d.items, strict=True)
        ),
    )


def summary(decision: RiskDecision, owed: Decimal, currency: str) -> str:
    reasons = decision.reasons()
    why = "; ".join(reasons[:3]) + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else "")
    return (
        f"{decision.channel.value} channel, score {decision.score}"
        + (f" ({why})" if why else "")
        + f"; {owed} {currency} owed"
    )


def _maybe_release(plan: AssessmentPlan, covered: Decimal, presented: bool) -> AssessmentPlan:
    record = plan.record
    released = auto_release(record, covered, plan.events[-1].at, presented)
    if released is None:
        return plan
    return AssessmentPlan(released[0], plan.assessment, [*plan.events, released[1]])


def auto_release(
    record: DeclarationRecord, covered: Decimal, at: datetime, presented: bool
) -> tuple[DeclarationRecord, DeclarationEvent] | None:
    """Release at once a green or blue declaration whose duties are paid or nothing owed and,
    for an import, whose goods were `presented` (docs/gate.md)."""
    channel = Channel(record.channel) if record.channel else None
    if record.status != Status.ASSESSED.value or channel not in (Channel.GREEN, Channel.BLUE):
        return None
    owed = record.amount_due or Decimal(0)
    currency = record.due_currency or ""
    state = ReleaseState(channel, False, False, False, owed, covered, currency, presented)
    if release_blockers(state):
        return None
    assert channel is not None
    why = "nothing owed" if owed == 0 else f"{owed} {record.due_currency} paid or guaranteed"
    if record.declaration.type is DeclarationType.IMPORT:
        why += ", goods presented"
    audit = "; post-clearance audit follows" if channel is Channel.BLUE else ""
    released = replace(record, status=Status.RELEASED.value, updated_at=at)
    return released, DeclarationEvent(
        Action.RELEASE.value,
        record.status,
        released.status,
        SYSTEM,
        at,
        f"{channel.value} channel, {why}{audit}",
    )


class Assessor:
    """Assesses declarations inside one unit of work: the policy is read once, and traders
    seen earlier in the same batch count as known."""

    def __init__(self, uow: UnitOfWork, ctx: NodeContext) -> None:
        self._ctx = ctx
        self._uow = uow
        self.policy = ctx.policy.current(uow)
        self.pending = why_pending(self.policy, ctx)
        self._today = ctx.clock().date()
        self.history = StoredHistory(uow.clearance, ctx.unit_values)

    def assess(
        self, record: DeclarationRecord, covered: Decimal = Decimal(0)
    ) -> tuple[DeclarationRecord, AssessmentRecord | None, list[DeclarationEvent]]:
        """Assess when the policy allows; otherwise the record stays accepted, unchanged."""
        if self.pending is not None or waiting_for(self.policy, self._today, record):
            return record, None, []
        plan = plan_assessment(record, self.policy, self._ctx, self.history, self._uow, covered)
        return plan.record, plan.assessment, plan.events
