"""Refusals of authenticated users in the audit log, aggregated per user, problem code and
minute.

Each refusal an authenticated caller meets (403 forbidden, 404, 409 conflict, 422 validation,
a mandate refused ...) is counted in memory under (user, problem code, minute of the node's
clock). A minute's counts are appended to the audit log once that minute is over: one entry
per (user, code, minute), kind `refusal.counted`, subject `refusal/<user>/<minute>/<code>`,
holding the count. They are written by the first refusal after the minute, and by `flush`
(the audit listing calls it before reading).

Why this design: a user refused 10,000 times a minute, an attack or a runaway script, costs one
chain entry and one commit a minute, never a database write per refused request (which would
let any signed-in user fill the chain and hold the writer's lock). What it gives up: the open
minute's counts live in the process until they are written, so a crash loses at most one
minute of counts; and each API worker keeps its own tally, so with several workers one
(user, code, minute) may be a few entries whose counts add up. Unauthenticated noise (no key,
a wrong key) is never counted here: it has no user to hold to account, and the security log
and the sign-in throttle already record it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from karakoram.domain.access import Capability, Principal, require
from karakoram.services.context import NodeContext

KIND = "refusal.counted"
PREFIX = "refusal/"


@dataclass(frozen=True, slots=True)
class RefusalCount:
    """How many times `user` was refused with `code` in the minute starting at `minute`."""

    user: str
    code: str
    minute: datetime
    count: int

    @property
    def subject(self) -> str:
        return f"{PREFIX}{self.user}/{self.minute.strftime('%Y-%m-%dT%H:%MZ')}/{self.code}"


def _minute(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(second=0, microsecond=0)


class RefusalTally:
    """The open minutes' counts of one process (thread-safe)."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, datetime], int] = {}
        self._oldest: datetime | None = None

    def count(self, user: str, code: str) -> bool:
        """Count one refusal now; True when an earlier minute's counts wait to be written."""
        now = _minute(self._clock())
        with self._lock:
            key = (user, code, now)
            self._counts[key] = self._counts.get(key, 0) + 1
            if self._oldest is None or now < self._oldest:
                self._oldest = now
            return self._oldest < now

    def take(self, everything: bool = False) -> list[RefusalCount]:
        """Remove and return the counts of the minutes that are over (or of every minute)."""
        now = _minute(self._clock())
        with self._lock:
            done = [k for k in self._counts if everything or k[2] < now]
            taken = [RefusalCount(u, c, m, self._counts.pop((u, c, m))) for u, c, m in done]
            left = [k[2] for k in self._counts]
            self._oldest = min(left) if left else None
        return sorted(taken, key=lambda r: (r.minute, r.user, r.code))

    def put_back(self, counts: list[RefusalCount]) -> None:
        """Return counts whose writing failed, to be written with the next ones."""
        with self._lock:
            for r in counts:
                key = (r.user, r.code, r.minute)
                self._counts[key] = self._counts.get(key, 0) + r.count
                if self._oldest is None or r.minute < self._oldest:
                    self._oldest = r.minute


def flush(ctx: NodeContext, tally: RefusalTally, everything: bool = False) -> int:
    """Append the counts of the minutes that are over, one entry each, in one commit; how
    many entries. On failure the counts go back to the tally and the error is raised."""
    counts = tally.take(everything)
    if not counts:
        return 0
    try:
        with ctx.uow() as uow:
            for r in counts:
                data = {"code": r.code, "minute": r.minute.isoformat(), "count": r.count}
                uow.audit.record(KIND, r.subject, r.user, data)
            uow.commit()
    except BaseException:
        tally.put_back(counts)
        raise
    return len(counts)


@dataclass(frozen=True, slots=True)
class ListedRefusal:
    seq: int
    user: str
    code: str
    minute: str
    count: int


def list_refusals(
    ctx: NodeContext, principal: Principal, user: str | None = None
) -> list[ListedRefusal]:
    """The recorded refusal counts, oldest first, of every user or of `user` (supervisors
    and administrators: those who verify the audit log)."""
    require(principal, Capability.VERIFY_AUDIT)
    prefix = PREFIX if user is None else f"{PREFIX}{user}/"
    with ctx.uow() as uow:
        rows = uow.audit.with_prefix(prefix)
    return [r for row in rows for r in _read(row[0], row[2])]


def _read(seq: int, data: bytes) -> list[ListedRefusal]:
    changes = json.loads(data)["what"].get("changes", [])
    return [
        ListedRefusal(seq, c["by"], c["code"], c["minute"], int(c["count"]))
        for c in changes
        if c.get("kind") == KIND
    ]
