"""The meetings half of the expo's unit of work: availability, meeting requests and the
scheduled meetings with their minutes. Every time is stored in UTC."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from karakoram.expo.adapters import tables as t
from karakoram.expo.services.records import (
    Availability,
    DuplicateRequest,
    Meeting,
    MeetingRequestRecord,
    RequestStatus,
)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _request(r: Any) -> MeetingRequestRecord:
    return MeetingRequestRecord(
        r.id,
        r.suggestion_id,
        r.requester_id,
        r.counterpart_id,
        r.score,
        RequestStatus(r.status),
        _utc(r.created_at),
    )


class MeetingStore:
    conn: Connection

    def set_availability(self, a: Availability, at: datetime) -> None:
        windows = [[s.isoformat(), e.isoformat()] for s, e in a.windows]
        values = {"zone": a.zone, "windows": windows, "updated_at": at}
        c = t.availability.c
        where = c.participant_id == a.participant_id
        if self.conn.execute(select(c.participant_id).where(where)).first() is None:
            self.conn.execute(
                insert(t.availability).values(participant_id=a.participant_id, **values)
            )
        else:
            self.conn.execute(update(t.availability).where(where).values(**values))

    def availabilities(self, participant_ids: Sequence[int] | None = None) -> list[Availability]:
        query = select(t.availability)
        if participant_ids is not None:
            query = query.where(t.availability.c.participant_id.in_(list(participant_ids)))
        return [
            Availability(
                r.participant_id,
                r.zone,
                [(datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in r.windows],
            )
            for r in self.conn.execute(query)
        ]

    def add_meeting_request(self, r: MeetingRequestRecord) -> MeetingRequestRecord:
        try:
            with self.conn.begin_nested():
                new_id = self.conn.execute(
                    insert(t.meeting_requests)
                    .values(
                        suggestion_id=r.suggestion_id,
                        requester_id=r.requester_id,
                        counterpart_id=r.counterpart_id,
                        score=r.score,
                        status=r.status.value,
                        created_at=r.created_at,
                    )
                    .returning(t.meeting_requests.c.id)
                ).scalar_one()
        except IntegrityError as exc:
            raise DuplicateRequest(r.suggestion_id) from exc
        found = self.meeting_request(new_id)
        assert found is not None
        return found

    def meeting_request(self, request_id: int) -> MeetingRequestRecord | None:
        c = t.meeting_requests.c
        r = self.conn.execute(select(t.meeting_requests).where(c.id == request_id)).first()
        return None if r is None else _request(r)

    def meeting_request_on(self, suggestion_id: int) -> MeetingRequestRecord | None:
        c = t.meeting_requests.c
        r = self.conn.execute(select(t.meeting_requests).where(c.suggestion_id == suggestion_id))
        row = r.first()
        return None if row is None else _request(row)

    def meeting_requests_of(self, participant_id: int) -> list[MeetingRequestRecord]:
        c = t.meeting_requests.c
        who = (c.requester_id == participant_id) | (c.counterpart_id == participant_id)
        rows = self.conn.execute(select(t.meeting_requests).where(who).order_by(c.id))
        return [_request(r) for r in rows]

    def answer_meeting_request(self, request_id: int, status: RequestStatus, at: datetime) -> None:
        c = t.meeting_requests.c
        self.conn.execute(
            update(t.meeting_requests)
            .where(c.id == request_id)
            .values(status=status.value, answered_at=at)
        )

    def unscheduled_requests(self) -> list[MeetingRequestRecord]:
        c = t.meeting_requests.c
        held = select(t.meetings.c.request_id)
        rows = self.conn.execute(
            select(t.meeting_requests)
            .where((c.status == RequestStatus.ACCEPTED.value) & c.id.not_in(held))
            .order_by(c.id)
        )
        return [_request(r) for r in rows]

    def add_meetings(self, rows: Sequence[tuple[int, datetime, datetime]], at: datetime) -> int:
        values = [
            {"request_id": rid, "starts_at": s, "ends_at": e, "minutes": "", "scheduled_at": at}
            for rid, s, e in rows
        ]
        if values:
            self.conn.execute(insert(t.meetings), values)
        return len(values)

    def _meetings(self, where: Any) -> list[Meeting]:
        m, r = t.meetings.c, t.meeting_requests.c
        query = (
            select(
                m.id,
                m.request_id,
                r.requester_id,
                r.counterpart_id,
                m.starts_at,
                m.ends_at,
                r.score,
                m.minutes,
            )
            .join_from(t.meetings, t.meeting_requests, m.request_id == r.id)
            .where(where)
            .order_by(m.starts_at, m.id)
        )
        return [
            Meeting(
                x.id,
                x.request_id,
                x.requester_id,
                x.counterpart_id,
                _utc(x.starts_at),
                _utc(x.ends_at),
                x.score,
                x.minutes,
            )
            for x in self.conn.execute(query)
        ]

    def meetings(self) -> list[Meeting]:
        return self._meetings(t.meetings.c.id.is_not(None))

    def meetings_of(self, participant_id: int) -> list[Meeting]:
        r = t.meeting_requests.c
        return self._meetings(
            (r.requester_id == participant_id) | (r.counterpart_id == participant_id)
        )

    def meeting(self, meeting_id: int) -> Meeting | None:
        found = self._meetings(t.meetings.c.id == meeting_id)
        return found[0] if found else None

    def set_minutes(self, meeting_id: int, text: str, at: datetime) -> None:
        c = t.meetings.c
        self.conn.execute(
            update(t.meetings).where(c.id == meeting_id).values(minutes=text, minutes_at=at)
        )
