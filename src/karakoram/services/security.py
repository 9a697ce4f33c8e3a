"""What authentication needs from the node: its keys, its limits, a real-time clock and the
security log.

Every authentication event and administrative change on users goes to the logger
`karakoram.security` as one record whose message is the event's name and whose `security`
attribute holds its fields (who, from where, the outcome), so a handler can write it as JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SECURITY_LOGGER = "karakoram.security"
_log = logging.getLogger(SECURITY_LOGGER)


def security_event(event: str, **fields: object) -> None:
    """Log one security event (its name and fields) to `karakoram.security`: failures and
    locks as warnings, the rest as information."""
    record = {"event": event, **{k: v for k, v in fields.items() if v is not None}}
    level = logging.WARNING if event in _WARNINGS else logging.INFO
    _log.log(level, event, extra={"security": record})


_WARNINGS = frozenset({"sign_in_failed", "key_refused", "locked", "attempt_throttled"})


def real_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Limits:
    """Session timeouts and sign-in limits (see the settings of the same names)."""

    session_idle: timedelta = timedelta(minutes=30)
    session_absolute: timedelta = timedelta(hours=12)
    account_lock_failures: int = 5
    account_lock: timedelta = timedelta(minutes=15)
    address_lock_failures: int = 20
    address_lock: timedelta = timedelta(hours=1)
    #: failures that cost nothing (a typo or two); after them, the next attempt of the same
    #: account or key waits `first_delay`, doubling with each failure up to `max_delay`
    free_failures: int = 3
    #: the same for a client address, which many users may share
    free_address_failures: int = 10
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class SecurityConfig:
    """Keys and limits of authentication. `now` is real time, even on a node whose business
    clock is simulated: timeouts and locks are about people, not the simulated day."""

    session_key: bytes
    api_key_key: bytes
    limits: Limits = Limits()
    now: Callable[[], datetime] = real_now

    def session_digest(self, session_id: str) -> str:
        """How a session id is stored: a database copy does not reveal live sessions."""
        return _mac(self.session_key, b"session:" + session_id.encode())

    def key_digest(self, secret: str) -> str:
        """How an API key's secret is stored: HMAC-SHA-256 under the server key."""
        return _mac(self.api_key_key, b"api-key:" + secret.encode())


def _mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()
