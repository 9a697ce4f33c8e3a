"""A unit of work is one transaction from its first statement to its commit, on both stores.

On SQLite the driver (pysqlite's legacy mode) opens a transaction only before an INSERT, UPDATE
or DELETE, so a unit of work whose first write was inside a savepoint (a repository's
`begin_nested`, as `arrivals.add` does) ran outside any transaction: releasing the savepoint
committed the row, and a failure after it left a half-done write. A read inside such a
savepoint also held a snapshot that a writer outside the turn lock (the worker log) could make
stale, so the next write failed at once with "database is locked". Each unit of work on SQLite
now begins with BEGIN IMMEDIATE (adapters/db/uow.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from karakoram.adapters.db.uow import SqlUnitOfWorkFactory
from karakoram.adapters.db.worker_runs import worker_runs
from karakoram.services.records import ArrivalRecord

AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_a_failure_after_a_savepoint_leaves_nothing(engine):
    units = SqlUnitOfWorkFactory(engine)
    with pytest.raises(RuntimeError), units() as uow:
        assert uow.arrivals.add(ArrivalRecord("UCR-HALF", "CNKJB", AT, "officer")) is not None
        raise RuntimeError("the process dies before the commit")
    with units() as uow:
        assert uow.arrivals.get("UCR-HALF", "CNKJB") is None


def test_a_duplicate_refused_inside_a_savepoint_keeps_the_rest_of_the_transaction(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        uow.arrivals.add(ArrivalRecord("UCR-1", "CNKJB", AT, "officer"))
        uow.commit()
    with units() as uow:
        assert uow.arrivals.add(ArrivalRecord("UCR-1", "CNKJB", AT, "officer")) is None
        assert uow.arrivals.add(ArrivalRecord("UCR-2", "CNKJB", AT, "officer")) is not None
        uow.commit()
    with units() as uow:
        assert uow.arrivals.get("UCR-2", "CNKJB") is not None


def test_a_writer_outside_the_turn_waits_for_an_open_unit_of_work(engine):
    """The worker log writes with its own short transactions, outside the turn lock: while a
    unit of work is open it waits (SQLite's busy handler), and neither side fails."""
    units = SqlUnitOfWorkFactory(engine)
    done: list[BaseException | None] = []

    def worker_log_write() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(insert(worker_runs).values(name="relay", succeeded_at=AT))
            done.append(None)
        except BaseException as exc:  # reported to the test below
            done.append(exc)

    with units() as uow:
        assert uow.arrivals.get("UCR-3", "CNKJB") is None  # a read first, then the write
        other = threading.Thread(target=worker_log_write)
        other.start()
        uow.arrivals.add(ArrivalRecord("UCR-3", "CNKJB", AT, "officer"))
        uow.commit()
    other.join(timeout=30)
    assert not other.is_alive() and done == [None]
    with engine.connect() as conn:
        assert conn.execute(select(worker_runs.c.name)).scalars().all() == ["relay"]
    with units() as uow:
        assert uow.arrivals.get("UCR-3", "CNKJB") is not None
