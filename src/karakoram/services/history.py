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


class PageHistory:
    """`RiskHistory` for one page of a back-test, read before the page is assessed (so the unit
    of work can end first): which responsible traders are known, in one query, and the unit-value
    statistics of every HS6 on the page through the node's cache. It answers what
    `StoredHistory` would have answered for the same page."""

    def __init__(self, known: dict[str, bool], stats: dict[str, UnitValueStats | None]) -> None:
        self._known = known
        self._stats = stats

    @classmethod
    def read(
        cls,
        page: Sequence[Assessable],
        detectors: Detectors,
        repo: ClearanceRepository,
        cache: UnitValueCache,
    ) -> PageHistory:
        known: dict[str, bool] = {}
        if detectors.new_trader:
            wanted = {parties(d)[0].identifier for d in page}
            found = repo.known_traders(wanted)
            known = {identifier: identifier in found for identifier in wanted}
        stats: dict[str, UnitValueStats | None] = {}
        if detectors.unit_value:
            for hs6 in sorted({item.hs_code[:6] for d in page for item in d.items}):
                stats[hs6] = cache.get(hs6, repo)
        return cls(known, stats)

    def unit_value_stats(self, hs6: str) -> UnitValueStats | None:
        return self._stats[hs6]

    def known_trader(self, identifier: str) -> bool:
        return self._known[identifier]
