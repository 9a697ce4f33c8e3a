"""Traders' review requests on the unit of work's connection (their events are the audited
record: see services/reviews.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from karakoram.adapters.db.tables import review_requests
from karakoram.services.reviews import ReviewRequest

_r = review_requests.c


def _request(row: Any) -> ReviewRequest:
    return ReviewRequest(
        row.id,
        row.mrn,
        row.party,
        row.asked_by,
        row.asked_at,
        row.question,
        row.answered_by,
        row.answered_at,
        row.answer,
    )


class SqlReviewRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, request: ReviewRequest) -> ReviewRequest:
        new_id = self._conn.execute(
            insert(review_requests)
            .values(
                mrn=request.mrn,
                party=request.party,
                asked_by=request.asked_by,
                asked_at=request.asked_at,
                question=request.question,
            )
            .returning(_r.id)
        ).scalar_one()
        return ReviewRequest(
            new_id, request.mrn, request.party, request.asked_by, request.asked_at, request.question
        )

    def get(self, request_id: int) -> ReviewRequest | None:
        row = self._conn.execute(select(review_requests).where(_r.id == request_id)).first()
        return None if row is None else _request(row)

    def of_declarations(self, mrns: list[str]) -> list[ReviewRequest]:
        query = select(review_requests).where(_r.mrn.in_(mrns)).order_by(_r.id)
        return [_request(r) for r in self._conn.execute(query)]

    def pending(self, limit: int) -> list[ReviewRequest]:
        query = (
            select(review_requests)
            .where(_r.answered_at.is_(None))
            .order_by(_r.asked_at.desc(), _r.id.desc())
            .limit(limit)
        )
        return [_request(r) for r in self._conn.execute(query)]

    def answer(self, request: ReviewRequest) -> bool:
        done = self._conn.execute(
            update(review_requests)
            .where(_r.id == request.id, _r.answered_at.is_(None))
            .values(
                answered_by=request.answered_by,
                answered_at=request.answered_at,
                answer=request.answer,
            )
        )
        return done.rowcount == 1
