"""The worker log in the database: each background worker's last success and failure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Engine, String, Table, Text, insert, select, update

from karakoram.adapters.db.tables import UTCDateTime, metadata
from karakoram.services.workers import WorkerRun

worker_runs = Table(
    "worker_runs",
    metadata,
    Column("name", String(60), primary_key=True),
    Column("succeeded_at", UTCDateTime),
    Column("failed_at", UTCDateTime),
    Column("last_error", Text),
)


class SqlWorkerLog:
    """`WorkerLog` on the node's database; each record is a short transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def succeeded(self, name: str, at: datetime) -> None:
        self._upsert(name, {"succeeded_at": at})

    def failed(self, name: str, at: datetime, error: str) -> None:
        self._upsert(name, {"failed_at": at, "last_error": error})

    def runs(self) -> list[WorkerRun]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(worker_runs).order_by(worker_runs.c.name)).all()
        return [WorkerRun(r.name, r.succeeded_at, r.failed_at, r.last_error) for r in rows]

    def _upsert(self, name: str, values: dict[str, Any]) -> None:
        # two processes recording the same new worker at once: the loser's insert fails and
        # the worker records again on its next run; afterwards it is always an update
        with self._engine.begin() as conn:
            done = conn.execute(
                update(worker_runs).where(worker_runs.c.name == name).values(**values)
            )
            if done.rowcount == 0:
                conn.execute(insert(worker_runs).values(name=name, **values))
