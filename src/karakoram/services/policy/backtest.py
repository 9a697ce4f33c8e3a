"""Back-testing: what a rule set would have decided over past declarations, changing nothing.

`backtest_version` is the one way to back-test a stored rule-set version (the API, the web UI
and the CLI call it); `backtest` runs any parsed rule set, a draft's too."""

from __future__ import annotations

import gc
import multiprocessing
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from karakoram.domain.access import Capability, Principal, Role, require
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.errors import Conflict, ValidationFailed
from karakoram.domain.risk.channels import Channel
from karakoram.domain.risk.compiled import CompiledRuleSet
from karakoram.domain.risk.engine import RiskDecision, RiskInput, assess_risk
from karakoram.domain.risk.rules import RuleSet
from karakoram.services.collector import collector_paused
from karakoram.services.context import NodeContext
from karakoram.services.history import HistoryBefore, PageHistory
from karakoram.services.policy.documents import ActivePolicy, Kind, get_document, validate_document
from karakoram.services.records import DeclarationFilter, StoredSubject
from karakoram.services.selection import LiveFacts

#: declarations read per unit of work by the back-test
PAGE = 5000
RECORDS_PAGE = 2000
_STAFF = Principal(0, "backtest", Role.SUPERVISOR)
#: the order reports list channels in
CHANNEL_ORDER = [c.value for c in (Channel.GREEN, Channel.BLUE, Channel.YELLOW, Channel.RED)]


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
    #: declarations per (channel, random selection rate they had for it)
    random_rates: Counter[tuple[str, float]] = field(default_factory=Counter)

    def share(self, channel: str) -> float:
        return self.channels[channel] / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON: what the API answers and `rules backtest --json` prints."""
        total = self.total or 1
        return {
            "rule_set": self.rule_set,
            "total": self.total,
            "skipped": self.skipped,
            "changed": self.changed,
            "channels": {
                c: {
                    "count": self.channels[c],
                    "share": self.channels[c] / total,
                    "actual": self.actual[c],
                    "expected_random": self.expected_random.get(c, 0.0) / total,
                }
                for c in CHANNEL_ORDER
            },
            "unassessed_before": self.actual["unassessed"],
            "rules": [
                {
                    "rule": rule,
                    "description": s.description,
                    "fired": s.fired,
                    "decisive": s.decisive,
                }
                for rule, s in self.rules.items()
            ],
        }

    @property
    def expected_random(self) -> dict[str, float]:
        """Declarations each channel should get by random selection alone (a sum of rates,
        added up in a fixed order, so that however the work was split it is the same)."""
        out: dict[str, float] = {}
        for (channel, rate), n in sorted(self.random_rates.items()):
            out[channel] = out.get(channel, 0.0) + rate * n
        return out

    def add(self, decision: RiskDecision, actual: str | None) -> None:
        self.total += 1
        final = decision.channel
        self.channels[final.value] += 1
        self.actual[actual or "unassessed"] += 1
        self.changed += actual != final.value
        for channel, rate in decision.random_rates.items():
            self.random_rates[channel.value, rate] += 1
        for firing in decision.fired:
            stats = self.rules[firing.rule]
            stats.fired += 1
            from_score = decision.score_channel is final and firing.score > 0
            stats.decisive += firing.channel is final or from_score

    def merge(self, other: BacktestReport) -> None:
        """Add the report of another part of the same back-test."""
        self.total += other.total
        self.skipped += other.skipped
        self.channels.update(other.channels)
        self.actual.update(other.actual)
        self.changed += other.changed
        for rule_id, stats in other.rules.items():
            mine = self.rules[rule_id]
            mine.fired += stats.fired
            mine.decisive += stats.decisive
        self.random_rates.update(other.random_rates)


@dataclass(frozen=True, slots=True)
class Processes:
    """Back-test in `count` processes of their own, each on a node context `open_context`
    builds there: a picklable callable (a module-level function, or a partial of one) that
    calls the composition root, so that each process opens its own engine. Declarations are
    handed out by id in pieces of `chunk`, the parts of the report added up in order; under
    `least` ids (or one piece) it stays in this process: processes would cost more than save."""

    count: int
    open_context: Callable[[], NodeContext]
    chunk: int = 10_000
    least: int = 0


def backtest(
    rule_set: RuleSet,
    label: str,
    principal: Principal,
    ctx: NodeContext,
    lodged_from: datetime | None = None,
    lodged_to: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    processes: Processes | None = None,
) -> BacktestReport:
    """Run `rule_set` over the declarations lodged in [from, to) and report the outcome.

    Reads pages of stored declarations reduced to what risk reads, with the page's history
    looked up at once, and assesses each page after its unit of work has ended (on SQLite other
    work takes its turn meanwhile); with `processes`, in several processes at once. Gives
    exactly what `backtest_records` gives."""
    require(principal, Capability.BACKTEST)
    report = _report(rule_set, label, lodged_from, lodged_to)
    flt = DeclarationFilter(lodged_from=lodged_from, lodged_to=lodged_to)
    span, least = None, max(processes.chunk, processes.least) if processes else 0
    if processes is not None and processes.count > 1:
        with ctx.uow() as uow:
            span = uow.declarations.risk_span(flt)
    if processes is None or span is None or span[1] - span[0] < least:  # not worth processes
        _assess_range(CompiledRuleSet(rule_set), ctx, flt, None, None, report, progress)
    else:
        _in_processes(rule_set, flt, span, processes, report, progress)
    return report


def backtest_version(
    version: int,
    principal: Principal,
    ctx: NodeContext,
    lodged_from: datetime | None = None,
    lodged_to: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    processes: Processes | None = None,
) -> BacktestReport:
    """Back-test the stored rule-set `version` over the declarations lodged in [from, to)."""
    doc = get_document(Kind.RULES, version, ctx.uow)
    rule_set = validate_document(Kind.RULES, doc.source, ctx.policy)
    label = f"{doc.name} (version {doc.version})"
    return backtest(rule_set, label, principal, ctx, lodged_from, lodged_to, progress, processes)


def _assess_range(
    compiled: CompiledRuleSet,
    ctx: NodeContext,
    flt: DeclarationFilter,
    after: int | None,
    upto: int | None,
    report: BacktestReport,
    progress: Callable[[int], None] | None,
) -> None:
    """Assess, page by page, what `flt` selects with ids in (after, upto]."""
    while True:
        with collector_paused():  # the page is gone before the collector is back
            size, after = _next_page(compiled, ctx, flt, after, upto, report)
        if progress:
            progress(size)
        if size < PAGE:
            return


def _next_page(
    compiled: CompiledRuleSet,
    ctx: NodeContext,
    flt: DeclarationFilter,
    after: int | None,
    upto: int | None,
    report: BacktestReport,
) -> tuple[int, int | None]:
    """Read and assess the page after `after`; its size and last id."""
    with ctx.uow() as uow:
        policy = ctx.policy.current(uow)
        page = uow.declarations.risk_subjects(flt, after, PAGE, upto)
        history = PageHistory.read(
            [row.subject for row in page],
            compiled.rule_set.detectors,
            uow.clearance,
            ctx.unit_values,
        )
        live = LiveFacts.read(uow, ctx.selection_key, ctx.draw_window, page)
    if not page:
        return 0, after
    rates = _Conversions(policy, compiled.rule_set.currency)
    _assess_page(page, compiled, rates, history, live, report)
    return len(page), page[-1].id


def _in_processes(
    rule_set: RuleSet,
    flt: DeclarationFilter,
    span: tuple[int, int],
    processes: Processes,
    report: BacktestReport,
    progress: Callable[[int], None] | None,
) -> None:
    first, last = span
    starts = range(first, last + 1, processes.chunk)
    afters = [start - 1 for start in starts]
    uptos = [min(start + processes.chunk - 1, last) for start in starts]
    with ProcessPoolExecutor(
        processes.count,
        mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded parent
        initializer=_start_worker,
        initargs=(processes.open_context, rule_set),
    ) as pool:
        for part in pool.map(partial(_assess_part, flt), afters, uptos):
            report.merge(part)
            if progress:
                progress(part.total + part.skipped)


#: in a back-test process: its node context and the compiled rule set
_worker: tuple[NodeContext, CompiledRuleSet] | None = None


def _start_worker(open_context: Callable[[], NodeContext], rule_set: RuleSet) -> None:
    global _worker
    _worker = (open_context(), CompiledRuleSet(rule_set))
    gc.freeze()  # what the process holds from now on stays out of the collector's walks


def _assess_part(flt: DeclarationFilter, after: int, upto: int) -> BacktestReport:
    """In a back-test process: the report over ids (after, upto]."""
    assert _worker is not None, "started without _start_worker"
    ctx, compiled = _worker
    report = _report(compiled.rule_set, "", None, None)
    _assess_range(compiled, ctx, flt, after, upto, report, None)
    return report


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
    live: LiveFacts,
    report: BacktestReport,
) -> None:
    for row in page:
        found = rates.get(row.subject.invoice.currency, row.lodged_at.date())
        if found is None:
            report.skipped += 1
            continue
        d = live.register.mark_subject(row.subject, row.lodged_at)
        chosen = live.selections.of(row.mrn)
        given = RiskInput(row.mrn, d, found[1], found[0], chosen.draw, (), chosen.facts,
                          chosen.signals, None, live.contracts.get(row.mrn))  # fmt: skip
        decision = assess_risk(given, compiled, 0, history.before(row.id), explain=False)
        report.add(decision, row.channel)


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
    require(principal, Capability.BACKTEST)
    compiled = CompiledRuleSet(rule_set)
    report = _report(rule_set, label, lodged_from, lodged_to)
    flt = DeclarationFilter(lodged_from=lodged_from, lodged_to=lodged_to)
    after: int | None = None
    while True:
        with ctx.uow() as uow:
            policy = ctx.policy.current(uow)
            page = uow.declarations.find(flt, _STAFF, after, RECORDS_PAGE)
            live = LiveFacts.read(uow, ctx.selection_key, ctx.draw_window, page)
            for record in page:
                history = HistoryBefore(uow.clearance, ctx.unit_values, record.id or 0)
                _one(record, compiled, policy, history, live, report)
        if len(page) < RECORDS_PAGE:
            return report
        after = page[-1].id


def _one(
    record: DeclarationRecord,
    compiled: CompiledRuleSet,
    policy: ActivePolicy,
    history: HistoryBefore,
    live: LiveFacts,
    report: BacktestReport,
) -> None:
    if policy.rates is None:
        raise Conflict("Load and activate an exchange-rate table before back-testing.")
    day = record.lodged_at.date()
    d = live.register.mark(record.declaration, record.lodged_at)
    try:
        to_node, _ = policy.rates.rate(d.invoice.currency, day)
        to_rule = to_node / policy.rates.rate(compiled.rule_set.currency, day)[0]
    except ValidationFailed:
        report.skipped += 1
        return
    chosen = live.selections.of(record.mrn)
    given = RiskInput(record.mrn, d, to_rule, to_node, chosen.draw, (), chosen.facts,
                      chosen.signals, None, live.contracts.get(record.mrn))  # fmt: skip
    report.add(assess_risk(given, compiled, 0, history), record.channel)
