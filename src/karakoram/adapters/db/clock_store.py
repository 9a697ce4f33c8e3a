"""A simulated clock's reading in the node's database (`ClockStore`): one row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Engine, Integer, Table, insert, select, update

from karakoram.adapters.db.tables import UTCDateTime, metadata

#: the simulated time, and the real time at which the clock read it
simulated_clock = Table(
    "simulated_clock",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("reads", UTCDateTime, nullable=False),
    Column("real_at", UTCDateTime, nullable=False),
)

_ROW = 1


class SqlClockStore:
    """`ClockStore` on the node's database; each save is a short transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def load(self) -> tuple[datetime, datetime] | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(simulated_clock).where(simulated_clock.c.id == _ROW)).first()
        return None if row is None else (row.reads, row.real_at)

    def save(self, reads: datetime, real: datetime) -> None:
        values = {"reads": reads, "real_at": real}
        with self._engine.begin() as conn:
            done = conn.execute(
                update(simulated_clock).where(simulated_clock.c.id == _ROW).values(**values)
            )
            if done.rowcount == 0:
                conn.execute(insert(simulated_clock).values(id=_ROW, **values))
