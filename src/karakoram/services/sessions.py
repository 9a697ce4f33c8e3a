"""Server-side web sessions.

A session is a random 128-bit id, given to the browser in its cookie and stored only as an HMAC
under the node's session secret (`SecurityConfig.session_digest`). Its record binds it to the
user and to how they signed in: a password session to the user's session stamp (a new password
or a revocation raises it) and to the user still having a password; a key session to the key id
(a new key ends it). A session ends at sign-out (the record is deleted, so a captured cookie
stops working), when unused for `session_idle`, and `session_absolute` after sign-in.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from karakoram.domain.access import Principal, Role
from karakoram.services.auth_records import SessionRecord
from karakoram.services.context import NodeContext
from karakoram.services.records import UserRecord
from karakoram.services.security import security_event
from karakoram.services.throttle import security

PASSWORD = "password"  # noqa: S105 (a sign-in method, not a password)
KEY = "key"
#: 16 random bytes: the 128 bits of a session id
SESSION_ID_BYTES = 16
#: the last-seen time is written at most this often (the idle timeout's precision)
TOUCH_EVERY = timedelta(minutes=1)


def start_session(ctx: NodeContext, user: UserRecord, method: str) -> str:
    """A new session for `user`, signed in by `method`; returns its id (for the cookie)."""
    sec = security(ctx)
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    now = sec.now()
    record = SessionRecord(
        sec.session_digest(session_id),
        user.id,
        method,
        user.session_stamp,
        user.key_id if method == KEY else None,
        now,
        now,
    )
    with ctx.uow() as uow:
        # sessions abandoned without sign-out are swept here, not by a worker of their own
        uow.auth.delete_expired_sessions(
            now - sec.limits.session_idle, now - sec.limits.session_absolute
        )
        uow.auth.add_session(record)
        uow.commit()
    security_event("session_started", user=user.name, method=method)
    return session_id


def _still_valid(record: SessionRecord, user: UserRecord | None) -> bool:
    if user is None or not user.active:
        return False
    if record.method == PASSWORD:
        return user.session_stamp == record.stamp and user.password_hash is not None
    return record.method == KEY and user.key_id == record.key_id


def session_principal(ctx: NodeContext, session_id: str | None) -> Principal | None:
    """Who the session `session_id` belongs to; None (and the record deleted) once it ended."""
    if not session_id:
        return None
    sec = security(ctx)
    digest, now = sec.session_digest(session_id), sec.now()
    with ctx.uow() as uow:
        record = uow.auth.session(digest)
        if record is None:
            return None
        user = uow.users.by_id(record.user_id)
        idle = now - record.last_seen_at > sec.limits.session_idle
        old = now - record.created_at > sec.limits.session_absolute
        if idle or old or not _still_valid(record, user):
            uow.auth.delete_session(digest)
            uow.commit()
            reason = "idle" if idle else "absolute" if old else "credentials_changed"
            security_event("session_expired", user_id=record.user_id, reason=reason)
            return None
        if now - record.last_seen_at >= TOUCH_EVERY:
            uow.auth.touch_session(digest, now)
            uow.commit()
    assert user is not None
    return Principal(user.id, user.name, Role(user.role), user.party)


def renew_session(ctx: NodeContext, session_id: str | None, user: UserRecord) -> str:
    """End `session_id` and start a password session for `user` (administrators who change
    their own password stay signed in where they did it, nowhere else)."""
    end_session(ctx, session_id)
    return start_session(ctx, user, PASSWORD)


def end_session(ctx: NodeContext, session_id: str | None) -> None:
    """Sign out: delete the session's record, so its cookie no longer works anywhere."""
    if not session_id:
        return
    digest = security(ctx).session_digest(session_id)
    with ctx.uow() as uow:
        record = uow.auth.session(digest)
        uow.auth.delete_session(digest)
        uow.commit()
    if record is not None:
        security_event("signed_out", user_id=record.user_id)
