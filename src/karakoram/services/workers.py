"""The background work of a serving node, under one supervision policy.

A worker repeats one step until its stop event is set: the exchange relay delivers the outbox,
the analytics refresh keeps the statistics' copy current. Whatever a step raises is logged
(with its traceback) and the step is tried again after a back-off that doubles up to a bound,
so a partner that is away or a database that restarts never ends the loop. Every wait is a
wait on the stop event, so setting it ends the worker at once. The composition root builds the
workers of a node; `karakoram serve` and `karakoram relay` start them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from karakoram.services.context import NodeContext
from karakoram.services.exchange.relay import relay_once
from karakoram.services.ports import PeerTransport
from karakoram.services.statistics.refresh import refresh

log = logging.getLogger(__name__)

#: the first back-off after a failure is never shorter than this, however short the interval
MIN_BACKOFF = 0.1


@dataclass
class Worker:
    """A step repeated until stopped.

    The step returns True when there may be more work at once (it runs again straight on) and
    False when it is idle (the worker rests `interval` seconds)."""

    name: str
    step: Callable[[], bool]
    interval: float
    #: the bound of the back-off after failures in a row
    max_backoff: float = 30.0
    #: seconds to wait before the first step
    start_after: float = 0.0

    def backoff(self, failures: int) -> float:
        """Seconds to wait after `failures` failures in a row: doubling, bounded."""
        first = max(self.interval, MIN_BACKOFF)
        return min(self.max_backoff, first * 2.0 ** (failures - 1))

    def run(self, stop: threading.Event) -> None:
        """Repeat the step until `stop` is set; a failing step is logged and tried again."""
        if stop.wait(self.start_after):
            return
        failures = 0
        while not stop.is_set():
            try:
                busy = self.step()
            except Exception:  # supervision: nothing a step raises may end the worker
                failures += 1
                delay = self.backoff(failures)
                log.exception(
                    "%s failed (%d in a row); trying again in %.1f s", self.name, failures, delay
                )
                stop.wait(delay)
                continue
            failures = 0
            if not busy:
                stop.wait(self.interval)

    def start(self, stop: threading.Event) -> threading.Thread:
        """Run in a daemon thread of its own until `stop` is set."""
        thread = threading.Thread(target=self.run, args=(stop,), name=self.name, daemon=True)
        thread.start()
        return thread


def relay_worker(
    ctx: NodeContext, peer: PeerTransport, interval: float, limit: int = 200
) -> Worker:
    """Deliver what is due in the outbox; straight on while there is work."""
    config = ctx.exchange
    if config is None:
        raise ValueError("The node has no signing key: it has nothing to relay.")

    def step() -> bool:
        stats = relay_once(config, peer, ctx.uow, ctx.clock, limit=limit)
        return stats.delivered + stats.retried + stats.dead > 0

    return Worker("exchange relay", step, interval)


def refresh_worker(ctx: NodeContext, interval: float) -> Worker:
    """Bring the analytical copy up to date every `interval` seconds (the first after one)."""

    def step() -> bool:
        refresh(ctx)
        return False

    return Worker("analytics refresh", step, interval, start_after=interval)
