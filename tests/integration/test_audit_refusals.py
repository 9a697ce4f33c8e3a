"""Refusals of authenticated users are in the audit log, aggregated per user, problem code and
minute of the node's clock, on each database: an attack of refused requests costs one chain
entry a minute, not one per request; unauthenticated noise is not stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from karakoram.bootstrap import Node, bootstrap
from karakoram.config import load_settings
from karakoram.entrypoints.cli.main import app as cli
from karakoram.entrypoints.http.app import create_app
from karakoram.services.clock import SimulatedClock
from tests.conftest import fast_hasher
from tests.integration.conftest import Keys
from tests.integration.test_web import sign_in

#: five seconds into a minute: fifty requests end long before it does
START = datetime(2026, 12, 1, 8, 0, 5, tzinfo=UTC)
MINUTE = "2026-12-01T08:00:00+00:00"


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


@pytest.fixture
def clocked(engine, tmp_path, clock) -> Node:
    settings = load_settings(database_url=str(engine.url), analytics_dir=str(tmp_path / "a"))
    return bootstrap(settings, engine=engine, hasher=fast_hasher(), clock=clock)


@pytest.fixture
def client(clocked) -> Iterator[TestClient]:
    with TestClient(create_app(clocked)) as test_client:
        yield test_client


@pytest.fixture
def keys(clocked) -> Keys:
    return Keys(clocked)


def _entries(node: Node, kind: str | None = None) -> int:
    query = "SELECT count(*) FROM audit_log" + (" WHERE kind = :k" if kind else "")
    with node.ctx.uow.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text(query), {"k": kind}).scalar_one())


def _listed(client, keys, expected: int, **params) -> list[dict]:
    """The supervisor's listing, polled (a bounded number of reads) until it holds
    `expected` records."""
    for _ in range(20):
        response = client.get("/audit/refusals", params=params, headers=keys.supervisor)
        assert response.status_code == 200, response.json()
        if len(response.json()) >= expected:
            break
    return list(response.json())


def test_fifty_forbidden_requests_in_a_minute_are_one_record_of_fifty(client, keys, clocked, clock):
    before = _entries(clocked)
    for _ in range(50):
        refused = client.get("/audit/verify", headers=keys.trader)
        assert refused.status_code == 403 and refused.json()["code"] == "missing_capability"
    assert _entries(clocked) == before  # nothing written per refused request
    assert _listed(client, keys, 0) == []  # the minute is not over
    clock.move_to(START + timedelta(minutes=1))
    # the first refusal of the next minute writes the last one's counts
    assert client.get("/audit/verify", headers=keys.trader).status_code == 403
    [record] = _listed(client, keys, 1)
    assert {k: record[k] for k in ("user", "code", "minute", "count")} == {
        "user": "kashgar",
        "code": "missing_capability",
        "minute": MINUTE,
        "count": 50,
    }
    assert _entries(clocked, "refusal.counted") == 1
    assert client.get("/audit/verify", headers=keys.supervisor).json()["ok"] is True
    assert client.get("/audit/refusals", headers=keys.trader).status_code == 403


def test_each_user_and_problem_code_is_counted_apart(client, keys, clocked, clock):
    for _ in range(3):
        assert client.post("/declarations", json={}, headers=keys.trader).status_code == 422
    assert client.get("/audit/verify", headers=keys.other).status_code == 403
    assert client.get("/audit/verify", headers=keys.trader).status_code == 403
    clock.move_to(START + timedelta(minutes=1))
    records = _listed(client, keys, 3)  # the listing writes the minutes that are over
    counted = sorted((r["user"], r["code"], r["count"]) for r in records)
    assert counted == [
        ("kashgar", "missing_capability", 1),
        ("kashgar", "validation_failed", 3),
        ("tianshan", "missing_capability", 1),
    ]
    assert [r["user"] for r in _listed(client, keys, 1, user="tianshan")] == ["tianshan"]
    assert _entries(clocked, "refusal.counted") == 3


def test_unauthenticated_noise_is_not_stored(client, keys, clocked, clock):
    # (fewer than the address's free failures: the throttle would slow the trader next)
    for headers in ({}, {"Authorization": "Bearer not-a-key"}) * 4:
        assert client.get("/audit/verify", headers=headers).status_code == 401
    assert client.get("/audit/verify", headers=keys.trader).status_code == 403
    clock.move_to(START + timedelta(minutes=1))
    [only] = _listed(client, keys, 1)
    assert (only["user"], only["count"]) == ("kashgar", 1)
    assert _entries(clocked, "refusal.counted") == 1


def test_the_cli_lists_the_aggregated_refusals(client, keys, clocked, clock, tmp_path):
    engine = clocked.ctx.uow.engine  # type: ignore[attr-defined]
    if engine.dialect.name != "sqlite":
        pytest.skip("the command runs against the SQLite file here")
    for _ in range(7):
        assert client.get("/audit/verify", headers=keys.trader).status_code == 403
    clock.move_to(START + timedelta(minutes=1))
    assert len(_listed(client, keys, 1)) == 1
    config = tmp_path / "karakoram.toml"
    config.write_text(f'database_url = "{engine.url}"\n')
    shown = CliRunner().invoke(cli, ["--config", str(config), "audit", "refusals"])
    assert shown.exit_code == 0, shown.output
    assert f"{MINUTE}  kashgar  missing_capability  7" in shown.output
    assert "1 record(s)" in shown.output


def test_a_signed_in_web_user_refused_a_page_is_counted(client, keys, clock):
    sign_in(client, keys.trader)
    for _ in range(4):
        assert client.get("/ui/admin/audit").status_code == 403
    clock.move_to(START + timedelta(minutes=1))
    [record] = _listed(client, keys, 1)
    assert (record["user"], record["code"], record["count"]) == ("kashgar", "missing_capability", 4)
