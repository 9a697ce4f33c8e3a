"""Back-testing: what a rule set would have decided over past declarations, changing nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from karakoram.domain.access import Principal, Role, require_role
from karakoram.domain.declaration import DeclarationRecord
from karakoram.domain.errors import Conflict, ValidationFailed
from karakoram.domain.risk.channels import Channel
from karakoram.domain.risk.compiled import CompiledRuleSet
from karakoram.domain.risk.engine import RiskDecision, RiskInput, assess_risk, selection_draw
from karakoram.domain.risk.rules import RuleSet
from karakoram.services.context import NodeContext
from karakoram.services.history import StoredHistory
from karakoram.services.policy import ActivePolicy
from karakoram.services.unit_of_work import DeclarationFilter

PAGE = 2000
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
    """Run `rule_set` over the declarations lodged in [from, to) and report the outcome."""
    require_role(principal, Role.SUPERVISOR, Role.ANALYST)
    compiled = CompiledRuleSet(rule_set)
    report = BacktestReport(
        label,
        lodged_from,
        lodged_to,
        rules={r.id: RuleStats(r.description) for r in rule_set.rules},
    )
    flt = DeclarationFilter(lodged_from=lodged_from, lodged_to=lodged_to)
    after: int | None = None
    while True:
        with ctx.uow() as uow:
            policy = ctx.policy.current(uow)
            page = uow.declarations.find(flt, _STAFF, after, PAGE)
            history = StoredHistory(uow.clearance, ctx.unit_values)
            for record in page:
                _one(record, compiled, policy, history, ctx, report)
        if progress:
            progress(len(page))
        if len(page) < PAGE:
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
