"""What the risk detectors learn from the node's own history, read through the unit of work."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from karakoram.domain.risk.detectors import UnitValueStats
from karakoram.domain.risk.facts import Assessable, parties
from karakoram.domain.risk.rules import Detectors
from karakoram.services.ports import ClearanceRepository


class UnitValueCache:
    """Median and MAD per HS6, recomputed from the latest declarations at most every `ttl`."""

    def __init__(self, ttl_seconds: float = 600, sample_limit: int = 2000) -> None:
        self.ttl = ttl_seconds
        self.sample_limit = sample_limit
        self._stats: dict[str, tuple[float, UnitValueStats | None]] = {}
        self._lock = threading.Lock()

    def get(self, hs6: str, repo: ClearanceRepository) -> UnitValueStats | None:
        now = time.monotonic()
        with self._lock:
            hit = self._stats.get(hs6)
        if hit and hit[0] > now:
            return hit[1]
        values = repo.unit_values(hs6, self.sample_limit)
        stats = UnitValueStats.of(hs6, values) if values else None
        with self._lock:
            self._stats[hs6] = (now + self.ttl, stats)
        return stats

    def clear(self) -> None:
        with self._lock:
            self._stats.clear()


class StoredHistory:
    """`RiskHistory` over the store; remembers traders seen earlier in the same batch."""

    def __init__(self, repo: ClearanceRepository, cache: UnitValueCache) -> None:
        self._repo = repo
        self._cache = cache
        self._seen: set[str] = set()
        self._known: dict[str, bool] = {}

    def unit_value_stats(self, hs6: str) -> UnitValueStats | None:
        return self._cache.get(hs6, self._repo)

    def known_trader(self, identifier: str) -> bool:
        if identifier in self._seen:
            return True
        if identifier not in self._known:
            self._known[identifier] = self._repo.trader_known(identifier)
        return self._known[identifier]

    def remember(self, identifier: str) -> None:
        self._seen.add(identifier)


class HistoryBefore(StoredHistory):
    """`StoredHistory` as the declaration with id `upto` met it: its trader known only by a
    declaration that came before it."""

    def __init__(self, repo: ClearanceRepository, cache: UnitValueCache, upto: int) -> None:
        super().__init__(repo, cache)
        self._repo_ = repo
        self._upto = upto

    def known_trader(self, identifier: str) -> bool:
        first = self._repo_.first_declarations([identifier]).get(identifier)
        return first is not None and first < self._upto


class PageHistory:
    """`RiskHistory` for one page of a back-test, read before the page is assessed (so the unit
    of work can end first): each responsible trader's first declaration, in one query, and the
    unit-value statistics of every HS6 on the page through the node's cache. `before(id)` is
    the history a declaration met when it was assessed: its trader new unless one of its
    declarations came before it (live assessment runs before the declaration is stored)."""

    def __init__(
        self, first: dict[str, int], stats: dict[str, UnitValueStats | None], upto: int = 0
    ) -> None:
        self._first = first
        self._stats = stats
        self._upto = upto

    @classmethod
    def read(
        cls,
        page: Sequence[Assessable],
        detectors: Detectors,
        repo: ClearanceRepository,
        cache: UnitValueCache,
    ) -> PageHistory:
        first: dict[str, int] = {}
        if detectors.new_trader:
            first = repo.first_declarations({parties(d)[0].identifier for d in page})
        stats: dict[str, UnitValueStats | None] = {}
        if detectors.unit_value:
            for hs6 in sorted({item.hs_code[:6] for d in page for item in d.items}):
                stats[hs6] = cache.get(hs6, repo)
        return cls(first, stats)

    def before(self, declaration_id: int) -> PageHistory:
        """This history as the declaration with id `declaration_id` met it."""
        return PageHistory(self._first, self._stats, declaration_id)

    def unit_value_stats(self, hs6: str) -> UnitValueStats | None:
        return self._stats[hs6]

    def known_trader(self, identifier: str) -> bool:
        first = self._first.get(identifier)
        return first is not None and first < self._upto
