"""What the node tells its operators as it works: the port its metrics sit behind.

Handlers and workers report what happened (a message delivered, a partner's message accepted or
refused, goods cleared) to an `Observations`; the composition root hands them the Prometheus
one (`adapters/metrics.py`), tests and tools the silent `NoObservations`. What is better read
from the database when it is asked for (queue lengths, the outbox's age) is not reported here:
the metrics adapter reads it at scrape time.
"""

from __future__ import annotations

from typing import Protocol


class Observations(Protocol):
    def relayed(self, partner: str, outcome: str, count: int = 1) -> None:
        """`count` messages to `partner` were `delivered`, `retried` or given up (`dead`)."""
        ...

    def received(self, outcome: str, code: str = "", count: int = 1) -> None:
        """`count` partner messages were `accepted`, `duplicate` or `refused` (with `code`)."""
        ...

    def cleared(self, channel: str, seconds: float) -> None:
        """Goods of a declaration of `channel` were released `seconds` after lodgement."""
        ...


class NoObservations:
    """Observations nobody reads."""

    def relayed(self, partner: str, outcome: str, count: int = 1) -> None:
        return None

    def received(self, outcome: str, code: str = "", count: int = 1) -> None:
        return None

    def cleared(self, channel: str, seconds: float) -> None:
        return None
