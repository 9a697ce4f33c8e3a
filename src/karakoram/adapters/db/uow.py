"""A unit of work over one SQLAlchemy connection and transaction; rolls back unless committed."""

from __future__ import annotations

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

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def __enter__(self) -> Self:
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

    def commit(self) -> None:
        assert self._conn is not None
        self._conn.commit()

    def rollback(self) -> None:
        assert self._conn is not None
        self._conn.rollback()


class SqlUnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)
