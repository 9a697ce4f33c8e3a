"""Gauges read from the database when the node is scraped.

A few grouped queries, each over an index and bounded by what is waiting (not by all history):
the outbox's undelivered messages per partner, the declarations waiting for an officer per
channel and office, the workers' last successes, the policy documents in force, the HS edition
and the partners' key validity. A scrape that finds the database away reports
`karakoram_database_up 0` and nothing else from it, rather than failing the whole scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from sqlalchemy import Connection, Engine, case, func, select

from karakoram.adapters.db.tables import (
    declarations,
    hs_nomenclature,
    outbox,
    partner_keys,
    partners,
    policy_documents,
)
from karakoram.adapters.db.worker_runs import worker_runs
from karakoram.domain.clearance import AWAITING_OFFICER

log = logging.getLogger(__name__)


@dataclass
class GaugeSources:
    """What the gauges read besides the database, handed over by the composition root."""

    #: the node's clock (outbox and queue times are written in it; simulated on a demo node)
    clock: Callable[[], datetime]
    #: the real clock, which the worker log is written in
    wall_clock: Callable[[], datetime]
    #: each expected worker and the seconds within which it must succeed
    worker_limits: Callable[[], Mapping[str, float]]
    started_at: datetime
    #: the last day the exchange-rate table in force can be used, if one is in force
    rates_usable_until: Callable[[], date | None]
    version: str


class DatabaseGauges:
    """A prometheus-client collector (`collect` is called at each scrape)."""

    def __init__(self, engine: Engine, sources: GaugeSources) -> None:
        self.engine = engine
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        info = InfoMetricFamily("karakoram_build", "The software the node runs.")
        info.add_metric([], {"version": self.sources.version})
        yield info
        up = GaugeMetricFamily("karakoram_database_up", "1 when the database answered the scrape.")
        try:
            with self.engine.connect() as conn:
                found = list(self._read(conn))
        except Exception:  # the scrape says the database is away; the log says why
            log.warning("metrics: the database does not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from found

    def _read(self, conn: Connection) -> Iterator[Metric]:
        yield from self._outbox(conn)
        yield from self._queue(conn)
        yield from self._workers(conn)
        yield from self._reference(conn)

    def _outbox(self, conn: Connection) -> Iterator[Metric]:
        o = outbox.c
        now = self.sources.clock()
        depth = GaugeMetricFamily(
            "karakoram_outbox_messages",
            "Undelivered outbox messages by partner and status (pending, dead).",
            labels=["partner", "status"],
        )
        failing = GaugeMetricFamily(
            "karakoram_outbox_failing_messages",
            "Pending messages that failed at least once, by partner (the partner is away).",
            labels=["partner"],
        )
        age = GaugeMetricFamily(
            "karakoram_outbox_oldest_age_seconds",
            "Age of the oldest pending message, by partner (0 when none waits).",
            labels=["partner"],
        )
        names = list(conn.execute(select(partners.c.administration)).scalars())
        counts = {(p, s): 0 for p in names for s in ("pending", "dead")}
        failures = dict.fromkeys(names, 0)
        oldest: dict[str, float] = dict.fromkeys(names, 0.0)
        query = (
            select(
                o.recipient,
                o.status,
                func.count(),
                func.sum(case((o.attempts > 0, 1), else_=0)),
                func.min(o.created_at),
            )
            .where(o.status.in_(["pending", "dead"]))
            .group_by(o.recipient, o.status)
        )
        for partner, status, n, tried, first in conn.execute(query):
            counts[(partner, status)] = int(n)
            if status == "pending":
                failures[partner] = int(tried or 0)
                oldest[partner] = max(0.0, (now - _utc(first)).total_seconds())
        for (partner, status), n in sorted(counts.items()):
            depth.add_metric([partner, status], n)
        for partner in sorted(failures):
            failing.add_metric([partner], failures[partner])
            age.add_metric([partner], oldest.get(partner, 0.0))
        yield from (depth, failing, age)

    def _queue(self, conn: Connection) -> Iterator[Metric]:
        d = declarations.c
        waiting = [s.value for s in AWAITING_OFFICER]
        query = (
            select(d.channel, d.office_of_lodgement, func.count(), func.min(d.updated_at))
            .where(d.status.in_(waiting))
            .group_by(d.channel, d.office_of_lodgement)
        )
        length = GaugeMetricFamily(
            "karakoram_queue_declarations",
            "Declarations waiting for an officer, by channel and office of lodgement.",
            labels=["channel", "office"],
        )
        age = GaugeMetricFamily(
            "karakoram_queue_oldest_age_seconds",
            "How long the longest-waiting declaration has waited, by channel and office.",
            labels=["channel", "office"],
        )
        now = self.sources.clock()
        for channel, office, n, first in conn.execute(query):
            labels = [channel or "none", office]
            length.add_metric(labels, int(n))
            age.add_metric(labels, max(0.0, (now - _utc(first)).total_seconds()))
        yield from (length, age)

    def _workers(self, conn: Connection) -> Iterator[Metric]:
        w = worker_runs.c
        runs = {name: at for name, at in conn.execute(select(w.name, w.succeeded_at))}
        now = self.sources.wall_clock()
        up = GaugeMetricFamily(
            "karakoram_worker_up",
            "1 when the worker succeeded within its limit (as /ready judges), else 0.",
            labels=["worker"],
        )
        age = GaugeMetricFamily(
            "karakoram_worker_last_success_age_seconds",
            "Seconds since the worker's last recorded success (since the node started when "
            "it has none).",
            labels=["worker"],
        )
        for name, limit in sorted(self.sources.worker_limits().items()):
            since = runs.get(name)
            seconds = (now - _utc(since or self.sources.started_at)).total_seconds()
            up.add_metric([name], 1 if seconds <= limit else 0)
            age.add_metric([name], max(0.0, seconds))
        yield from (up, age)

    def _reference(self, conn: Connection) -> Iterator[Metric]:
        p = policy_documents.c
        versions = GaugeMetricFamily(
            "karakoram_policy_version",
            "Version of the policy document in force, by kind (rules, tariff, rates).",
            labels=["kind"],
        )
        active = select(p.kind, p.version).where(p.status == "active").order_by(p.kind)
        for kind, version in conn.execute(active):
            versions.add_metric([kind], int(version))
        yield versions
        edition = conn.execute(select(hs_nomenclature.c.edition).limit(1)).scalar()
        nomenclature = InfoMetricFamily("karakoram_nomenclature", "The HS nomenclature loaded.")
        nomenclature.add_metric([], {"edition": edition or "none"})
        yield nomenclature
        days = GaugeMetricFamily(
            "karakoram_reference_data_days_left",
            "Days until the reference data in force can no longer be used, by data: the "
            "exchange-rate table (its oldest currency's last rate plus the table's max age).",
            labels=["data"],
        )
        today = self.sources.clock().date()
        until = self.sources.rates_usable_until()
        if until is not None:
            days.add_metric(["exchange_rates"], (until - today).days)
        yield days
        yield self._keys(conn)

    def _keys(self, conn: Connection) -> Metric:
        k, pt = partner_keys.c, partners.c
        query = (
            select(pt.administration, func.max(k.valid_to))
            .select_from(partner_keys.join(partners, pt.id == k.partner_id))
            .where(k.revoked_at.is_(None), k.valid_to.is_not(None))
            .group_by(pt.administration)
        )
        days = GaugeMetricFamily(
            "karakoram_partner_key_days_left",
            "Days until the last of a partner's signing keys with an end date expires.",
            labels=["partner"],
        )
        now = self.sources.clock()
        for partner, valid_to in conn.execute(query):
            days.add_metric([partner], (_utc(valid_to) - now).total_seconds() / 86400)
        return days


def _utc(at: datetime) -> datetime:
    """Times read back through a raw aggregate lose their zone on SQLite: they are UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
