"""`karakoram serve --workers 2` with a metrics listener, in real processes: the scrape sums
both API processes, the public port has no /metrics, the server's log lines are JSON carrying
the request id, and the private directory of the counts goes when the node stops."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.builders import free_port
from tests.e2e.test_cli import run
from tests.integration.test_metrics import parse, value

#: seconds for the node to start and for both workers to have served (a few when the machine
#: is idle; the bound is for a machine loaded by other test runs)
DEADLINE = 60.0


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    api: str
    metrics: str
    stderr: Path


def wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + DEADLINE
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.05)  # polling a starting process, bounded by the deadline


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    run(tmp_path, "db", "upgrade")
    port, metrics_port = free_port(), free_port()
    env = os.environ | {
        "KARAKORAM_DATABASE_URL": f"sqlite:///{tmp_path / 'node.db'}",
        "KARAKORAM_METRICS_PORT": str(metrics_port),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    stderr = tmp_path / "stderr.log"
    with stderr.open("wb") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "karakoram", "serve", "--port", str(port), "--workers", "2"],
            cwd=tmp_path,
            env=env,
            stderr=err,
        )
    try:
        api, metrics = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}"
        # not /health, which the test counts: a poll the client gave up on may still be answered
        wait_for(f"{api}/starting", server)
        wait_for(f"{metrics}/metrics", server)
        yield Served(server, api, metrics, stderr)
    finally:
        server.terminate()
        server.wait(timeout=15)


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def counts_dir(pid: int) -> Path:
    """The private directory `serve` gave its API processes (read from their environment)."""
    for child in children(pid):
        environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        for entry in environ:
            if entry.startswith(b"PROMETHEUS_MULTIPROC_DIR="):
                return Path(entry.split(b"=", 1)[1].decode())
    raise AssertionError("no API process has a metrics directory")


def health_requests_per_process(directory: Path) -> dict[str, float]:
    """GET /health answered, by the file (so the process) that counted them."""
    found: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        for family in MultiProcessCollector.merge([str(path)]):  # type: ignore[no-untyped-call]
            for s in family.samples:
                if s.name == "karakoram_http_requests_total" and s.labels.get("route") == "/health":
                    found[path.name] = found.get(path.name, 0.0) + s.value
    return found


def test_a_scrape_sums_both_workers_and_the_public_port_has_no_metrics(served: Served) -> None:
    directory = counts_dir(served.process.pid)
    ok = {"method": "GET", "route": "/health", "status": "200"}
    sent = 0
    deadline = time.monotonic() + DEADLINE
    with ThreadPoolExecutor(8) as pool:
        while len(health_requests_per_process(directory)) < 2:
            assert time.monotonic() < deadline, "one worker served every request"
            # a fresh connection each: the kernel hands them to either process
            answers = list(pool.map(lambda _: httpx.get(f"{served.api}/health"), range(16)))
            assert all(a.status_code == 200 for a in answers)
            sent += len(answers)
    # a request is counted just after its answer is sent: wait (bounded) for the last counts
    while sum((per_process := health_requests_per_process(directory)).values()) < sent:
        assert time.monotonic() < deadline, per_process
        time.sleep(0.05)  # polling another process's files, bounded by the deadline
    samples = parse(httpx.get(f"{served.metrics}/metrics").text)
    assert value(samples, "karakoram_http_requests_total", **ok) == sent
    assert sum(per_process.values()) == sent and min(per_process.values()) > 0
    assert value(samples, "karakoram_database_up") == 1  # read once, by the scraping process

    for path in ("/metrics", "/metrics/"):
        refused = httpx.get(f"{served.api}{path}")
        assert refused.status_code == 404 and "karakoram_" not in refused.text
    assert httpx.get(f"{served.metrics}/health").status_code == 404

    logged = httpx.get(f"{served.api}/no/such/page", headers={"X-Request-ID": "e2e-log-1"})
    assert logged.json()["error_id"] == "e2e-log-1"
    served.process.terminate()
    served.process.wait(timeout=15)
    lines = [json.loads(line) for line in served.stderr.read_text().splitlines() if line[:1] == "{"]
    mine = [line for line in lines if line.get("request_id") == "e2e-log-1"]
    assert mine and mine[-1]["message"] == "request" and mine[-1]["status"] == 404
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert not directory.exists()  # the node's counts went with it
