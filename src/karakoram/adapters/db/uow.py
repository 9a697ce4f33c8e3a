"""A unit of work over one SQLAlchemy connection and transaction; rolls back unless committed."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine

from karakoram.adapters.db.clearance_repos import SqlClearanceRepository, SqlPolicyRepository
from karakoram.adapters.db.exchange_repo import SqlExchangeRepository
from karakoram.adapters.db.repositories import (
    SqlDeclarationRepository,
    SqlNomenclatureRepository,
    SqlUserRepository,
)
from karakoram.services.unit_of_work import (
    ClearanceRepository,
    DeclarationRepository,
    ExchangeRepository,
    NomenclatureRepository,
    PolicyRepository,
    UserRepository,
)


class SqlUnitOfWork:
    declarations: DeclarationRepository
    users: UserRepository
    nomenclature: NomenclatureRepository
    clearance: ClearanceRepository
    policy: PolicyRepository
    exchange: ExchangeRepository

    def __init__(self, engine: Engine, lock: threading.RLock | None = None) -> None:
        self._engine = engine
        self._lock = lock
        self._conn: Connection | None = None

    def __enter__(self) -> Self:
        if self._lock is not None:
            self._lock.acquire()
        self._conn = self._engine.connect()
        self._conn.begin()
        self.declarations = SqlDeclarationRepository(self._conn)
        self.users = SqlUserRepository(self._conn)
        self.nomenclature = SqlNomenclatureRepository(self._conn)
        self.clearance = SqlClearanceRepository(self._conn)
        self.policy = SqlPolicyRepository(self._conn)
        self.exchange = SqlExchangeRepository(self._conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        try:
            self.rollback()
        finally:
            self._conn.close()
            self._conn = None
            if self._lock is not None:
                self._lock.release()

    def commit(self) -> None:
        assert self._conn is not None
        self._conn.commit()

    def rollback(self) -> None:
        assert self._conn is not None
        self._conn.rollback()


class SqlUnitOfWorkFactory:
    """Units of work over one engine. On SQLite they take turns inside the process: SQLite has
    one writer at a time anyway, and its busy handler sleeps in steps of up to 100 ms, which
    showed as 250-350 ms p99 latencies under 8 concurrent lodgements; a lock queues them fairly
    instead (p99 about 40 ms, measured with benchmarks/http_lodge.py)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.RLock() if engine.dialect.name == "sqlite" else None

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self._lock)
