"""What every handler needs from the node, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar

from karakoram.domain.declaration.codes import CodeLists
from karakoram.domain.declaration.validation import NodeRules
from karakoram.domain.gate.slots import CrossingCalendar
from karakoram.services.exchange.config import ExchangeConfig
from karakoram.services.history import UnitValueCache
from karakoram.services.notify.records import NotifyConfig
from karakoram.services.observe import NoObservations, Observations
from karakoram.services.policy.documents import Parsers, PolicyCache
from karakoram.services.ports import (
    AnalyticsSource,
    AnalyticsStore,
    AttachmentStore,
    ReleaseNoteRenderer,
    SignalSource,
    UnitOfWork,
    UnitOfWorkFactory,
)
from karakoram.services.security import SecurityConfig

if TYPE_CHECKING:
    from karakoram.services.trader_keys import TraderCa

T = TypeVar("T")


class CommitGroups(Protocol):
    """Group commit (adapters/db/group_commit.py): `run(work)` runs `work` in a unit of work
    shared with others arriving meanwhile, in a savepoint of its own, and returns (or raises)
    once that transaction has committed. `work` must not commit."""

    def run(self, work: Callable[[UnitOfWork], T]) -> T: ...


@dataclass(slots=True)
class NodeContext:
    administration: str
    rules: NodeRules
    codes: CodeLists
    uow: UnitOfWorkFactory
    clock: Callable[[], datetime]
    #: the currency duties are assessed and paid in
    currency: str = "CNY"
    #: key of the random selection draw (HMAC over the consignment's fingerprint)
    selection_key: bytes = b"development-only"
    #: how long the same consignment keeps its random draw (issue 13, no re-roll)
    draw_window: timedelta = timedelta(days=30)
    #: how old the partner's clean inspection of a consignment may be to stand in for ours
    partner_inspection_max_age: timedelta = timedelta(hours=72)
    policy: PolicyCache = field(default_factory=lambda: PolicyCache(Parsers(frozenset(), "CNY")))
    unit_values: UnitValueCache = field(default_factory=UnitValueCache)
    signal_sources: list[SignalSource] = field(default_factory=list)
    #: how this node signs and exchanges messages; None until a signing key is configured
    exchange: ExchangeConfig | None = None
    #: the analytical copy statistics read, and where its refresh reads from (built by bootstrap)
    analytics: AnalyticsStore | None = None
    analytics_source: AnalyticsSource | None = None
    #: authentication's keys and limits (built by bootstrap from the node's secrets)
    security: SecurityConfig | None = None
    #: where handlers and workers report what they did, for the node's metrics
    observe: Observations = field(default_factory=NoObservations)
    #: where attached documents' bytes are kept, and the largest one taken (issue 17)
    attachments: AttachmentStore | None = None
    attachment_max_bytes: int = 10 * 1024 * 1024
    #: the release note's PDF maker (issue 17)
    release_notes: ReleaseNoteRenderer | None = None
    #: how traders' notifications are checked and retried (built by bootstrap)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    #: each crossing's calendar of slots, by its code (docs/gate.md, "Crossing slots")
    calendars: dict[str, CrossingCalendar] = field(default_factory=dict)
    #: the CA that certifies traders' signing keys for contracts (issue 19; built by bootstrap)
    trader_ca: TraderCa | None = None
    #: lodgements commit in groups through it (built by bootstrap; None: one commit each)
    lodgements: CommitGroups | None = None
