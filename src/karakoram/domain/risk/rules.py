"""Rule sets as data: conditions, rules, selectivity and detector settings, and the operators
the rule language has. A rule file is read into a `RuleSet` by `karakoram.domain.risk.rule_file`;
`karakoram.domain.risk.compiled` turns one into something fast to evaluate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from karakoram.domain.declaration.model import plate_key
from karakoram.domain.risk.channels import Channel
from karakoram.domain.risk.contract_fact import ContractTolerance

TEXT_OPS = frozenset({"eq", "ne", "prefix", "in", "not_in"})
NUMBER_OPS = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "between"})
FLAG_OPS = frozenset({"is"})
OPS = {"text": TEXT_OPS, "number": NUMBER_OPS, "flag": FLAG_OPS}


@dataclass(frozen=True, slots=True)
class Leaf:
    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Condition


Condition = Leaf | AllOf | AnyOf | Not


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    description: str
    when: Condition
    channel: Channel | None = None
    score: int = 0
    enabled: bool = True
    #: the description in other languages, (language, text) by language: what a reader of
    #: that language sees when the rule fires (`explanation.zh_Hans = "..."` in the file)
    explanations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Selectivity:
    """Score thresholds and random selection, like ASYCUDA's selectivity module."""

    #: a score at or above the threshold sends the declaration at least to that channel
    thresholds: Mapping[Channel, int] = field(
        default_factory=lambda: {Channel.YELLOW: 40, Channel.RED: 70}
    )
    #: share of declarations picked at random for each channel
    random_rates: Mapping[Channel, float] = field(
        default_factory=lambda: {Channel.RED: 0.02, Channel.YELLOW: 0.05, Channel.BLUE: 0.03}
    )
    #: random rates are multiplied by this for AEO traders
    aeo_factor: float = 0.25
    #: countries whose AEO status this administration recognises (mutual recognition)
    mutual_recognition: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Detectors:
    unit_value: bool = True
    unit_value_min_samples: int = 30
    unit_value_threshold: float = 3.5  # robust z-score (0.6745 (x - median) / MAD)
    unit_value_score: int = 40
    new_trader: bool = True
    new_trader_score: int = 20
    partner_signals: bool = True
    mirror_score: int = 30  # per gap between the import and the partner's export data
    partner_control_score: int = 50  # the partner found a discrepancy or prohibited goods
    no_pre_arrival_score: int = 10  # an import the partner never announced


def passport_key(number: str) -> str:
    """A passport number as the watch list compares it: upper case, without spaces."""
    return "".join(number.upper().split())


@dataclass(frozen=True, slots=True)
class WatchList:
    """Vehicles (registrations, compared as `plate_key` writes them) and persons (passport
    numbers, `passport_key`) the administration watches: rule data, versioned with the rule
    set (`[watch_list]` in a rule file), tested by `vehicle_on_watch_list` and
    `person_on_watch_list`."""

    vehicles: frozenset[str] = frozenset()
    passports: frozenset[str] = frozenset()

    @classmethod
    def of(cls, vehicles: list[str], passports: list[str]) -> WatchList:
        return cls(
            frozenset(plate_key(v) for v in vehicles),
            frozenset(passport_key(p) for p in passports),
        )


@dataclass(frozen=True, slots=True)
class RuleSet:
    name: str
    currency: str
    selectivity: Selectivity
    detectors: Detectors
    rules: tuple[Rule, ...]
    watch_list: WatchList = field(default_factory=WatchList)
    contract_tolerance: ContractTolerance = field(default_factory=ContractTolerance)

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)
