"""Is the reference data in force good for today and the coming days? The rule set and the
tariff schedule must be in force (an active version stays in force until another replaces it),
and the exchange-rate table must give every currency it has, and the rule set's currency, a
usable rate on each day from today (the node's clock, which may be simulated) to
`HORIZON_DAYS` ahead. `GET /ready`, `karakoram policy status` and the officers' and
supervisors' banner all report this one answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from karakoram.domain.duties.coverage import CoverageState, RateCoverage, table_coverage
from karakoram.services.context import NodeContext
from karakoram.services.policy.documents import ActivePolicy

#: how many days ahead the rate table must reach
HORIZON_DAYS = 7


@dataclass(frozen=True, slots=True)
class ReferenceWarning:
    """One table, or one currency of the rate table, that does not cover the window.

    `code`: `missing` (no version in force), `rates_not_current` (no usable rate today) or
    `rates_ending` (usable today, not through the window)."""

    code: str
    table: str
    currency: str | None
    #: the last day covered (None: no day at all)
    covered_until: date | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "table": self.table,
            "currency": self.currency,
            "covered_until": self.covered_until.isoformat() if self.covered_until else None,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class ReferenceStatus:
    today: date
    horizon_days: int
    versions: dict[str, int | None]
    rates: list[RateCoverage] = field(default_factory=list)
    warnings: list[ReferenceWarning] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.warnings

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "today": self.today.isoformat(),
            "horizon_days": self.horizon_days,
            "warnings": [w.as_dict() for w in self.warnings],
        }


_TABLES = {"rules": "rule set", "tariff": "tariff schedule", "rates": "exchange-rate table"}


def reference_status(ctx: NodeContext, horizon_days: int = HORIZON_DAYS) -> ReferenceStatus:
    """The reference data in force, checked against the node's clock."""
    with ctx.uow() as uow:
        policy = ctx.policy.current(uow)
    return status_of(policy, ctx.clock().date(), horizon_days)


def status_of(policy: ActivePolicy, today: date, horizon_days: int) -> ReferenceStatus:
    """What `policy` covers of `today` .. `today + horizon_days`."""
    versions = {
        "rules": policy.rules_version,
        "tariff": policy.tariff_version,
        "rates": policy.rates_version,
    }
    warnings = [
        ReferenceWarning(
            "missing",
            table,
            None,
            None,
            f"No {_TABLES[table]} is in force: declarations are accepted but not assessed.",
        )
        for table, version in versions.items()
        if version is None
    ]
    coverage: list[RateCoverage] = []
    if policy.rates is not None:
        needed = frozenset({policy.rules.rule_set.currency}) if policy.rules else frozenset()
        coverage = table_coverage(policy.rates, today, horizon_days, needed)
        warnings += [_rate_warning(c, today) for c in coverage if c.state != CoverageState.CURRENT]
    return ReferenceStatus(today, horizon_days, versions, coverage, warnings)


def _rate_warning(c: RateCoverage, today: date) -> ReferenceWarning:
    assert c.first_gap is not None
    until = c.first_gap - timedelta(days=1) if c.first_gap > today else None
    latest = (
        f"the latest is of {c.latest}, usable until {c.usable_until}"
        if c.latest
        else "the table has none"
    )
    if c.state == CoverageState.NOT_CURRENT:
        return ReferenceWarning(
            "rates_not_current",
            "rates",
            c.currency,
            until,
            f"No usable {c.currency} exchange rate today ({today}): {latest}. Declarations "
            f"that need it wait, unassessed, until newer rates are imported.",
        )
    return ReferenceWarning(
        "rates_ending",
        "rates",
        c.currency,
        until,
        f"The {c.currency} exchange rates run out: {latest}, none usable on {c.first_gap}. "
        f"Import newer rates before then.",
    )
