"""The conference programme's half of the expo's unit of work."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from karakoram.expo.adapters import tables as t
from karakoram.expo.domain.sfu import ConferenceSession


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _session(r: Any) -> ConferenceSession:
    return ConferenceSession(
        r.id, r.slug, r.title, _utc(r.starts_at), _utc(r.ends_at), tuple(r.speakers)
    )


class ConferenceStore:
    conn: Connection

    def save_session(self, s: ConferenceSession) -> ConferenceSession:
        """Add the session, or replace the one of the same slug."""
        c = t.conference_sessions.c
        values = {
            "title": s.title, "starts_at": s.starts_at, "ends_at": s.ends_at,
            "speakers": list(s.speakers),
        }  # fmt: skip
        if self.conference_session(s.slug) is None:
            self.conn.execute(insert(t.conference_sessions).values(slug=s.slug, **values))
        else:
            self.conn.execute(
                update(t.conference_sessions).where(c.slug == s.slug).values(**values)
            )
        saved = self.conference_session(s.slug)
        assert saved is not None
        return saved

    def conference_session(self, slug: str) -> ConferenceSession | None:
        c = t.conference_sessions.c
        row = self.conn.execute(select(t.conference_sessions).where(c.slug == slug)).first()
        return None if row is None else _session(row)

    def conference_sessions(self) -> list[ConferenceSession]:
        c = t.conference_sessions.c
        rows = self.conn.execute(select(t.conference_sessions).order_by(c.starts_at, c.id))
        return [_session(r) for r in rows]
