"""Web sessions and failed authentication attempts in the node's database, so that every
worker process sees the same sessions, revocations and locks at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from karakoram.adapters.db.tables import auth_attempts, web_sessions
from karakoram.services.auth_records import AttemptRecord, SessionRecord


class SqlAuthRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_session(self, session: SessionRecord) -> None:
        self._conn.execute(
            insert(web_sessions),
            {
                "digest": session.digest,
                "user_id": session.user_id,
                "method": session.method,
                "stamp": session.stamp,
                "key_id": session.key_id,
                "created_at": session.created_at,
                "last_seen_at": session.last_seen_at,
            },
        )

    def session(self, digest: str) -> SessionRecord | None:
        row = self._conn.execute(select(web_sessions).where(web_sessions.c.digest == digest))
        found = row.first()
        return SessionRecord(**found._mapping) if found else None

    def touch_session(self, digest: str, at: datetime) -> None:
        self._conn.execute(
            update(web_sessions).where(web_sessions.c.digest == digest).values(last_seen_at=at)
        )

    def delete_session(self, digest: str) -> None:
        self._conn.execute(delete(web_sessions).where(web_sessions.c.digest == digest))

    def delete_sessions_of(self, user_id: int) -> int:
        done = self._conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id))
        return done.rowcount

    def delete_expired_sessions(self, seen_before: datetime, created_before: datetime) -> int:
        done = self._conn.execute(
            delete(web_sessions).where(
                (web_sessions.c.last_seen_at < seen_before)
                | (web_sessions.c.created_at < created_before)
            )
        )
        return done.rowcount

    def attempts(self, scopes: Sequence[str]) -> list[AttemptRecord]:
        query = select(auth_attempts).where(auth_attempts.c.scope.in_(list(scopes)))
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return [AttemptRecord(**r._mapping) for r in self._conn.execute(query)]

    def save_attempt(self, attempt: AttemptRecord) -> None:
        values = {
            "failures": attempt.failures,
            "last_failure_at": attempt.last_failure_at,
            "locked_until": attempt.locked_until,
        }
        dialect: Any = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(auth_attempts).values(scope=attempt.scope, **values)
        self._conn.execute(statement.on_conflict_do_update(index_elements=["scope"], set_=values))

    def clear_attempts(self, scopes: Sequence[str]) -> int:
        done = self._conn.execute(
            delete(auth_attempts).where(auth_attempts.c.scope.in_(list(scopes)))
        )
        return done.rowcount
