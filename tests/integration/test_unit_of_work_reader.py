"""A reading unit of work (`SqlUnitOfWorkFactory.reader()`, what every API key check uses) sees
what is committed, never waits for a writing unit of work's turn, and cannot commit."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from karakoram.adapters.db.uow import SqlUnitOfWorkFactory
from karakoram.services.records import ArrivalRecord

AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_a_reader_reads_while_a_writer_holds_its_turn(engine):
    units = SqlUnitOfWorkFactory(engine)
    with units() as uow:
        uow.arrivals.add(ArrivalRecord("UCR-SEEN", "CNKJB", AT, "officer"))
        uow.commit()
    seen: list[object] = []

    def read() -> None:
        with units.reader() as reader:
            seen.append(reader.arrivals.get("UCR-SEEN", "CNKJB"))
            seen.append(reader.arrivals.get("UCR-OPEN", "CNKJB"))

    with units() as writer:  # holds the turn (and on SQLite the write lock) until the end
        writer.arrivals.add(ArrivalRecord("UCR-OPEN", "CNKJB", AT, "officer"))
        thread = threading.Thread(target=read)
        thread.start()
        thread.join(timeout=20)
        assert not thread.is_alive(), "the reader waited for the writer's turn"
        writer.commit()
    committed, uncommitted = seen
    assert committed is not None
    assert uncommitted is None  # what the writer had not committed yet


def test_a_reader_commits_nothing(engine):
    units = SqlUnitOfWorkFactory(engine)
    with pytest.raises(RuntimeError), units.reader() as reader:
        reader.commit()
