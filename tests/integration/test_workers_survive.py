"""The relay and the analytics refresh survive database errors, and `/ready` says how they are.

Issue 14: the relay died for good on one `database is locked` while another writer held the
lock (outbox stuck, `/health` still "ok"). Now it logs, backs off and delivers everything
once the lock is gone; `/ready` reports each worker's last success and answers 503 when one
has not succeeded within its limit.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from karakoram.adapters.db.engine import build_engine
from karakoram.adapters.db.tables import inbox, partner_records
from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.entrypoints.http.app import create_app
from karakoram.services import declarations as handlers
from karakoram.services.exchange.relay import relay_once
from karakoram.services.readiness import readiness
from karakoram.services.workers import RELAY
from tests.builders import declaration
from tests.conftest import _postgres_engine
from tests.integration.test_exchange import TRADER_CN, Faults, _pair, count

BOUND = 30.0  # seconds any poll below may take at most; each normally ends in under two


def poll(condition, what: str) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {BOUND} s: {what}")
        time.sleep(0.02)


def outbox(node) -> dict[str, int]:
    with node.ctx.uow() as uow:
        return uow.exchange.outbox_counts()


def relay_failures(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "exchange relay failed" in r.getMessage()]


def test_the_relay_survives_a_held_sqlite_write_lock_and_loses_nothing(tmp_path, caplog):
    cn_path = tmp_path / "CN-URC" / "node.db"
    cn_path.parent.mkdir(parents=True)
    cn_engine = build_engine(f"sqlite:///{cn_path}", busy_timeout_ms=50)
    pk_engine = build_engine(f"sqlite:///{tmp_path / 'pk.db'}")
    pair = _pair(tmp_path, cn_engine, pk_engine)
    cn, pk, apps, _ = next(pair)
    n = 20
    for k in range(n):
        handlers.lodge_declaration(declaration(f"L-{k}"), TRADER_CN, cn.ctx)
    cn.peer = HttpPeer(apps)
    worker = cn.relay_worker()
    worker.interval, worker.max_backoff, worker.heartbeat = 0.01, 0.05, 0.0

    holder = sqlite3.connect(cn_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    stop = threading.Event()
    with caplog.at_level(logging.ERROR, logger="karakoram.services.workers"):
        thread = worker.start(stop)
        try:
            poll(
                lambda: len(relay_failures(caplog)) >= 3, "the relay fails on the lock, three times"
            )
            assert "database is locked" in str(relay_failures(caplog)[0].exc_info[1])
            assert thread.is_alive()
            # a unit of work begins with the write lock (adapters/db/uow.py), so it waits for
            # the holder too: the outbox is read as a plain reader, which WAL never blocks
            pending = holder.execute("SELECT status, count(*) FROM outbox GROUP BY status")
            assert dict(pending.fetchall()) == {"pending": n}
            holder.execute("ROLLBACK")
            poll(lambda: outbox(cn) == {"delivered": n}, "the relay delivers after the lock")
            assert thread.is_alive()  # it came back by itself
        finally:
            stop.set()
            holder.close()
            thread.join(BOUND)
    assert count(pk, inbox) == n  # lost 0
    assert count(pk, partner_records) == n  # doubled 0
    (run,) = [r for r in cn.worker_log.runs() if r.name == RELAY]
    assert run.succeeded_at is not None and run.failed_at is not None
    assert run.failed_at <= run.succeeded_at
    pair.close()


def test_readiness_reports_a_worker_that_has_not_succeeded_within_its_limit(node):
    now = datetime.now(UTC)
    node.started_at = now - timedelta(hours=1)
    name = "analytics refresh"
    node.settings.upload_job_interval = 0  # the one worker here: the refresh
    node.settings.notify.interval = 0
    assert list(node.worker_limits()) == [name]
    with TestClient(create_app(node)) as client:
        answer = client.get("/ready")
        assert answer.status_code == 503  # never succeeded in the hour since the start
        assert answer.json()["workers"][0]["last_success_at"] is None
        node.worker_log.failed(name, now - timedelta(seconds=5), "OperationalError: locked")
        node.worker_log.succeeded(name, now - timedelta(seconds=1))
        answer = client.get("/ready")
        assert answer.status_code == 200
        body = answer.json()
        assert body["status"] == "ready" and body["database"] == "ok"
        (worker,) = body["workers"]
        assert (
            worker["ok"] and worker["last_success_at"] == (now - timedelta(seconds=1)).isoformat()
        )
        assert "last_error" not in worker  # unauthenticated: no error text
        assert client.get("/health").json()["status"] == "ok"


def test_a_node_just_started_is_ready_until_its_workers_had_their_chance(node):
    found = readiness(node.ctx, node.worker_log, {"exchange relay": 60.0}, datetime.now(UTC))
    assert found.ready and found.workers[0]["last_success_at"] is None
    late = readiness(
        node.ctx, node.worker_log, {"exchange relay": 60.0}, datetime(2020, 1, 1, tzinfo=UTC)
    )
    assert not late.ready


def test_ready_shows_the_oldest_pending_message_and_each_partners_reachability(
    tmp_path, empty_engine
):

    with contextlib.ExitStack() as stack:
        other = None
        if empty_engine.dialect.name == "postgresql":
            other = stack.enter_context(contextlib.contextmanager(_postgres_engine)())
        pair = _pair(tmp_path, empty_engine, other)
        cn, _pk, apps, _ = next(pair)
        handlers.lodge_declaration(declaration("R-1"), TRADER_CN, cn.ctx)
        now = datetime.now(UTC) + timedelta(seconds=1)
        down = Faults(apps, seed=1, drop_before=1.0)
        relay_once(cn.ctx.exchange, HttpPeer(down), cn.ctx.uow, lambda: now)
        limits = {RELAY: 60.0}
        found = readiness(cn.ctx, cn.worker_log, limits, datetime.now(UTC))
        (partner,) = found.partners
        assert partner["partner"] == "PK-GB" and partner["reachable"] is False
        assert partner["pending"] == partner["failing"] == 1
        assert found.oldest_pending_at is not None
        # the retry is made due by releasing it, not by moving the sender's clock a day on:
        # the partner refuses a delivery whose signed sent_at is a day off its own clock
        with cn.ctx.uow() as uow:
            uow.exchange.wake("PK-GB", now)
            uow.commit()
        relay_once(cn.ctx.exchange, HttpPeer(apps), cn.ctx.uow, lambda: now)
        found = readiness(cn.ctx, cn.worker_log, limits, datetime.now(UTC))
        assert found.partners[0]["reachable"] is True and found.oldest_pending_at is None
        pair.close()
