"""A simulated clock is the node's, kept in its database: a node rebuilt from the same database
(after a crash, or a CLI command beside the server) reads the node's time, never the start."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from karakoram.bootstrap import bootstrap
from karakoram.config import load_settings
from karakoram.entrypoints.http.app import create_app
from karakoram.services.clock import SimulatedClock
from karakoram.services.users import add_user
from tests.builders import TRADER, declaration
from tests.cli_runner import config_for, run_cli
from tests.conftest import fast_hasher
from tests.integration.test_clearance import EXAMPLES, RULES, goods, load

#: two years before the test runs, as a demo's configuration says
START = datetime(2024, 11, 1, 8, 0, tzinfo=UTC)
MOVED = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
RATES = "date,currency,rate\n2026-05-31,USD,7.2\n2026-05-31,PKR,0.0256\n"


def simulated_node(engine):
    settings = load_settings(
        database_url=str(engine.url), simulated_clock=True, simulated_clock_start=START
    )
    return bootstrap(settings, engine=engine, hasher=fast_hasher())


def test_a_rebuilt_node_reads_its_clock_where_it_was_never_the_start(engine):
    first = simulated_node(engine)
    assert timedelta(0) <= first.ctx.clock() - START < timedelta(minutes=1)
    first.ctx.clock.move_to(MOVED)  # type: ignore[attr-defined]
    again = simulated_node(engine)  # the node restarted on the same database
    assert timedelta(0) <= again.ctx.clock() - MOVED < timedelta(minutes=1)
    with pytest.raises(Exception, match="cannot move back"):
        again.ctx.clock.move_to(MOVED - timedelta(seconds=1))  # type: ignore[attr-defined]


class MemoryStore:
    def __init__(self) -> None:
        self.saved: tuple[datetime, datetime] | None = None

    def load(self) -> tuple[datetime, datetime] | None:
        return self.saved

    def save(self, reads: datetime, real: datetime) -> None:
        self.saved = (reads, real)


def test_the_clock_flows_on_from_its_reading_and_never_resumes_earlier():
    real, store = [datetime(2026, 11, 30, 9, 0, tzinfo=UTC)], MemoryStore()
    SimulatedClock(START, real=lambda: real[0], store=store).move_to(MOVED)
    real[0] += timedelta(hours=2)  # the node was down two hours
    assert SimulatedClock(START, real=lambda: real[0], store=store)() == MOVED + timedelta(hours=2)
    real[0] -= timedelta(days=1)  # the machine's clock was set back
    assert SimulatedClock(START, real=lambda: real[0], store=store)() == MOVED


def test_the_cli_queue_waits_by_the_nodes_clock(engine, tmp_path, monkeypatch):
    node = simulated_node(engine)

    def key(role: str, party: str | None = None) -> dict[str, str]:
        user = add_user(role, role, party, node.ctx, node.hasher)
        return {"Authorization": f"Bearer {user.api_key}"}

    keys = SimpleNamespace(
        supervisor=key("supervisor"),
        trader=key("trader", TRADER),
        administrator=key("administrator"),
    )
    with TestClient(create_app(node)) as client:
        assert (
            client.put(
                "/admin/clock", json={"now": MOVED.isoformat()}, headers=keys.administrator
            ).status_code
            == 200
        )
        load(client, keys, "rates", RATES, "text/csv")
        load(client, keys, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text())
        load(client, keys, "rules", RULES)
        lodged = client.post(
            "/declarations", json=goods(declaration("Q-CLOCK"), "740311"), headers=keys.trader
        )
        assert lodged.status_code == 201 and lodged.json()["channel"] == "red"
    clock = f'simulated_clock = true\nsimulated_clock_start = "{START.isoformat()}"\n'
    config = config_for(engine, tmp_path, clock)
    shown = run_cli(monkeypatch, "--config", str(config), "queue")
    assert shown.exit_code == 0, shown.output
    [waiting] = re.findall(r"(-?\d+h\d\d) +│\n", shown.output)
    assert waiting in ("0h00", "0h01"), shown.output  # minutes on the node's clock, not -9298h05
