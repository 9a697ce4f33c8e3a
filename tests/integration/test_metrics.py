"""`/metrics` (issue 16, "Observability"): scraped after real traffic and parsed with
prometheus-client's own parser, each counter moved by what was done, each gauge read from the
database as it stands; never on the public API's port."""

from __future__ import annotations

import json
import logging
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from karakoram.bootstrap import Node
from karakoram.entrypoints.http.app.metrics import create_metrics_app
from karakoram.entrypoints.http.errors import PROBLEM_JSON
from tests.builders import declaration
from tests.integration.conftest import Keys
from tests.integration.test_clearance import YESTERDAY, act, goods, lodge, policy

__all__ = ["policy"]  # the fixture: rates of yesterday, the example tariff, routing rules
RATES_MAX_AGE = 45  # days: ExchangeRates.max_age_days

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(node: Node) -> Samples:
    """Every sample of the node's metrics listener, by name and labels."""
    with TestClient(create_metrics_app(node)) as metrics:
        response = metrics.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_clearances_and_queues_are_counted(
    node: Node, client: TestClient, keys: Keys, policy: int
) -> None:
    before = scrape(node)
    office = declaration()["office_of_lodgement"]
    green = [lodge(client, keys, declaration(f"G-{k}")) for k in range(2)]
    red = lodge(client, keys, goods(declaration("R-1"), "740311"))
    yellow = lodge(client, keys, goods(declaration("Y-1"), "854442"))
    assert {d["status"] for d in green} == {"released"}
    client.get(f"/declarations/{red['mrn']}", headers=keys.trader)
    waiting = scrape(node)

    def moved(name: str, **labels: str) -> float:
        return value(waiting, name, **labels) - value(before, name, **labels)

    route = {"method": "POST", "route": "/declarations"}
    assert moved("karakoram_http_requests_total", **route, status="201") == 4
    assert moved("karakoram_http_request_duration_seconds_count", **route) == 4
    one = {"method": "GET", "route": "/declarations/{mrn}", "status": "200"}
    assert moved("karakoram_http_requests_total", **one) == 1  # a template, never the MRN
    assert moved("karakoram_clearance_duration_seconds_count", channel="green") == 2
    assert value(waiting, "karakoram_queue_declarations", channel="red", office=office) == 1
    assert value(waiting, "karakoram_queue_declarations", channel="yellow", office=office) == 1

    act(client, keys, red["mrn"], "inspect", findings={"seals": "intact", "notes": "ok"})
    act(client, keys, red["mrn"], "release")
    after = scrape(node)
    assert value(after, "karakoram_clearance_duration_seconds_count", channel="red") == 1
    assert value(after, "karakoram_queue_declarations", channel="red", office=office) == 0
    assert value(after, "karakoram_queue_declarations", channel="yellow", office=office) == 1
    assert yellow["status"] != "released"


def test_the_policy_and_reference_data_in_force_are_reported(
    node: Node, client: TestClient, keys: Keys, policy: int
) -> None:
    samples = scrape(node)
    assert value(samples, "karakoram_policy_version", kind="rules") == policy
    assert value(samples, "karakoram_policy_version", kind="rates") == 1
    today = node.ctx.clock().date()
    until = date.fromisoformat(YESTERDAY) + timedelta(days=RATES_MAX_AGE)
    days = value(samples, "karakoram_reference_data_days_left", data="exchange_rates")
    assert days == (until - today).days
    assert value(samples, "karakoram_database_up") == 1
    assert any(name == "karakoram_build_info" for name, _ in samples)


def test_the_workers_are_reported_up_or_down(node: Node) -> None:
    samples = scrape(node)
    for name in node.worker_limits():
        assert value(samples, "karakoram_worker_up", worker=name) == 1
    later = node.started_at - timedelta(hours=2)  # a node started long ago, no success since
    node.started_at = later
    from karakoram.bootstrap import watch

    node.metrics = type(node.metrics)()
    watch(node)
    for name in node.worker_limits():
        assert value(scrape(node), "karakoram_worker_up", worker=name) == 0


