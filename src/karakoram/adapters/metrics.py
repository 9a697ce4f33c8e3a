"""The node's Prometheus metrics: what it counts as it works, and what it reads when scraped.

Counters and histograms (requests, deliveries, inbox outcomes, clearance durations) are kept
by `NodeMetrics`, one per process. Under `serve --workers N` every process writes them to
files in a private directory (`share_across_processes`, prometheus-client's multiprocess mode)
and the scrape sums them; in one process they live in memory. Gauges of what the database
holds (queues, the outbox, workers, the policy in force) are read when the node is scraped by a
`DatabaseGauges` collector (`adapters/db/gauges.py`), in the scraping process only, so they are
never summed across workers.

Labels are bounded: a route is its template (`/declarations/{mrn}`, never the MRN), a path no
route matched is `unmatched`, a refusal its code.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

#: seconds; requests are mostly milliseconds, uploads and analytics up to seconds
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: seconds from lodgement to release: a green lane in seconds, a red one in hours or days
CLEARANCE_BUCKETS = (
    1.0,
    10.0,
    60.0,
    300.0,
    900.0,
    1800.0,
    3600.0,
    4 * 3600.0,
    12 * 3600.0,
    86400.0,
    3 * 86400.0,
    7 * 86400.0,
)
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def share_across_processes(directory: Path | None) -> None:
    """Make this process and those it starts keep their metrics in `directory` (empty, private
    to the node), so that a scrape sums every `serve` worker; None: in this process's memory,
    whatever the environment says. Call it before any metric is made: prometheus-client
    chooses where values live when it is imported, so it is told again."""
    if directory is None:
        os.environ.pop(MULTIPROCESS_ENV, None)
    else:
        os.environ[MULTIPROCESS_ENV] = str(directory)
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_ENV) or None


class NodeMetrics:
    """What one process counts; satisfies `services.observe.Observations`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._scraped: list[Collector] = []
        r = self.registry
        self.requests = Counter(
            "karakoram_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "karakoram_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.relay = Counter(
            "karakoram_relay_messages",
            "Outbox messages the relay handled, by partner and outcome "
            "(delivered, retried, dead: given up as a dead letter).",
            ["partner", "outcome"],
            registry=r,
        )
        self.inbox = Counter(
            "karakoram_inbox_messages",
            "Partner messages received, by outcome (accepted, duplicate, refused) and the "
            "refusal's code.",
            ["outcome", "code"],
            registry=r,
        )
        self.clearance = Histogram(
            "karakoram_clearance_duration_seconds",
            "Seconds from lodgement to release, by channel.",
            ["channel"],
            buckets=CLEARANCE_BUCKETS,
            registry=r,
        )

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def relayed(self, partner: str, outcome: str, count: int = 1) -> None:
        self.relay.labels(partner, outcome).inc(count)

    def received(self, outcome: str, code: str = "", count: int = 1) -> None:
        self.inbox.labels(outcome, code).inc(count)

    def cleared(self, channel: str, seconds: float) -> None:
        self.clearance.labels(channel).observe(seconds)

    def scrape_also(self, collector: Collector) -> None:
        """Add a collector read at scrape time (the database's gauges)."""
        self._scraped.append(collector)
        if multiprocess_dir() is None:
            self.registry.register(collector)

    def exposition(self) -> tuple[bytes, str]:
        """The text a scrape gets, and its content type: every process's counts summed in
        multiprocess mode, this process's otherwise; with the scrape-time gauges."""
        directory = multiprocess_dir()
        if directory is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        for collector in self._scraped:
            registry.register(collector)
        return generate_latest(registry), CONTENT_TYPE_LATEST
