"""Whether a partner is up, late or down, from what the relay and the inbox saw of it.

The node knows only its own side of the link. What tells it: messages to the partner still
waiting (and since when), whether their last delivery attempt failed, the probes it sends on
a schedule (a reconciliation query, so that a quiet node notices too), and when the partner
last answered (a receipt, a message, an answered probe). A partner is

- **up** when nothing to it has waited longer than `late_after`, and no try or probe fails;
- **down** when tries to deliver, or probes, have failed for at least `down_after` with no
  answer from it in that time (or a message to it was given up and it has been silent since);
- **late** in between: messages wait, or a try failed, but not for long enough to call it down.

While a partner is down, the node works on without it (docs/gate.md, "When the partner is
down"): missing pre-arrival data is not held against the trader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

#: waiting this long makes a partner late
LATE_AFTER = timedelta(minutes=5)
#: waiting this long, with failed tries and no answer, makes it down
DOWN_AFTER = timedelta(minutes=30)


class PartnerState(StrEnum):
    UP = "up"
    LATE = "late"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class Probe:
    """The latest probe of a partner (a signed reconciliation query, sent on a schedule even
    when there is nothing to deliver): when it last answered, since when it has not."""

    last_ok_at: datetime | None = None
    failing_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class LinkSeen:
    """What this node saw of the link to one partner."""

    #: the oldest message to the partner still waiting for a receipt
    oldest_pending_at: datetime | None = None
    #: messages waiting whose last delivery attempt failed
    failing: int = 0
    #: the partner's latest receipt, message, or answer to a probe
    last_answer_at: datetime | None = None
    #: a message to it was given up (dead letter) after its last answer
    given_up: bool = False
    #: since when the probes of it fail (None while it answers them)
    probe_failing_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class StateRule:
    late_after: timedelta = LATE_AFTER
    down_after: timedelta = DOWN_AFTER


def partner_state(seen: LinkSeen, now: datetime, rule: StateRule | None = None) -> PartnerState:
    """The partner's state at `now` (see the module's docstring)."""
    rule = rule or StateRule()
    answer = seen.last_answer_at
    silent_for = now - answer if answer is not None else None
    if seen.given_up and (silent_for is None or silent_for >= rule.down_after):
        return PartnerState.DOWN
    failing_since = [
        t
        for t in (seen.probe_failing_since, seen.oldest_pending_at if seen.failing else None)
        if t is not None
    ]
    for since in failing_since:
        answered_since = answer is not None and answer >= since
        recent = silent_for is not None and silent_for < rule.down_after
        if now - since >= rule.down_after and not (answered_since and recent):
            return PartnerState.DOWN
    waited = now - seen.oldest_pending_at if seen.oldest_pending_at is not None else None
    if failing_since or seen.given_up or (waited is not None and waited >= rule.late_after):
        return PartnerState.LATE
    return PartnerState.UP
