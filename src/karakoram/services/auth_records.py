"""The plain records of authentication's storage: web sessions and failed attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A web session as stored: the digest of its id, whose it is and how it signed in."""

    digest: str
    user_id: int
    #: "password" or "key"
    method: str
    #: the user's session stamp at sign-in (a new password or a revocation raises it)
    stamp: int
    #: the key id a key session signed in with (a new key ends the session)
    key_id: str | None
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """Failed attempts of one scope: an account, a client address or a key id."""

    scope: str
    failures: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None
