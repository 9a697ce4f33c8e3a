"""The background work of a serving node, under one supervision policy.

A worker repeats one step until its stop event is set: the exchange relay delivers the outbox,
the analytics refresh keeps the statistics' copy current. Whatever a step raises (a partner
away, `database is locked`, a database that restarts) is logged with its traceback and the
step is tried again after a back-off that doubles up to a bound, so nothing ends the loop.
Every wait is a wait on the stop event, so setting it ends the worker at once.

Each success is written to the worker log (`WorkerLog`, in the database, so that every API
process and a `karakoram relay` apart share it), at most once per `heartbeat` seconds; `/ready`
reads it and answers 503 when a worker has not succeeded within its `stale_after`. The
composition root builds the workers of a node; `karakoram serve` and `karakoram relay` start
them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from karakoram.services.audit.checkpoints import periodic_checkpoint
from karakoram.services.context import NodeContext
from karakoram.services.exchange.expo_feed import send_due_summary
from karakoram.services.exchange.probe import probe_partners
from karakoram.services.exchange.relay import relay_once
from karakoram.services.ports import PeerTransport
from karakoram.services.statistics.refresh import refresh
from karakoram.services.uploads import run_next_upload

log = logging.getLogger(__name__)

#: the first back-off after a failure is never shorter than this, however short the interval
MIN_BACKOFF = 0.1


@dataclass(frozen=True, slots=True)
class WorkerRun:
    """What the worker log holds of one worker: its last success and its last failure."""

    name: str
    succeeded_at: datetime | None
    failed_at: datetime | None
    last_error: str | None


class WorkerLog(Protocol):
    """Where workers record their runs, shared by every process of the node."""

    def succeeded(self, name: str, at: datetime) -> None: ...
    def failed(self, name: str, at: datetime, error: str) -> None: ...
    def runs(self) -> list[WorkerRun]: ...


def wall_clock() -> datetime:
    """Liveness is measured on the real clock, even on a node with a simulated one."""
    return datetime.now(UTC)


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
    #: where successes and failures are recorded (None: only logged)
    record: WorkerLog | None = None
    #: a success is written to the log at most this often
    heartbeat: float = 5.0
    clock: Callable[[], datetime] = wall_clock
    #: the last success recorded by this process
    last_success: datetime | None = field(default=None, init=False)

    @property
    def stale_after(self) -> float:
        """Seconds without a success after which `/ready` reports this worker down: a few
        idle intervals plus the longest back-off, never under a minute."""
        return max(60.0, 3 * (self.interval + self.start_after) + 2 * self.max_backoff)

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
                self._succeeded()
            except Exception as exc:  # supervision: nothing a step raises may end the worker
                failures += 1
                delay = self.backoff(failures)
                log.exception(
                    "%s failed (%d in a row); trying again in %.1f s", self.name, failures, delay
                )
                self._failed(exc)
                stop.wait(delay)
                continue
            if failures:
                log.warning("%s is back after %d failures", self.name, failures)
            failures = 0
            if not busy:
                stop.wait(self.interval)

    def _succeeded(self) -> None:
        now = self.clock()
        due = self.last_success is None or (now - self.last_success).total_seconds() >= (
            self.heartbeat
        )
        if self.record is not None and due:
            self.record.succeeded(self.name, now)
        if due:
            self.last_success = now

    def _failed(self, exc: Exception) -> None:
        self.last_success = None  # the next success is recorded at once
        if self.record is None:
            return
        try:
            self.record.failed(self.name, self.clock(), f"{type(exc).__name__}: {exc}"[:500])
        except Exception:  # the database may be the thing that failed: the log has it
            log.warning("%s: could not record the failure", self.name, exc_info=True)

    def start(self, stop: threading.Event) -> threading.Thread:
        """Run in a daemon thread of its own until `stop` is set."""
        thread = threading.Thread(target=self.run, args=(stop,), name=self.name, daemon=True)
        thread.start()
        return thread


RELAY = "exchange relay"
REFRESH = "analytics refresh"


def relay_worker(
    ctx: NodeContext,
    peer: PeerTransport,
    interval: float,
    limit: int = 200,
    record: WorkerLog | None = None,
) -> Worker:
    """Deliver what is due in the outbox; straight on while there is work."""
    config = ctx.exchange
    if config is None:
        raise ValueError("The node has no signing key: it has nothing to relay.")

    def step() -> bool:
        stats = relay_once(config, peer, ctx.uow, ctx.clock, limit=limit)
        for (partner, outcome), count in stats.by_partner.items():
            ctx.observe.relayed(partner, outcome, count)
        return stats.delivered + stats.retried + stats.dead > 0

    return Worker(RELAY, step, interval, record=record)


def refresh_worker(ctx: NodeContext, interval: float, record: WorkerLog | None = None) -> Worker:
    """Bring the analytical copy up to date every `interval` seconds (the first after one)."""

    def step() -> bool:
        refresh(ctx)
        return False

    return Worker(REFRESH, step, interval, start_after=interval, record=record)


CHECKPOINT = "audit checkpoint"


def checkpoint_worker(ctx: NodeContext, minutes: float, record: WorkerLog | None = None) -> Worker:
    """Every `minutes` (the first after one interval), sign the audit chain's head and send it
    to the partners, when the chain has grown since the last checkpoint."""
    if ctx.exchange is None:
        raise ValueError("The node has no signing key: it cannot sign checkpoints.")

    def step() -> bool:
        periodic_checkpoint(ctx)
        return False

    interval = minutes * 60.0
    return Worker(CHECKPOINT, step, interval, start_after=interval, record=record)


PROBE = "partner probe"


def probe_worker(
    ctx: NodeContext, peer: PeerTransport, seconds: float, record: WorkerLog | None = None
) -> Worker:
    """Every `seconds`, probe each partner (services/exchange/probe.py): its state is known
    even when there is nothing to deliver. A partner that does not answer is recorded, not
    raised: the worker stays healthy while the partner is down."""

    def step() -> bool:
        probe_partners(ctx, peer)
        return False

    return Worker(PROBE, step, seconds, record=record)


EXPO_FEED = "expo trade summary"


def expo_feed_worker(ctx: NodeContext, hours: float, record: WorkerLog | None = None) -> Worker:
    """Every `hours`, send last month's trade summary to the expo partners that have not had
    one this month (services/exchange/expo_feed.py `send_due_summary`)."""

    def step() -> bool:
        send_due_summary(ctx)
        return False

    return Worker(EXPO_FEED, step, hours * 3600.0, record=record)


def partner_workers(
    ctx: NodeContext,
    peer: PeerTransport,
    every: tuple[float, float, float],
    record: WorkerLog | None = None,
) -> list[Worker]:
    """The periodic audit checkpoint, the probe of the partners and the expo's monthly
    summary, for a node with a signing key; `every`: the checkpoint's minutes, the probe's
    seconds and the summary check's hours (0: that one is off)."""
    minutes, seconds, hours = every
    if ctx.exchange is None:
        return []
    found = [checkpoint_worker(ctx, minutes, record)] if minutes > 0 else []
    found += [expo_feed_worker(ctx, hours, record)] if hours > 0 else []
    return found + ([probe_worker(ctx, peer, seconds, record)] if seconds > 0 else [])


UPLOADS = "upload jobs"


def upload_worker(
    ctx: NodeContext, interval: float, lease: float, record: WorkerLog | None = None
) -> Worker:
    """Import queued upload jobs, and take up again those a stopped node left running once
    their `lease` (seconds) has run out; straight on while there are jobs."""

    def step() -> bool:
        return run_next_upload(ctx, lease)

    return Worker(UPLOADS, step, interval, record=record)
