"""Assess the risk of one declaration: rules, detectors, partner signals and random selection.

The random draw is derived from the node's selection key and the consignment's fingerprint with
the start of its window (HMAC-SHA256; `services/selection.py`), so it is unpredictable to
traders, cannot be re-rolled by lodging the same goods again, is reproducible for audit, and is
the same in a back-test as it was live (the draw is stored with the assessment).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from karakoram.domain.gate.cargo_report import CargoReport
from karakoram.domain.risk.channels import Channel, strictest
from karakoram.domain.risk.compiled import CompiledRuleSet, Firing
from karakoram.domain.risk.contract_fact import contract_facts
from karakoram.domain.risk.detectors import (
    RiskHistory,
    RiskSignal,
    new_trader,
    unit_value,
    unit_value_outliers,
)
from karakoram.domain.risk.facts import Assessable, declaration_facts, item_facts, parties
from karakoram.domain.risk.rules import Selectivity
from karakoram.domain.risk.truck import truck_facts

_RANDOM_ORDER = (Channel.RED, Channel.YELLOW, Channel.BLUE)


def selection_draw(key: bytes, message: str) -> float:
    """A uniform number in [0, 1) fixed by the selection key and `message` (a consignment's
    draw message, `declaration.fingerprint.draw_message`)."""
    digest = hmac.digest(key, message.encode(), hashlib.sha256)
    return int.from_bytes(digest[:8], "big") / 2**64


def effective_rates(selectivity: Selectivity, d: Assessable) -> dict[Channel, float]:
    """Random rates after the AEO reduction (own AEO, or partner AEO under mutual recognition)."""
    responsible, partner = parties(d)
    recognised = partner.aeo and partner.country in selectivity.mutual_recognition
    factor = selectivity.aeo_factor if responsible.aeo or recognised else 1.0
    return {c: selectivity.random_rates.get(c, 0.0) * factor for c in _RANDOM_ORDER}


def random_channel(rates: Mapping[Channel, float], draw: float) -> Channel | None:
    edge = 0.0
    for channel in _RANDOM_ORDER:
        edge += rates.get(channel, 0.0)
        if draw < edge:
            return channel
    return None


def score_channel(selectivity: Selectivity, score: int) -> Channel:
    reached = [c for c, t in selectivity.thresholds.items() if score >= t]
    return strictest(*reached)


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """The channel and everything that led to it."""

    rule_set_version: int
    channel: Channel
    score: int
    fired: tuple[Firing, ...]
    signals: tuple[RiskSignal, ...]
    draw: float
    random_rates: Mapping[Channel, float]
    random_channel: Channel | None
    score_channel: Channel

    def reasons(self) -> list[str]:
        out = [
            f"rule {f.rule} ({f.description}) fired on "
            + ", ".join(f"{k}={v}" for k, v in f.values.items())
            for f in self.fired
        ]
        out += [f"{s.source}: {s.reason}" for s in self.signals]
        if self.random_channel:
            out.append(f"random selection for {self.random_channel.value} (draw {self.draw:.4f})")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_set_version": self.rule_set_version,
            "channel": self.channel.value,
            "score": self.score,
            "score_channel": self.score_channel.value,
            "draw": self.draw,
            "random_rates": {c.value: r for c, r in self.random_rates.items()},
            "random_channel": self.random_channel.value if self.random_channel else None,
            "fired": [
                {
                    "rule": f.rule,
                    "description": f.description,
                    "channel": f.channel.value if f.channel else None,
                    "score": f.score,
                    "item": f.item,
                    "values": f.values,
                    # only when the rule file translates it: older decisions keep their shape
                    **({"explanations": dict(f.explanations)} if f.explanations else {}),
                }
                for f in self.fired
            ],
            "signals": [
                {
                    "source": s.source,
                    "reason": s.reason,
                    "score": s.score,
                    "channel": s.channel.value if s.channel else None,
                    "item": s.item,
                    "values": s.values,
                }
                for s in self.signals
            ],
            "reasons": self.reasons(),
        }


@dataclass(frozen=True, slots=True)
class RiskInput:
    """One declaration with what the engine needs besides the rule set."""

    mrn: str
    declaration: Assessable
    to_rule_currency: Decimal
    to_node_currency: Decimal
    draw: float
    partner_signals: Sequence[RiskSignal] = ()
    #: facts the node knows besides the declaration (`cancelled_after_selection`)
    known_facts: Mapping[str, Any] = field(default_factory=dict)
    #: signals that always count, whatever the detector settings (a re-lodgement's floor)
    floor_signals: Sequence[RiskSignal] = ()
    #: the cargo report of the truck carrying the consignment, when one is known
    truck: CargoReport | None = None
    #: the contract its UCR came from (the contract_registered body, with the shipment's `ucr`
    #: where the declaration has none), when there is one
    contract: Mapping[str, Any] | None = None


def assess_risk(
    given: RiskInput,
    compiled: CompiledRuleSet,
    version: int,
    history: RiskHistory,
    *,
    explain: bool = True,
) -> RiskDecision:
    """Decide the channel: the strictest of rules, score, detectors and random selection.
    Without `explain`, fired rules do not carry the values that made them fire (back-tests)."""
    rule_set, d = compiled.rule_set, given.declaration
    shared = declaration_facts(d, given.to_rule_currency)
    if given.truck is not None:
        shared.update(truck_facts(given.truck, rule_set.watch_list))
    if given.contract is not None:
        shared.update(contract_facts(d, given.contract, rule_set.contract_tolerance))
    shared.update(given.known_facts)
    items = item_facts(d, shared, given.to_rule_currency)
    fired = compiled.evaluate(shared, items, values=explain)
    signals = [*_detector_signals(given, rule_set.detectors, history), *given.floor_signals]
    score = sum(f.score for f in fired) + sum(s.score for s in signals)
    rates = effective_rates(rule_set.selectivity, d)
    by_random = random_channel(rates, given.draw)
    by_score = score_channel(rule_set.selectivity, score)
    channel = strictest(
        by_score,
        *(f.channel for f in fired if f.channel),
        *(s.channel for s in signals if s.channel),
        *([by_random] if by_random else []),
    )
    return RiskDecision(
        version,
        channel,
        score,
        tuple(fired),
        tuple(signals),
        given.draw,
        rates,
        by_random,
        by_score,
    )


def _detector_signals(given: RiskInput, settings: Any, history: RiskHistory) -> list[RiskSignal]:
    d = given.declaration
    signals: list[RiskSignal] = []
    if settings.unit_value:
        values = [
            (i.hs_code, unit_value(i.value * given.to_node_currency, i.net_mass)) for i in d.items
        ]
        signals += unit_value_outliers(values, history, settings)
    if settings.new_trader:
        signals += new_trader(parties(d)[0].identifier, history, settings)
    if settings.partner_signals:
        signals += given.partner_signals
    return signals
