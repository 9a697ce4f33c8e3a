"""Issue 14: the relay keeps running across a restart of PostgreSQL, and loses and doubles
nothing. It restarts the server every PostgreSQL test shares, so it runs only when asked
(KARAKORAM_TEST_PG_RESTART=1) on a machine where `pg_ctlcluster` manages that server
(KARAKORAM_TEST_PG_CLUSTER names the cluster, "main" by default)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from karakoram.adapters.db.tables import inbox, partner_records
from karakoram.adapters.exchange.peer import HttpPeer
from karakoram.services import declarations as handlers
from tests.builders import declaration
from tests.conftest import PG_URL_VARIABLE, _postgres_engine
from tests.integration.test_exchange import TRADER_CN, _pair, count

BOUND = 120.0  # seconds: the restart itself, then the relay's back-off and a short lease
RESTART = "KARAKORAM_TEST_PG_RESTART"
#: the cluster to restart: the one KARAKORAM_TEST_DATABASE_URL points at
CLUSTER = os.environ.get("KARAKORAM_TEST_PG_CLUSTER", "main")


def _postgresql(action: str) -> None:
    """`pg_ctlcluster ... stop` or `start` (a restart in two steps, so that the relay surely
    runs while the server is down)."""
    (version,) = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1:]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, CLUSTER, action]
    subprocess.run(command, check=True, timeout=BOUND, capture_output=True)


def _poll(condition, what: str) -> None:
    deadline = time.monotonic() + BOUND
    while True:
        with contextlib.suppress(Exception):  # the database may still be coming back
            if condition():
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {BOUND} s: {what}")
        time.sleep(0.2)


def _failures(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "exchange relay failed" in r.getMessage()]


@pytest.mark.serial  # stops the PostgreSQL server every other test uses: never beside them
@pytest.mark.skipif(not os.environ.get(PG_URL_VARIABLE), reason=f"{PG_URL_VARIABLE} not set")
@pytest.mark.skipif(
    not os.environ.get(RESTART), reason=f"restarts the shared PostgreSQL: set {RESTART}=1"
)
@pytest.mark.skipif(shutil.which("pg_ctlcluster") is None, reason="no pg_ctlcluster here")
def test_the_relay_delivers_everything_across_a_postgresql_restart(tmp_path, caplog):
    with contextlib.ExitStack() as stack:
        cn_engine = stack.enter_context(contextlib.contextmanager(_postgres_engine)())
        pk_engine = stack.enter_context(contextlib.contextmanager(_postgres_engine)())
        pair = _pair(tmp_path, cn_engine, pk_engine)
        cn, pk, apps, _ = next(pair)
        stack.callback(pair.close)
        n = 30
        for k in range(n):
            handlers.lodge_declaration(declaration(f"PG-{k}"), TRADER_CN, cn.ctx)
        cn.peer = HttpPeer(apps)
        cn.ctx.exchange.lease = timedelta(seconds=2)  # a pass cut by the restart is soon redone
        worker = cn.relay_worker(limit=5)  # small passes: the restart falls between some
        worker.interval, worker.max_backoff = 0.05, 1.0
        stop = threading.Event()
        with caplog.at_level(logging.ERROR, logger="karakoram.services.workers"):
            _postgresql("stop")
            try:
                thread = worker.start(stop)
                stack.callback(thread.join, BOUND)
                stack.callback(stop.set)
                _poll(lambda: len(_failures(caplog)) >= 2, "the relay fails while it is down")
                assert thread.is_alive()
            finally:
                _postgresql("start")

            def delivered() -> bool:
                with cn.ctx.uow() as uow:
                    return uow.exchange.outbox_counts() == {"delivered": n}

            _poll(delivered, f"all {n} messages delivered after the restart")
            assert thread.is_alive()
        assert count(pk, inbox) == n  # lost 0
        assert count(pk, partner_records) == n  # doubled 0
