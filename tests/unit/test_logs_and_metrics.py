"""Structured logs (JSON for machines, readable on a terminal) and the metrics' own logic,
without I/O: what a process counts, and when an exchange-rate table stops being usable."""

from __future__ import annotations

import io
import json
import logging
from datetime import date
from decimal import Decimal

from prometheus_client.parser import text_string_to_metric_families

from karakoram.adapters.metrics import NodeMetrics
from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.entrypoints.http import logs


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def record(message: str, **extra: object) -> logging.LogRecord:
    found = logging.makeLogRecord({"name": "karakoram.test", "levelname": "INFO", "msg": message})
    for key, value in extra.items():
        setattr(found, key, value)
    return found


def test_a_pipe_gets_json_lines_with_the_bound_request_id() -> None:
    formatter = logs.formatter_for(io.StringIO())
    token = logs.bind_request_id("rid-7")
    try:
        line = json.loads(formatter.format(record("request", status=201, route="/x/{y}")))
    finally:
        logs.unbind_request_id(token)
    assert {
        "message": "request",
        "request_id": "rid-7",
        "status": 201,
        "route": "/x/{y}",
    }.items() <= line.items()
    assert {"time", "level", "logger"} <= line.keys()


def test_a_terminal_gets_readable_lines() -> None:
    text = logs.formatter_for(Terminal()).format(record("request", status=201))
    assert "request" in text and "status" in text
    assert not text.lstrip().startswith("{")


def test_a_line_outside_a_request_has_no_request_id() -> None:
    line = json.loads(logs.JsonFormatter().format(record("started", request_id=None)))
    assert "request_id" not in line


def test_what_a_process_counts_is_in_its_exposition() -> None:
    metrics = NodeMetrics()
    metrics.request("GET", "/declarations/{mrn}", 200, 0.02)
    metrics.request("GET", "/declarations/{mrn}", 200, 0.2)
    metrics.relayed("PK-GB", "delivered", 3)
    metrics.received("refused", "schema")
    metrics.cleared("green", 5.0)
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain")
    samples = {
        (s.name, *sorted(s.labels.values())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }
    mrn = ("/declarations/{mrn}", "GET")
    assert samples[("karakoram_http_requests_total", *sorted([*mrn, "200"]))] == 2
    assert (
        samples[("karakoram_http_request_duration_seconds_bucket", *sorted([*mrn, "0.025"]))] == 1
    )
    assert samples[("karakoram_relay_messages_total", "PK-GB", "delivered")] == 3
    assert samples[("karakoram_inbox_messages_total", "refused", "schema")] == 1
    assert samples[("karakoram_clearance_duration_seconds_count", "green")] == 1


def test_a_rate_table_is_usable_until_its_oldest_currency_ages_out() -> None:
    rates = ExchangeRates(
        "CNY",
        {
            "USD": ((date(2026, 11, 1), Decimal("7.2")), (date(2026, 11, 20), Decimal("7.1"))),
            "PKR": ((date(2026, 11, 10), Decimal("0.0256")),),
        },
        max_age_days=45,
    )
    assert rates.usable_until() == date(2026, 12, 25)
    assert rates.has_rate("PKR", date(2026, 12, 25)) and not rates.has_rate(
        "PKR", date(2026, 12, 26)
    )
    assert ExchangeRates("CNY", {}).usable_until() is None
