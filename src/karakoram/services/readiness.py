"""Readiness: can this node do its work now? The database answers, every background worker
has succeeded recently, and what waits in the outbox for which partner; and, as warnings that
do not make the node unready, reference data (rates, tariff, rules) that does not cover the
coming days.

`/health` is the cheap liveness check; this is what a load balancer or an operator asks before
sending traffic, and what says that a relay has been failing for minutes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from karakoram.services.context import NodeContext
from karakoram.services.policy.reference import HORIZON_DAYS, ReferenceStatus, status_of
from karakoram.services.workers import WorkerLog, WorkerRun, wall_clock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    database: str
    workers: list[dict[str, Any]] = field(default_factory=list)
    oldest_pending_at: datetime | None = None
    partners: list[dict[str, Any]] = field(default_factory=list)
    #: the reference data in force against the node's clock: warnings, never "not ready"
    reference: ReferenceStatus | None = None


def readiness(
    ctx: NodeContext,
    worker_log: WorkerLog,
    limits: Mapping[str, float],
    started_at: datetime,
    now: Callable[[], datetime] = wall_clock,
) -> Readiness:
    """The node's readiness; `limits` are the seconds within which each expected worker must
    have succeeded (a worker never seen is given that long from `started_at`)."""
    try:
        with ctx.uow() as uow:
            traffic = uow.exchange.traffic()
            known = {p.administration for p in uow.exchange.partners()}
            policy = ctx.policy.current(uow)
        runs = {r.name: r for r in worker_log.runs()}
    except Exception as exc:  # the answer to "is the database there" is this answer
        log.warning("readiness: the database does not answer", exc_info=True)
        return Readiness(False, f"unavailable: {type(exc).__name__}")
    at = now()
    workers = [
        _worker(name, runs.get(name), limit, started_at, at) for name, limit in limits.items()
    ]
    partners = [
        {
            "partner": t.partner,
            "reachable": t.failing == 0,
            "pending": t.pending,
            "failing": t.failing,
            "oldest_pending_at": _iso(t.oldest_pending_at),
            "last_delivered_at": _iso(t.last_delivered_at),
        }
        for t in traffic
        if t.partner in known
    ]
    oldest = min((t.oldest_pending_at for t in traffic if t.oldest_pending_at), default=None)
    ok = all(w["ok"] for w in workers)
    reference = status_of(policy, ctx.clock().date(), HORIZON_DAYS)
    return Readiness(ok, "ok", workers, oldest, partners, reference)


def _worker(
    name: str, run: WorkerRun | None, limit: float, started_at: datetime, at: datetime
) -> dict[str, Any]:
    since = run.succeeded_at if run else None
    reference = since or started_at
    ok = (at - reference).total_seconds() <= limit
    return {
        "name": name,
        "ok": ok,
        "last_success_at": _iso(since),
        "last_failure_at": _iso(run.failed_at if run else None),
        "last_error": run.last_error if run else None,
        "limit_seconds": limit,
    }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
