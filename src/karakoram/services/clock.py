"""A clock a simulation moves forward: real time plus an offset (development and demos only)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

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


class SimulatedClock:
    """Reads as real time plus an offset, so time still flows between moves; `move_to` sets
    it later (never earlier: events and messages already stamped must stay in order)."""

    def __init__(
        self, start: datetime | None = None, real: Callable[[], datetime] = _real_now
    ) -> None:
        self._real = real
        self._lock = threading.Lock()
        self._offset = (start - real()) if start is not None else real() - real()

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
            self._offset = when.astimezone(UTC) - self._real()
            return self()
