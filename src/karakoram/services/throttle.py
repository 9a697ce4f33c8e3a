"""Failed sign-ins and key checks slow down and lock whoever repeats them.

Attempts are counted per scope: the account named ("account:NAME", whether or not it exists,
so the answer never tells), the client address ("address:IP") and the key id ("key:ID"). After
a few free failures (3 per account or key, 10 per address) the scope waits before its next
attempt (1 s, doubling, at most 30 s); at
`account_lock_failures` an account is locked for `account_lock` (minutes: nobody can lock an
officer out for long by guessing, and an administrator lifts it with `karakoram users unlock`);
at `address_lock_failures` the address is locked for `address_lock`. The counts live in the
database (`auth_attempts`), so every worker shares them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from karakoram.domain.errors import AuthenticationFailed
from karakoram.services.auth_records import AttemptRecord
from karakoram.services.context import NodeContext
from karakoram.services.ports import UnitOfWork
from karakoram.services.security import Limits, SecurityConfig, security_event


class TooManyAttempts(AuthenticationFailed):
    """Too many failed attempts from this account, address or key: wait before the next one.

    `retry_after` is whole seconds, rounded up, so that a client which waits that long (the
    HTTP answer's `Retry-After`) is never refused again for the same wait."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(
            f"Too many failed attempts; try again in {self.retry_after} seconds, or ask an "
            "administrator."
        )


def security(ctx: NodeContext) -> SecurityConfig:
    """The node's authentication keys and limits (bootstrap sets them)."""
    if ctx.security is None:
        raise RuntimeError("The node context has no security configuration (see bootstrap).")
    return ctx.security


def account_scope(name: str) -> str:
    return f"account:{name.strip().casefold()}"[:200]


def address_scope(address: str | None) -> str | None:
    return f"address:{address}"[:200] if address else None


def key_scope(key_id: str) -> str:
    return f"key:{key_id}"[:200]


def _lock_of(scope: str, limits: Limits) -> tuple[int | None, timedelta]:
    """How many failures lock the scope (None: never, only slowed) and for how long. A key id
    is only slowed: its secret has 256 bits, so a lock would only let a guesser shut its
    owner out."""
    if scope.startswith("address:"):
        return limits.address_lock_failures, limits.address_lock
    if scope.startswith("key:"):
        return None, limits.account_lock
    return limits.account_lock_failures, limits.account_lock


def _wait(attempt: AttemptRecord, limits: Limits, now: datetime) -> float:
    """Seconds `attempt`'s scope must still wait (0: it may try now)."""
    if attempt.locked_until is not None and attempt.locked_until > now:
        return (attempt.locked_until - now).total_seconds()
    free = (
        limits.free_address_failures
        if attempt.scope.startswith("address:")
        else limits.free_failures
    )
    if attempt.last_failure_at is None or attempt.failures < free:
        return 0
    delay = min(limits.first_delay * 2 ** (attempt.failures - free), limits.max_delay)
    remaining: float = (attempt.last_failure_at + delay - now).total_seconds()
    return max(0.0, remaining)


def check(uow: UnitOfWork, scopes: Sequence[str], sec: SecurityConfig) -> None:
    """Refuse the attempt at once when one of its scopes is locked or must still wait."""
    now = sec.now()
    waits = [_wait(a, sec.limits, now) for a in uow.auth.attempts(scopes)]
    longest = max(waits, default=0)
    if longest > 0:
        security_event("attempt_throttled", scopes=list(scopes), retry_after=round(longest))
        raise TooManyAttempts(longest)


def record_failure(ctx: NodeContext, scopes: Sequence[str]) -> None:
    """Count a failure against each scope, locking those that reached their limit."""
    sec = security(ctx)
    now = sec.now()
    with ctx.uow() as uow:
        stored = {a.scope: a for a in uow.auth.attempts(scopes)}
        for scope in scopes:
            limit, lock = _lock_of(scope, sec.limits)
            attempt = stored.get(scope, AttemptRecord(scope))
            if attempt.last_failure_at is not None and now - attempt.last_failure_at > lock:
                attempt = AttemptRecord(scope)  # an old run of failures is forgotten
            failures = attempt.failures + 1
            reached = limit is not None and failures >= limit
            locked = now + lock if reached else attempt.locked_until
            uow.auth.save_attempt(
                replace(attempt, failures=failures, last_failure_at=now, locked_until=locked)
            )
            if failures == limit:
                security_event("locked", scope=scope, until=locked.isoformat() if locked else None)
        uow.commit()


def clear(ctx: NodeContext, scopes: Sequence[str]) -> int:
    """Forget the failures of `scopes` (a successful sign-in, or an administrator's unlock)."""
    with ctx.uow() as uow:
        cleared = uow.auth.clear_attempts(scopes)
        uow.commit()
    return cleared
