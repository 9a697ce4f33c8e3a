"""A clock a simulation moves forward: real time plus an offset (development and demos only).

The clock is kept in the node's database (`ClockStore`), so that a node restarted after a crash,
and every command run against the same database, reads the time the node's clock reads instead
of the configured start."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from karakoram.domain.errors import Conflict, FieldError, ValidationFailed


def _real_now() -> datetime:
    return datetime.now(UTC)


class ClockMovedBack(Conflict):
    title = "A simulated clock only moves forward"

    def __init__(self, reads: datetime, requested: datetime) -> None:
        super().__init__(
            f"The clock reads {reads.isoformat()}; it cannot move back to {requested.isoformat()}."
        )
        self.reads = reads
        self.requested = requested


class ClockStore(Protocol):
    """Where a simulated clock keeps its reading: the simulated time, and the real time at
    which the clock read it (the clock flows on from there with real time)."""

    def load(self) -> tuple[datetime, datetime] | None: ...
    def save(self, reads: datetime, real: datetime) -> None: ...


class SimulatedClock:
    """Reads as real time plus an offset, so time still flows between moves; `move_to` sets
    it later (never earlier: events and messages already stamped must stay in order).

    With a `store`, a clock resumes where the stored one reads now (never earlier than the
    stored reading, whatever the real clock did meanwhile), and each move is stored; a clock
    with nothing stored starts at `start` and stores that."""

    def __init__(
        self,
        start: datetime | None = None,
        real: Callable[[], datetime] = _real_now,
        store: ClockStore | None = None,
    ) -> None:
        self._real = real
        self._lock = threading.Lock()
        self._store = store
        now = real()
        saved = store.load() if store is not None else None
        if saved is not None:
            reads, then = saved
            self._offset = reads + max(now - then, timedelta(0)) - now
        else:
            self._offset = (start - now) if start is not None else timedelta(0)
            self._save(now, self._offset)

    def __call__(self) -> datetime:
        return self._real() + self._offset

    def move_to(self, when: datetime) -> datetime:
        """Set the clock to `when`; refused if that is earlier than the clock now reads."""
        if when.tzinfo is None:
            raise ValidationFailed(
                [FieldError("invalid_format", "/now", "now needs a time zone (e.g. Z).")]
            )
        with self._lock:
            now = self()
            if when < now:
                raise ClockMovedBack(now, when)
            real = self._real()
            offset = when.astimezone(UTC) - real
            self._save(real, offset)  # stored first: a move that could not be kept is refused
            self._offset = offset
            return self()

    def _save(self, real: datetime, offset: timedelta) -> None:
        if self._store is not None:
            self._store.save(real + offset, real)
