"""Back-testing: what a rule set would have decided over past declarations, changing nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.declaration import DeclarationRecord
from karakoram.domain.errors import Conflict, ValidationFailed
from karakoram.domain.risk.channels import Channel
from karakoram.domain.risk.compiled import CompiledRuleSet
from karakoram.domain.risk.engine import RiskDecision, RiskInput, assess_risk, selection_draw
from karakoram.domain.risk.rules import RuleSet
from karakoram.services.context import NodeContext
from karakoram.services.history import PageHistory, StoredHistory
from karakoram.services.policy import ActivePolicy
from karakoram.services.unit_of_work import DeclarationFilter, StoredSubject

#: declarations read per unit of work by the back-test
PAGE = 5000
RECORDS_PAGE = 2000
_STAFF = Principal(0, "backtest", Role.SUPERVISOR)


@dataclass
class RuleStats:
    description: str
    fired: int = 0
    decisive: int = 0


@dataclass
class BacktestReport:
    """Shares per channel under the tested rule set, against what was decided at the time."""

    rule_set: str
    lodged_from: datetime | None
    lodged_to: datetime | None
    total: int = 0
    skipped: int = 0
    channels: Counter[str] = field(default_factory=Counter)
    actual: Counter[str] = field(default_factory=Counter)
    changed: int = 0
    rules: dict[str, RuleStats] = field(default_factory=dict)
    expected_random: dict[str, float] = field(default_factory=dict)

    def share(self, channel: str) -> float:
        return self.channels[channel] / self.total if self.total else 0.0

    def add(self, decision: RiskDecision, actual: str | None) -> None:
        self.total += 1
        final = decision.channel
        self.channels[final.value] += 1
        self.actual[actual or "unassessed"] += 1
        self.changed += actual != final.value
        for channel, rate in decision.random_rates.items():
            key = channel.value
            self.expected_random[key] = self.expected_random.get(key, 0.0) + rate
        for firing in decision.fired:
            stats = self.rules[firing.rule]
            stats.fired += 1
            from_score = decision.score_channel is final and firing.score > 0
            stats.decisive += firing.channel is final or from_score


def backtest(
    rule_set: RuleSet,
    label: str,
    principal: Principal,
    ctx: NodeContext,
    lodged_from: datetime | None = None,
    lodged_to: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> BacktestReport:
    """Run `rule_set` over the declarations lodged in [from, to) and report the outcome.

    Reads pages of stored declarations reduced to what risk reads, with the page's history
    looked up at once, and assesses each page after its unit of work has ended (on SQLite other
    work takes its turn meanwhile). Gives exactly what `backtest_records` gives."""
    require_role(principal, Role.SUPERVISOR, Role.ANALYST)
    compiled = CompiledRuleSet(rule_set)
    report = _report(rule_set, label, lodged_from, lodged_to)
    flt = DeclarationFilter(lodged_from=lodged_from, lodged_to=lodged_to)
    after: int | None = None
    while True:
        with ctx.uow() as uow:
            policy = ctx.policy.current(uow)
            page = uow.declarations.risk_subjects(flt, after, PAGE)
            history = PageHistory.read(
                [row.subject for row in page], rule_set.detectors, uow.clearance, ctx.unit_values
            )
        if page:
            _assess_page(
                page, compiled, _Conversions(policy, rule_set.currency), history, ctx, report
            )
        if progress:
            progress(len(page))
        if len(page) < PAGE:
            return report
        after = page[-1].id


class _Conversions:
    """Exchange rates to the node's and the rule set's currency, looked up once per day."""

    def __init__(self, policy: ActivePolicy, rule_currency: str) -> None:
        if policy.rates is None:
            raise Conflict("Load and activate an exchange-rate table before back-testing.")
        self._rates = policy.rates
        self._rule_currency = rule_currency
        self._known: dict[tuple[str, date], tuple[Decimal, Decimal] | None] = {}

    def get(self, currency: str, day: date) -> tuple[Decimal, Decimal] | None:
        """(to node, to rule set) for `currency` on `day`; None when a rate is missing."""
        key = (currency, day)
        if key not in self._known:
            try:
                to_node, _ = self._rates.rate(currency, day)
                to_rule = to_node / self._rates.rate(self._rule_currency, day)[0]
                self._known[key] = (to_node, to_rule)
            except ValidationFailed:
                self._known[key] = None
        return self._known[key]


def _assess_page(
    page: list[StoredSubject],
    compiled: CompiledRuleSet,
    rates: _Conversions,
    history: PageHistory,
    ctx: NodeContext,
    report: BacktestReport,
) -> None:
    key = ctx.selection_key
    for row in page:
        d = row.subject
        found = rates.get(d.invoice.currency, row.lodged_at.date())
        if found is None:
            report.skipped += 1
            continue
        given = RiskInput(row.mrn, d, found[1], found[0], selection_draw(key, row.mrn))
        report.add(assess_risk(given, compiled, 0, history), row.channel)


def _report(
    rule_set: RuleSet, label: str, lodged_from: datetime | None, lodged_to: datetime | None
) -> BacktestReport:
    return BacktestReport(
        label,
        lodged_from,
        lodged_to,
        rules={r.id: RuleStats(r.description) for r in rule_set.rules},
    )


def backtest_records(
    rule_set: RuleSet,
    label: str,
    principal: Principal,
    ctx: NodeContext,
    lodged_from: datetime | None = None,
    lodged_to: datetime | None = None,
) -> BacktestReport:
    """The straightforward back-test: whole declarations through `find`, history looked up per
    declaration. The reference `backtest` must agree with (tests), and the benchmark's baseline."""
    require_role(principal, Role.SUPERVISOR, Role.ANALYST)
    compiled = CompiledRuleSet(rule_set)
    report = _report(rule_set, label, lodged_from, lodged_to)
    flt = DeclarationFilter(lodged_from=lodged_from, lodged_to=lodged_to)
    after: int | None = None
    while True:
        with ctx.uow() as uow:
            policy = ctx.policy.current(uow)
            page = uow.declarations.find(flt, _STAFF, after, RECORDS_PAGE)
            history = StoredHistory(uow.clearance, ctx.unit_values)
            for record in page:
                _one(record, compiled, policy, history, ctx, report)
        if len(page) < RECORDS_PAGE:
            return report
        after = page[-1].id


def _one(
    record: DeclarationRecord,
    compiled: CompiledRuleSet,
    policy: ActivePolicy,
    history: StoredHistory,
    ctx: NodeContext,
    report: BacktestReport,
) -> None:
    if policy.rates is None:
        raise Conflict("Load and activate an exchange-rate table before back-testing.")
    day = record.lodged_at.date()
    d = record.declaration
    try:
        to_node, _ = policy.rates.rate(d.invoice.currency, day)
        to_rule = to_node / policy.rates.rate(compiled.rule_set.currency, day)[0]
    except ValidationFailed:
        report.skipped += 1
        return
    given = RiskInput(
        record.mrn, d, to_rule, to_node, selection_draw(ctx.selection_key, record.mrn)
    )
    report.add(assess_risk(given, compiled, 0, history), record.channel)


CHANNEL_ORDER = [c.value for c in (Channel.GREEN, Channel.BLUE, Channel.YELLOW, Channel.RED)]
