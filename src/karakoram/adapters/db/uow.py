"""A unit of work over one SQLAlchemy connection and transaction; rolls back unless committed."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, select

from karakoram.adapters.db.arrivals_repo import SqlArrivalRepository
from karakoram.adapters.db.audit_log import SqlAuditLog, utc_now
from karakoram.adapters.db.audited import (
    AuditedArrivals,
    AuditedCargo,
    AuditedClearance,
    AuditedDeclarations,
    AuditedExchange,
    AuditedJoint,
    AuditedPolicy,
    AuditedRegister,
    AuditedSlots,
    AuditedUsers,
)
from karakoram.adapters.db.auth_repo import SqlAuthRepository
from karakoram.adapters.db.cargo_repo import SqlCargoRepository
from karakoram.adapters.db.clearance_repos import SqlClearanceRepository, SqlPolicyRepository
from karakoram.adapters.db.contract_drafts_repo import SqlContractDrafts
from karakoram.adapters.db.exchange_repo import SqlExchangeRepository
from karakoram.adapters.db.fallback_repo import AuditedFallback, SqlFallbackRepository
from karakoram.adapters.db.joint_repo import SqlJointRepository
from karakoram.adapters.db.notify_repo import AuditedNotifications, SqlNotificationRepository
from karakoram.adapters.db.partner_cargo_repo import AuditedPartnerCargo, SqlPartnerCargo
from karakoram.adapters.db.pre_arrival_repo import AuditedPreArrivalChecks, SqlPreArrivalChecks
from karakoram.adapters.db.probe_repo import SqlPartnerProbes
from karakoram.adapters.db.register_repo import SqlRegisterRepository
from karakoram.adapters.db.repositories import (
    SqlDeclarationRepository,
    SqlNomenclatureRepository,
    SqlUserRepository,
)
from karakoram.adapters.db.review_repo import SqlReviewRepository
from karakoram.adapters.db.slot_repo import SqlSlotRepository
from karakoram.adapters.db.tables import declarations as declarations_table
from karakoram.adapters.db.trader_cert_repo import SqlTraderCertificates
from karakoram.adapters.db.upload_jobs import SqlUploadJobRepository
from karakoram.services.contracts.records import ContractDraftRepository
from karakoram.services.notify.records import NotificationRepository
from karakoram.services.observe import Observations
from karakoram.services.ports import (
    ArrivalRepository,
    AuditRepository,
    AuthRepository,
    CargoRepository,
    ClearanceRepository,
    DeclarationRepository,
    ExchangeRepository,
    FallbackRepository,
    JointRepository,
    NomenclatureRepository,
    PartnerCargoRepository,
    PartnerProbeRepository,
    PolicyRepository,
    PreArrivalRepository,
    RegisterRepository,
    SlotRepository,
    UploadJobRepository,
    UserRepository,
)
from karakoram.services.reviews import ReviewRepository
from karakoram.services.trader_keys import TraderCertificateRepository

#: MRNs read back in one query
_CHUNK = 500

#: repositories of a unit of work, made on first use (`SqlUnitOfWork.__getattr__`): those
#: whose writes record themselves in the audit log (adapters/db/audited), with the plain ones
#: they are without the log (`audit=False`), and those the same either way
_AUDITED: dict[str, Callable[[Connection, SqlAuditLog], object]] = {
    "declarations": AuditedDeclarations,
    "users": AuditedUsers,
    "clearance": AuditedClearance,
    "policy": AuditedPolicy,
    "exchange": AuditedExchange,
    "arrivals": AuditedArrivals,
    "register": AuditedRegister,
    "cargo": AuditedCargo,
    "fallback": AuditedFallback,
    "joint": AuditedJoint,
    "notifications": AuditedNotifications,
    "slots": AuditedSlots,
    "pre_arrival": AuditedPreArrivalChecks,
    "partner_cargo": AuditedPartnerCargo,
}
_PLAIN: dict[str, Callable[[Connection], object]] = {
    "declarations": SqlDeclarationRepository,
    "users": SqlUserRepository,
    "clearance": SqlClearanceRepository,
    "policy": SqlPolicyRepository,
    "exchange": SqlExchangeRepository,
    "arrivals": SqlArrivalRepository,
    "register": SqlRegisterRepository,
    "cargo": SqlCargoRepository,
    "fallback": SqlFallbackRepository,
    "joint": SqlJointRepository,
    "notifications": SqlNotificationRepository,
    "slots": SqlSlotRepository,
    "pre_arrival": SqlPreArrivalChecks,
    "partner_cargo": SqlPartnerCargo,
}
_SHARED: dict[str, Callable[[Connection], object]] = {
    "auth": SqlAuthRepository,
    "nomenclature": SqlNomenclatureRepository,
    "uploads": SqlUploadJobRepository,
    "reviews": SqlReviewRepository,
    "trader_certs": SqlTraderCertificates,
    "probes": SqlPartnerProbes,
    "contract_drafts": SqlContractDrafts,
}


class TurnLock:
    """Units of work on one SQLite file take turns: a thread lock inside the process and an
    advisory file lock (flock) across processes, so several `serve` workers queue fairly in
    the kernel instead of in SQLite's busy handler, whose sleeps of up to 100 ms made the tail
    latency (p99 250-350 ms under 8 concurrent lodgements; about 40 ms with turns, measured with
    benchmarks/http_lodge.py). Re-entrant within a thread."""

    def __init__(self, database: str | None) -> None:
        self._thread = threading.RLock()
        self._depth = 0
        self._path = f"{database}.turn" if database and database != ":memory:" else None
        self._fd: int | None = None

    def acquire(self) -> None:
        self._thread.acquire()
        self._depth += 1
        if self._depth == 1 and self._path is not None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)

    def held_here(self) -> bool:
        """Whether this thread holds the turn (inside a unit of work)."""
        return self._depth > 0 and self._thread._is_owned()  # type: ignore[attr-defined]

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            os.close(self._fd)  # closing releases the flock
            self._fd = None
        self._thread.release()


class SqlUnitOfWork:
    declarations: DeclarationRepository
    users: UserRepository
    auth: AuthRepository
    nomenclature: NomenclatureRepository
    clearance: ClearanceRepository
    policy: PolicyRepository
    exchange: ExchangeRepository
    arrivals: ArrivalRepository
    audit: AuditRepository
    register: RegisterRepository
    uploads: UploadJobRepository
    cargo: CargoRepository
    fallback: FallbackRepository
    joint: JointRepository
    notifications: NotificationRepository
    reviews: ReviewRepository
    trader_certs: TraderCertificateRepository
    slots: SlotRepository
    pre_arrival: PreArrivalRepository
    probes: PartnerProbeRepository
    partner_cargo: PartnerCargoRepository
    contract_drafts: ContractDraftRepository

    def __init__(
        self,
        engine: Engine,
        lock: TurnLock | None = None,
        *,
        audit: bool = True,
        clock: Callable[[], datetime] = utc_now,
        observe: Observations | None = None,
        reading: bool = False,
    ) -> None:
        self._engine = engine
        self._reading = reading
        self._observe = observe
        self._lock = lock
        self._conn: Connection | None = None
        self._audited = audit
        self._clock = clock
        self._log: SqlAuditLog | None = None

    def _begin(self) -> None:
        self._conn = self._engine.connect()
        self._conn.begin()
        if self._engine.dialect.name == "sqlite" and not self._reading:
            # One real transaction from the first statement, with the write lock: the driver
            # would begin one only before an INSERT, UPDATE or DELETE, so a first write inside
            # a savepoint committed when the savepoint was released (a half-done unit of work
            # on failure), and a read before the first write could hold a snapshot made stale
            # by a writer outside the turn lock (the worker log), failing that write at once
            # with "database is locked" (tests/integration/test_unit_of_work_atomic.py)
            self._conn.exec_driver_sql("BEGIN IMMEDIATE")

    def __enter__(self) -> Self:
        if self._lock is not None:
            self._lock.acquire()
        try:
            self._begin()
        except BaseException:
            # __exit__ will not run: give back the turn (and the connection) here
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._lock is not None:
                self._lock.release()
            raise
        assert self._conn is not None
        self._log = self.audit = SqlAuditLog(self._conn, self._clock, enabled=self._audited)
        return self

    def __getattr__(self, name: str) -> object:
        """A repository, made on first use in this unit of work: a lodgement uses a few of
        the two dozen, and an API key check two, so making them all on entering cost every
        request some 40 objects (4 % of a lodgement's samples in benchmarks/profile_http.py)."""
        conn, log = self.__dict__.get("_conn"), self.__dict__.get("_log")
        if conn is None or log is None or name.startswith("_"):
            raise AttributeError(name)
        if name in _SHARED:
            repo: object = _SHARED[name](conn)
        elif name in _AUDITED:
            repo = _AUDITED[name](conn, log) if self._audited else _PLAIN[name](conn)
        else:
            raise AttributeError(name)
        setattr(self, name, repo)
        return repo

    @property
    def _declarations(self) -> SqlDeclarationRepository | None:
        """The declarations repository if this unit of work has used it."""
        repo = self.__dict__.get("declarations")
        return repo if isinstance(repo, SqlDeclarationRepository) else None

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
        """Append what the audit log recorded, then commit it with the changes."""
        assert self._conn is not None and self._log is not None
        if self._reading:
            raise RuntimeError("a reading unit of work (`reader()`) commits nothing")
        self._log.append_pending()
        cleared = self._cleared()
        self._conn.commit()
        if self._observe is not None:
            for channel, seconds in cleared:
                self._observe.cleared(channel, seconds)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of this unit of work that, if it raises, is undone alone (SAVEPOINT), with
        what it recorded for the audit log and the metrics; the rest stays to be committed.
        Group commit runs each lodgement of a group in one (adapters/db/group_commit.py)."""
        assert self._conn is not None and self._log is not None
        mark = self._log.mark()
        released = len(self._declarations.released) if self._declarations is not None else 0
        nested = self._conn.begin_nested()
        try:
            yield
        except BaseException:
            if nested.is_active:
                nested.rollback()
            self._log.restore(mark)
            if self._declarations is not None:
                del self._declarations.released[released:]
            raise
        nested.commit()

    def _cleared(self) -> list[tuple[str, float]]:
        """Channel and seconds from lodgement to release of each declaration released in
        this unit of work: from the records it wrote, else read (by MRN, in chunks)."""
        if self._observe is None or self._declarations is None:
            return []
        repo = self._declarations
        released, facts = dict(repo.released), dict(repo.written)
        repo.released.clear()
        missing = [mrn for mrn in released if mrn not in facts]
        d = declarations_table.c
        assert self._conn is not None
        for start in range(0, len(missing), _CHUNK):
            query = select(d.mrn, d.channel, d.lodged_at).where(
                d.mrn.in_(missing[start : start + _CHUNK])
            )
            facts.update({mrn: (channel, at) for mrn, channel, at in self._conn.execute(query)})
        return [
            (facts[mrn][0] or "none", max(0.0, (at - facts[mrn][1]).total_seconds()))
            for mrn, at in released.items()
            if mrn in facts
        ]

    def rollback(self) -> None:
        assert self._conn is not None
        if self._log is not None:
            self._log.discard()
        self._conn.rollback()


class SqlUnitOfWorkFactory:
    """Units of work over one engine; on SQLite they take turns (see `TurnLock`)."""

    def __init__(
        self, engine: Engine, *, audit: bool = True, observe: Observations | None = None
    ) -> None:
        """`audit=False` (benchmarks only, to measure the log's cost) appends no history;
        `observe` is told how long each released declaration took."""
        self.engine = engine
        self._audit = audit
        self.observe = observe
        sqlite = engine.dialect.name == "sqlite"
        self._lock = TurnLock(engine.url.database) if sqlite else None

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self._lock, audit=self._audit, observe=self.observe)

    def turn_held_here(self) -> bool:
        """Whether this thread is inside a unit of work of this factory's (SQLite only: on
        PostgreSQL there are no turns to wait for)."""
        return self._lock is not None and self._lock.held_here()

    def reader(self) -> SqlUnitOfWork:
        """A unit of work that only reads: on SQLite it takes no turn and no write lock (WAL
        readers never wait for the writer), so a check made before a write, such as an API
        key's on every request, does not queue behind the lodgements it precedes. It cannot
        commit; it sees what was committed when each read ran."""
        return SqlUnitOfWork(self.engine, None, audit=self._audit, reading=True)