@pytest.mark.parametrize("path", ["/metrics", "/metrics/", "/ui/metrics"])
def test_the_public_port_has_no_metrics(client: TestClient, keys: Keys, path: str) -> None:
    for headers in ({}, keys.admin, keys.supervisor):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, (path, headers)
        assert "karakoram_" not in response.text


def test_labels_stay_bounded_whatever_the_client_sends(node: Node, client: TestClient) -> None:
    for k in range(3):
        client.request(f"BREW{k}", f"/declarations/{k}")
        client.get(f"/no/such/{k}")
    counted = [dict(labels) for name, labels in scrape(node) if name.startswith("karakoram_http_")]
    routes, methods = {c["route"] for c in counted}, {c["method"] for c in counted}
    assert "/no/such/0" not in routes and "unmatched" in routes
    assert methods <= {"GET", "OTHER"} and "OTHER" in methods


def test_the_metrics_listener_serves_nothing_else(node: Node) -> None:
    with TestClient(create_metrics_app(node)) as metrics:
        assert metrics.get("/declarations").status_code == 404
        assert metrics.post("/metrics").status_code == 405


def test_access_lines_carry_route_status_user_and_request_id(
    client: TestClient, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    from karakoram.entrypoints.http.logs import JsonFormatter

    with caplog.at_level(logging.INFO, logger="karakoram.http"):
        client.get("/declarations/NOPE", headers={**keys.trader, "X-Request-ID": "acc-1"})
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.msg == "request"]
    assert {
        "message": "request",
        "request_id": "acc-1",
        "method": "GET",
        "route": "/declarations/{mrn}",
        "path": "/declarations/NOPE",
        "status": 404,
        "user": "kashgar",
        "level": "info",
    }.items() <= lines[-1].items()
    assert isinstance(lines[-1]["duration_ms"], float)


def test_every_problem_names_the_request_id(client: TestClient, keys: Keys) -> None:
    for response in (
        client.get("/declarations/NOPE", headers={**keys.trader, "X-Request-ID": "p-1"}),
        client.get("/no/such/route", headers={"X-Request-ID": "p-1"}),
        client.post("/declarations", json={}, headers={**keys.trader, "X-Request-ID": "p-1"}),
        client.get("/declarations", headers={"X-Request-ID": "p-1"}),
    ):
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["error_id"] == "p-1" == response.headers["x-request-id"]


def test_a_node_without_rates_reports_no_expiry(node: Node) -> None:
    samples = scrape(node)
    assert not [k for k in samples if k[0] == "karakoram_reference_data_days_left"]
    assert value(samples, "karakoram_database_up") == 1


DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
#: a series name in a PromQL expression
SERIES = re.compile(r"\bkarakoram_[a-z0-9_]+")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "info": ("_info",),
    "gauge": ("",),
}


def exported_series(node: Node) -> set[str]:
    """Every series name the node's /metrics can hold, from its families' names and types."""
    with TestClient(create_metrics_app(node)) as metrics:
        text = metrics.get("/metrics").text
    return {
        family.name + suffix
        for family in text_string_to_metric_families(text)
        for suffix in SUFFIXES[family.type]
    }


def test_every_alert_and_dashboard_panel_reads_metrics_the_node_exports(node: Node) -> None:
    """promtool is out of reach here: the rules are read back and each expression's series
    checked against what a scrape describes."""
    exported = exported_series(node)
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    names = {rule["alert"] for rule in alerts}
    wanted = {"PartnerDown", "OutboxOld", "WorkerNotRunning", "ReferenceDataExpiring"}
    assert {f"Karakoram{name}" for name in wanted} <= names
    dashboard = json.loads((DEPLOY / "grafana" / "karakoram-node.json").read_text())
    exprs = [(rule["alert"], rule["expr"]) for rule in alerts] + [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]
    for where, expr in exprs:
        series = set(SERIES.findall(expr))
        assert series, (where, expr)
        assert series <= exported, (where, series - exported)
    for rule in alerts:
        assert {"summary", "description"} <= rule["annotations"].keys(), rule["alert"]
    scrape_config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert scrape_config["rule_files"] == ["alerts.yml"]
    assert scrape_config["scrape_configs"][0]["metrics_path"] == "/metrics"
