"""What the supervisor's pages read and do with rule sets and channels.

Rule-set versions with the version a rollback would return to; activation and rollback that
first check the page was looking at the rule set still active (a stale page is refused, not
acted on); back-tests of a draft text or a stored version, with the channel shares worked out
once here; the channels a supervisor may set on a declaration now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from karakoram.domain.access import Capability, Principal, may, require
from karakoram.domain.clearance import Action, Status, next_status
from karakoram.domain.declaration.model import DeclarationRecord
from karakoram.domain.errors import Conflict, FieldError, InvalidTransition, ValidationFailed
from karakoram.domain.risk.channels import Channel
from karakoram.domain.risk.rules import RuleSet
from karakoram.services.context import NodeContext
from karakoram.services.policy import documents as policy
from karakoram.services.policy.backtest import BacktestReport, backtest, backtest_version
from karakoram.services.policy.documents import Kind
from karakoram.services.records import PolicyDocument

#: channels from the lightest to the heaviest control
CHANNELS = [c.value for c in sorted(Channel, key=lambda c: c.rank)]


class StalePage(Conflict):
    title = "The page is out of date"

    def __init__(self, seen: int | None, active: int | None) -> None:
        super().__init__(
            f"The active rule set is now version {active or 'none'}, not "
            f"{seen or 'none'} as the page showed. Nothing was changed; look again before "
            "acting."
        )
        self.seen = seen
        self.active = active


@dataclass(frozen=True, slots=True)
class RuleSets:
    """Every rule-set version, newest first, which is active and what a rollback restores."""

    documents: list[PolicyDocument]
    active: int | None
    rollback_to: int | None


def require_editor(principal: Principal) -> None:
    """Refuse anyone who may not change rule sets (before reading what they submitted)."""
    require(principal, Capability.EDIT_RULE_SETS)


def rule_sets(principal: Principal, ctx: NodeContext) -> RuleSets:
    require(principal, Capability.READ_RULE_SETS)
    with ctx.uow() as uow:
        documents = uow.policy.all(Kind.RULES.value)
        history = uow.policy.activation_history(Kind.RULES.value)
    active = next((d.version for d in documents if d.status == "active"), None)
    # the version policy.rollback_document would activate
    current = history[-1] if history else None
    earlier = [v for v in history if v != current]
    newest_first = sorted(documents, key=lambda d: d.version, reverse=True)
    return RuleSets(newest_first, active, earlier[-1] if earlier else None)


def rule_set(version: int, principal: Principal, ctx: NodeContext) -> PolicyDocument:
    require(principal, Capability.READ_RULE_SETS)
    return policy.get_document(Kind.RULES, version, ctx.uow)


def check_rule_set(text: str, principal: Principal, ctx: NodeContext) -> RuleSet:
    """Parse a rule-set text without storing it; ValidationFailed lists every problem."""
    require(principal, Capability.READ_RULE_SETS)
    parsed = policy.validate_document(Kind.RULES, text, ctx.policy)
    assert isinstance(parsed, RuleSet)
    return parsed


def save_rule_set(text: str, principal: Principal, ctx: NodeContext) -> PolicyDocument:
    """Store a valid text as a new draft version."""
    require(principal, Capability.EDIT_RULE_SETS)
    return policy.submit_document(Kind.RULES, text, principal, ctx.policy, ctx.uow, ctx.clock)


def _still_active(seen: int | None, ctx: NodeContext) -> None:
    with ctx.uow() as uow:
        active = uow.policy.active_versions().get(Kind.RULES.value)
    if active != seen:
        raise StalePage(seen, active)


def activate_rule_set(
    version: int,
    seen_active: int | None,
    principal: Principal,
    ctx: NodeContext,
    reason: str | None = None,
) -> PolicyDocument:
    """Activate `version`, unless the active version is no longer the one the page showed."""
    require(principal, Capability.EDIT_RULE_SETS)
    _still_active(seen_active, ctx)
    return policy.activate_document(
        Kind.RULES, version, principal, ctx.policy, ctx.uow, ctx.clock, reason or None
    )


def roll_back_rule_set(
    seen_active: int | None, principal: Principal, ctx: NodeContext, reason: str | None = None
) -> PolicyDocument:
    """Activate again the previous version, unless the page showed another active one."""
    require(principal, Capability.EDIT_RULE_SETS)
    _still_active(seen_active, ctx)
    return policy.rollback_document(
        Kind.RULES, principal, ctx.policy, ctx.uow, ctx.clock, reason or None
    )


@dataclass(frozen=True, slots=True)
class ChannelShare:
    channel: str
    count: int
    share: float
    #: what was decided at the time
    actual: int
    actual_share: float


@dataclass(frozen=True, slots=True)
class Backtest:
    report: BacktestReport
    shares: list[ChannelShare]
    #: declarations that had no channel at the time (never assessed)
    unassessed: int
    first_day: date | None
    last_day: date | None
    #: each rule's description in other languages, from its file (rule id -> language -> text)
    explanations: dict[str, dict[str, str]] = field(default_factory=dict)


def backtest_rule_set(
    source: str | int,
    principal: Principal,
    ctx: NodeContext,
    first_day: date | None = None,
    last_day: date | None = None,
) -> Backtest:
    """Back-test a draft text or a stored version over declarations lodged from `first_day`
    through `last_day` (both included, UTC); changes nothing."""
    require(principal, Capability.BACKTEST)
    lodged_from, lodged_to = lodgement_bounds(first_day, last_day)
    if isinstance(source, int):
        report = backtest_version(source, principal, ctx, lodged_from, lodged_to)
        doc = policy.get_document(Kind.RULES, source, ctx.uow)
        parsed = policy.validate_document(Kind.RULES, doc.source, ctx.policy)
    else:
        parsed = check_rule_set(source, principal, ctx)
        report = backtest(parsed, f"{parsed.name} (draft)", principal, ctx, lodged_from, lodged_to)
    explanations = {r.id: dict(r.explanations) for r in parsed.rules if r.explanations}
    return Backtest(
        report, shares(report), report.actual["unassessed"], first_day, last_day, explanations
    )


def shares(report: BacktestReport) -> list[ChannelShare]:
    """Each channel's count and share under the tested rules and at the time."""
    total = report.total
    return [
        ChannelShare(
            c,
            report.channels[c],
            report.channels[c] / total if total else 0.0,
            report.actual[c],
            report.actual[c] / total if total else 0.0,
        )
        for c in CHANNELS
    ]


def lodgement_bounds(
    first_day: date | None, last_day: date | None
) -> tuple[datetime | None, datetime | None]:
    """The UTC times from `first_day`'s start to the end of `last_day` (both days included;
    either open when None), as a back-test selects declarations by lodgement."""
    if first_day and last_day and last_day < first_day:
        raise ValidationFailed(
            [FieldError("invalid_range", "/lodged_to", "The last day is before the first day.")]
        )
    return _midnight(first_day), _midnight(last_day + timedelta(days=1)) if last_day else None


def _midnight(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), UTC) if day else None


def override_channels(principal: Principal, record: DeclarationRecord) -> list[str]:
    """The channels a supervisor may set on this declaration now; none for other roles, or
    in a state where the channel can no longer change."""
    if not may(principal.role, Capability.OVERRIDE_CHANNEL):
        return []
    try:
        next_status(Status(record.status), Action.OVERRIDE_CHANNEL)
    except InvalidTransition:
        return []
    return [c for c in CHANNELS if c != record.channel]
