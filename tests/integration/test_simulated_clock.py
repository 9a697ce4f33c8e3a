"""A simulated clock: administrators move it forward; events are stamped with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from karakoram.bootstrap import bootstrap
from karakoram.config import load_settings
from karakoram.entrypoints.http.app import create_app
from karakoram.services.clock import SimulatedClock
from karakoram.services.users import add_user
from tests.conftest import fast_hasher

START = datetime(2022, 4, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def simulated(engine):
    settings = load_settings(
        database_url=str(engine.url), simulated_clock=True, simulated_clock_start=START
    )
    node = bootstrap(settings, engine=engine, hasher=fast_hasher())
    admin = add_user("admin", "administrator", None, node.ctx, node.hasher).api_key
    officer = add_user("officer", "officer", None, node.ctx, node.hasher).api_key
    with TestClient(create_app(node)) as client:
        yield client, {"Authorization": f"Bearer {admin}"}, {"Authorization": f"Bearer {officer}"}


def test_clock_starts_where_configured_and_moves_only_forward(simulated):
    client, admin, _ = simulated
    read = client.get("/admin/clock", headers=admin).json()
    assert read["simulated"]
    assert timedelta(0) <= datetime.fromisoformat(read["now"]) - START < timedelta(minutes=1)
    moved = client.put("/admin/clock", json={"now": "2022-05-02T09:30:00Z"}, headers=admin)
    assert moved.status_code == 200
    assert moved.json()["now"].startswith("2022-05-02T09:30")
    back = client.put("/admin/clock", json={"now": "2022-05-01T00:00:00Z"}, headers=admin)
    assert back.status_code == 409


def test_events_are_stamped_with_the_simulated_time(simulated):
    client, admin, officer = simulated
    client.put("/admin/clock", json={"now": "2022-06-01T10:00:00Z"}, headers=admin)
    arrival = client.post("/arrivals", json={"ucr": "UCR-SIM-1"}, headers=officer).json()
    assert arrival["at"].startswith("2022-06-01T10:00")


def test_only_administrators_move_the_clock(simulated):
    client, _, officer = simulated
    response = client.put("/admin/clock", json={"now": "2030-01-01T00:00:00Z"}, headers=officer)
    assert response.status_code == 403


def test_a_node_on_real_time_has_no_clock_to_move(client, keys):
    response = client.put("/admin/clock", json={"now": "2030-01-01T00:00:00Z"}, headers=keys.admin)
    assert response.status_code == 404
    assert client.get("/admin/clock", headers=keys.admin).json()["simulated"] is False


def test_production_refuses_a_simulated_clock():
    with pytest.raises(ValueError, match="simulated_clock"):
        load_settings(environment="production", secret_key="x" * 40, simulated_clock=True)


def test_simulated_clock_flows_with_real_time_between_moves():
    real = [START]
    clock = SimulatedClock(datetime(2021, 1, 1, tzinfo=UTC), real=lambda: real[0])
    real[0] += timedelta(minutes=5)
    assert clock() == datetime(2021, 1, 1, 0, 5, tzinfo=UTC)
