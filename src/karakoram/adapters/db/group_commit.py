"""Group commit: lodgements that arrive while one commits are written together in the next
transaction, and each is answered once that transaction is durable.

Every commit is one fsync (SQLite, `synchronous=FULL`) or one WAL flush (PostgreSQL), and
commits are serialised (the writer lock and `TurnLock`; the audit chain's head row): one
lodgement per commit capped the node's HTTP rate at the disk's fsync rate. Here a lodgement
joins a queue; the first caller that finds no group committing leads: it takes everything
queued, runs all of it in one unit of work, commits once, then answers all of them and hands
the lead to the next caller in the queue (whose own work is first in the next group). No
thread of its own, no timer: a lone lodgement commits at once.

What each lodgement guarantees stays: one transaction holds all of a group's rows, the outbox
messages among them, and one audit chain segment (the log appends at commit); idempotency by
LRN is read inside the transaction, so a second lodgement of an LRN in the same group sees the
first. If a piece of work raises, the transaction is rolled back and the group runs again
with each piece in a SAVEPOINT of its own: the failing one is rolled back to it (with what it
recorded for the audit log) and answered with its exception; the others commit (savepoints
only then: they cost two statements per lodgement, round trips on PostgreSQL). If the
transaction itself fails (the commit, or a savepoint that cannot be rolled back), each piece
of work is run again alone, in a unit of work of its own, so that one's failure never fails
the others.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from karakoram.adapters.db.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from karakoram.services.ports import UnitOfWork

T = TypeVar("T")

#: the most pieces of work committed together (a bound on one transaction's size and wait)
MOST = 64


class _Pending(Generic[T]):
    __slots__ = ("answered", "done", "error", "lead", "value", "wake", "work")

    def __init__(self, work: Callable[[UnitOfWork], T]) -> None:
        self.work = work
        #: set when answered or handed the lead; `done` only when answered
        self.wake = threading.Event()
        self.done = threading.Event()
        self.lead = False
        self.answered = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class GroupCommit:
    """Runs pieces of work (`run`) in shared, committed transactions; thread-safe. Each piece
    gets a unit of work it must not commit: the group commits it."""

    def __init__(
        self, units: SqlUnitOfWorkFactory, most: int = MOST, leaders: int | None = None
    ) -> None:
        """`leaders`: how many groups may run at once; by default one on SQLite (its writers
        take turns anyway) and two on PostgreSQL, whose statements of two groups overlap
        (only the audit chain's head row serialises their commits): with one, a group's
        round trips ran one after the other where each lodgement had run its own at once."""
        self._units = units
        self._most = most
        sqlite = units.engine.dialect.name == "sqlite"
        self.leaders = leaders if leaders is not None else (1 if sqlite else 2)
        self._leading = 0
        self._lock = threading.Lock()
        self._queue: list[_Pending[Any]] = []
        #: how many groups of each size were run so far (tests and benchmarks read it)
        self.sizes: Counter[int] = Counter()
        #: how many groups ran again with savepoints, after one of their lodgements failed
        self.retried = 0

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run `work` in the next group's transaction; return its value, or raise its
        exception, once that transaction has committed (or been rolled back)."""
        pending = _Pending(work)
        if self._units.turn_held_here():
            # inside a unit of work already: a leader in another thread would wait for this
            # thread's turn while this thread waited for it
            _alone(self._units, pending)
            return pending.result()
        with self._lock:
            self._queue.append(pending)
            pending.lead = self._leading < self.leaders
            self._leading += pending.lead
        if not pending.lead:
            pending.wake.wait()  # answered, or handed the lead (then perhaps answered too)
        if pending.lead:
            self._lead()
        pending.done.wait()  # another leader may have taken it into its group
        return pending.result()

    def queued(self) -> int:
        """How many pieces of work wait for the next group."""
        with self._lock:
            return len(self._queue)

    def _lead(self) -> None:
        with self._lock:
            group, self._queue = self._queue[: self._most], self._queue[self._most :]
        finished = False
        try:
            if group:  # empty when another leader took the queue first
                self._commit(group)
            finished = True
        finally:
            with self._lock:
                # the lead passes to a caller still queued that does not lead already
                following = next((p for p in self._queue if not p.lead), None)
                if following is not None:
                    following.lead = True
                    following.wake.set()
                else:
                    self._leading -= 1
            for pending in group:
                if not finished:
                    pending.value = None
                    pending.error = RuntimeError("the group's transaction did not finish")
                pending.answered = True
                pending.done.set()
                pending.wake.set()

    def _commit(self, group: list[_Pending[Any]]) -> None:
        self.sizes[len(group)] += 1
        if len(group) == 1:
            _alone(self._units, group[0])
            return
        try:
            # optimistic first: no savepoints (two statements, and on PostgreSQL two round
            # trips, per lodgement); if one piece of work fails, all is rolled back and the
            # group runs again with a savepoint each
            if not self._together(group, savepoints=False):
                self.retried += 1
                self._together(group, savepoints=True)
        except Exception:
            for pending in group:
                _alone(self._units, pending)

    def _together(self, group: list[_Pending[Any]], *, savepoints: bool) -> bool:
        """Run the group in one unit of work and commit it; False, with nothing committed,
        when a piece of work failed and there were no savepoints to undo it alone."""
        with self._units() as uow:
            assert isinstance(uow, SqlUnitOfWork)
            for pending in group:
                pending.value, pending.error = None, None
                if not savepoints:
                    try:
                        pending.value = pending.work(uow)
                    except Exception:
                        return False  # leaving the unit of work rolls it all back
                    continue
                try:
                    with uow.savepoint():
                        pending.value = pending.work(uow)
                except Exception as exc:  # answered with it; the others go on
                    pending.error = exc
            uow.commit()
        return True

    def __repr__(self) -> str:
        return f"GroupCommit(sizes={dict(self.sizes)})"


def _alone(units: SqlUnitOfWorkFactory, pending: _Pending[Any]) -> None:
    """Run one piece of work in a unit of work of its own (the group's transaction failed)."""
    pending.value, pending.error = None, None
    try:
        with units() as uow:
            pending.value = pending.work(uow)
            uow.commit()
    except Exception as exc:
        pending.value = None
        pending.error = exc
