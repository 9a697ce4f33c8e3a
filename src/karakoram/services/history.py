"""What the risk detectors learn from the node's own history, read through the unit of work."""

from __future__ import annotations

import threading
import time

from karakoram.domain.risk.detectors import UnitValueStats
from karakoram.services.unit_of_work import ClearanceRepository


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
