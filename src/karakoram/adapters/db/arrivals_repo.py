"""Arrivals of trucks at the border office, one per consignment and office."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from karakoram.adapters.db.tables import arrivals
from karakoram.services.records import ArrivalRecord

_a = arrivals.c


class SqlArrivalRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, arrival: ArrivalRecord) -> ArrivalRecord | None:
        row = {
            "ucr": arrival.ucr,
            "office": arrival.office,
            "at": arrival.at,
            "recorded_by": arrival.recorded_by,
        }
        # a savepoint, so that losing a race to a concurrent insert keeps the transaction usable
        try:
            with self._conn.begin_nested():
                new_id = self._conn.execute(insert(arrivals).values(row)).inserted_primary_key
        except IntegrityError:
            return None
        assert new_id is not None
        return ArrivalRecord(
            arrival.ucr, arrival.office, arrival.at, arrival.recorded_by, new_id[0]
        )

    def get(self, ucr: str, office: str) -> ArrivalRecord | None:
        row = self._conn.execute(
            select(_a.id, _a.ucr, _a.office, _a.at, _a.recorded_by).where(
                _a.ucr == ucr, _a.office == office
            )
        ).one_or_none()
        if row is None:
            return None
        return ArrivalRecord(row.ucr, row.office, row.at, row.recorded_by, row.id)
