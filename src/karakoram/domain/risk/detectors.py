"""Built-in detectors: unit-value outliers per HS6 and traders without history.

Partner data (mirror discrepancies, partner control results) arrives as `RiskSignal`s from
outside the domain through the same path, so a later exchange issue plugs in without changes
here.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from karakoram.domain.risk.channels import Channel
from karakoram.domain.risk.rules import Detectors

#: makes the MAD comparable with a standard deviation for normal data
MAD_SCALE = 0.6745


@dataclass(frozen=True, slots=True)
class UnitValueStats:
    """Median and median absolute deviation of value per kg for one HS6, from history."""

    hs6: str
    median: float
    mad: float
    samples: int

    @classmethod
    def of(cls, hs6: str, values: Sequence[float]) -> UnitValueStats:
        median = statistics.median(values)
        mad = statistics.median(abs(v - median) for v in values)
        return cls(hs6, median, mad, len(values))


@dataclass(frozen=True, slots=True)
class RiskSignal:
    """Evidence from a detector or from the partner administration."""

    source: str
    reason: str
    score: int = 0
    channel: Channel | None = None
    item: int | None = None
    values: dict[str, str] = field(default_factory=dict)


class RiskHistory(Protocol):
    """What the detectors learn from the node's own history."""

    def unit_value_stats(self, hs6: str) -> UnitValueStats | None: ...
    def known_trader(self, identifier: str) -> bool: ...


def unit_value_outliers(
    unit_values: Sequence[tuple[str, float]], history: RiskHistory, settings: Detectors
) -> list[RiskSignal]:
    """Items whose value per kg (node currency) is far from their HS6's history."""
    signals = []
    for index, (hs_code, value) in enumerate(unit_values):
        stats = history.unit_value_stats(hs_code[:6])
        if stats is None or stats.samples < settings.unit_value_min_samples or stats.mad <= 0:
            continue
        z = MAD_SCALE * (value - stats.median) / stats.mad
        if abs(z) > settings.unit_value_threshold:
            direction = "below" if z < 0 else "above"
            signals.append(
                RiskSignal(
                    "unit_value_outlier",
                    f"value per kg {value:,.2f} is far {direction} the usual {stats.median:,.2f} "
                    f"for HS {stats.hs6} (robust z {z:+.1f}, {stats.samples} declarations)",
                    settings.unit_value_score,
                    None,
                    index,
                    {
                        "value_per_kg": f"{value:.2f}",
                        "median": f"{stats.median:.2f}",
                        "mad": f"{stats.mad:.2f}",
                        "z": f"{z:.2f}",
                        "samples": str(stats.samples),
                    },
                )
            )
    return signals


def new_trader(identifier: str, history: RiskHistory, settings: Detectors) -> list[RiskSignal]:
    if history.known_trader(identifier):
        return []
    return [
        RiskSignal(
            "new_trader",
            f"trader {identifier} has no declarations at this node",
            settings.new_trader_score,
            values={"trader": identifier},
        )
    ]


def unit_value(value: Decimal, net_mass: Decimal) -> float:
    return float(value / net_mass) if net_mass else 0.0


class NoHistory:
    """History of a node that has seen nothing yet."""

    def unit_value_stats(self, hs6: str) -> UnitValueStats | None:
        return None

    def known_trader(self, identifier: str) -> bool:
        return False
