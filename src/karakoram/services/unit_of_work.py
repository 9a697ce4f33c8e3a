"""The ports the services need from storage, and the unit of work that commits them together.

A unit of work rolls back unless `commit()` is called, so a handler that raises halfway leaves
nothing behind (cosmicpython's pattern; later the outbox rows join the same commit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from karakoram.domain.access import Principal
from karakoram.domain.clearance import DeclarationEvent
from karakoram.domain.declaration import DeclarationRecord


class DuplicateLrn(Exception):
    """The store already holds this trader's LRN (a concurrent lodgement won the race)."""


@dataclass(frozen=True, slots=True)
class StoredLrn:
    mrn: str
    digest: str


@dataclass(frozen=True, slots=True)
class DeclarationFilter:
    status: str | None = None
    type: str | None = None
    trader: str | None = None
    hs_prefix: str | None = None
    lodged_from: datetime | None = None
    lodged_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    name: str
    role: str
    party: str | None
    key_id: str
    key_hash: str
    created_at: datetime
    active: bool = True


class DeclarationRepository(Protocol):
    def get(self, mrn: str) -> DeclarationRecord | None: ...
    def get_by_lrn(self, owner: str, lrn: str) -> DeclarationRecord | None: ...
    def stored_lrns(self, owner: str, lrns: Sequence[str]) -> dict[str, StoredLrn]: ...
    def add(self, records: Sequence[DeclarationRecord]) -> None: ...
    def update(self, record: DeclarationRecord, expected_version: int) -> None: ...
    def add_events(self, events: Iterable[tuple[str, DeclarationEvent]]) -> None: ...
    def events(self, mrn: str) -> list[DeclarationEvent]: ...
    def find(
        self, flt: DeclarationFilter, viewer: Principal, after: int | None, limit: int
    ) -> list[DeclarationRecord]: ...


class UserRepository(Protocol):
    def add(
        self,
        name: str,
        role: str,
        party: str | None,
        key_id: str,
        key_hash: str,
        created_at: datetime,
    ) -> UserRecord: ...
    def by_key_id(self, key_id: str) -> UserRecord | None: ...
    def by_name(self, name: str) -> UserRecord | None: ...
    def set_key(self, user_id: int, key_id: str, key_hash: str) -> None: ...
    def all(self) -> list[UserRecord]: ...


class NomenclatureRepository(Protocol):
    def replace(self, edition: str, rows: Iterable[tuple[str, str, int, str]]) -> int: ...
    def subheadings(self) -> dict[str, str]: ...


class UnitOfWork(Protocol):
    declarations: DeclarationRepository
    users: UserRepository
    nomenclature: NomenclatureRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
