"""The organiser's half of the expo's unit of work: who joined which meeting's room (the first
time), and the plain facts the organiser's figures are tallied from."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, exists, func, insert, select
from sqlalchemy.exc import IntegrityError

from karakoram.expo.adapters import tables as t
from karakoram.expo.domain.organiser import MatchFact, ParticipantFact


class OrganiserStore:
    conn: Connection

    def record_join(self, meeting_id: int, participant_id: int, at: datetime) -> None:
        """Keep the first time `participant_id` joined the meeting's room; later joins change
        nothing."""
        j = t.room_joins.c
        where = (j.meeting_id == meeting_id) & (j.participant_id == participant_id)
        if self.conn.execute(select(j.meeting_id).where(where)).first() is not None:
            return
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.room_joins).values(
                        meeting_id=meeting_id, participant_id=participant_id, joined_at=at
                    )
                )
        except IntegrityError:
            return  # a second socket of the same participant recorded it first

    def participant_facts(self) -> list[ParticipantFact]:
        p, x = t.participants.c, t.listings.c

        offers = exists().where((x.participant_id == p.id) & (x.side == "offer"))
        seeks = exists().where((x.participant_id == p.id) & (x.side == "seek"))
        rows = self.conn.execute(select(p.country, offers, seeks))
        return [ParticipantFact(r[0], bool(r[1]), bool(r[2])) for r in rows]

    def match_facts(self) -> list[MatchFact]:
        s, x, r, m = t.suggestions.c, t.listings.c, t.meeting_requests.c, t.meetings.c
        j = t.room_joins.c
        ex, buyer = t.participants.alias("ex"), t.participants.alias("buyer")
        joins = select(j.meeting_id, func.count().label("n")).group_by(j.meeting_id).subquery("j")
        query = (
            select(
                x.hs_code,
                ex.c.country,
                buyer.c.country,
                s.exhibitor_response,
                s.buyer_response,
                m.ends_at,
                joins.c.n,
            )
            .select_from(t.suggestions)
            .join(t.listings, x.id == s.offer_id)
            .join(ex, ex.c.id == s.exhibitor_id)
            .join(buyer, buyer.c.id == s.buyer_id)
            .outerjoin(t.meeting_requests, r.suggestion_id == s.id)
            .outerjoin(t.meetings, m.request_id == r.id)
            .outerjoin(joins, joins.c.meeting_id == m.id)
        )
        agreed = {"accepted", "meeting_requested"}
        found = []
        for hs, ec, bc, er, br, ends, n in self.conn.execute(query):
            if ends is not None and ends.tzinfo is None:
                ends = ends.replace(tzinfo=UTC)  # SQLite gives UTC back naive
            found.append(MatchFact(hs[:2], ec, bc, er in agreed and br in agreed, ends, n or 0))
        return found
