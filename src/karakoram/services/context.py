"""What every handler needs from the node, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from karakoram.domain.declaration.codes import CodeLists
from karakoram.domain.declaration.validation import NodeRules
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.history import UnitValueCache
from karakoram.services.policy.documents import Parsers, PolicyCache
from karakoram.services.ports import (
    AnalyticsSource,
    AnalyticsStore,
    SignalSource,
    UnitOfWorkFactory,
)


@dataclass(slots=True)
class NodeContext:
    administration: str
    rules: NodeRules
    codes: CodeLists
    uow: UnitOfWorkFactory
    clock: Callable[[], datetime]
    #: the currency duties are assessed and paid in
    currency: str = "CNY"
    #: key of the random selection draw (HMAC over the MRN); derived from the node secret
    selection_key: bytes = b"development-only"
    policy: PolicyCache = field(default_factory=lambda: PolicyCache(Parsers(frozenset(), "CNY")))
    unit_values: UnitValueCache = field(default_factory=UnitValueCache)
    signal_sources: list[SignalSource] = field(default_factory=list)
    #: how this node signs and exchanges messages; None until a signing key is configured
    exchange: ExchangeConfig | None = None
    #: the analytical copy statistics read, and where its refresh reads from (built by bootstrap)
    analytics: AnalyticsStore | None = None
    analytics_source: AnalyticsSource | None = None
