"""Joint inspections as stored: one row per proposal, the record and both signatures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from karakoram.adapters.db.tables import joint_inspections
from karakoram.domain.joint_inspection import JointInspection, JointStatus

_j = joint_inspections.c


class SqlJointRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, j: JointInspection, at: datetime) -> bool:
        """Store a new proposal; False when its id is stored already (a repeat)."""
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(joint_inspections).values(_row(j, at)))
        except IntegrityError:
            return False
        return True

    def update(self, j: JointInspection, at: datetime) -> None:
        row = _row(j, at)
        self._conn.execute(
            update(joint_inspections).where(_j.proposal_id == j.proposal_id).values(row)
        )

    def get(self, proposal_id: str) -> JointInspection | None:
        found = self._conn.execute(
            select(joint_inspections).where(_j.proposal_id == proposal_id)
        ).one_or_none()
        return None if found is None else _joint(found._mapping)

    def of_ucr(self, ucr: str) -> list[JointInspection]:
        rows = self._conn.execute(
            select(joint_inspections).where(_j.ucr == ucr).order_by(_j.id)
        ).all()
        return [_joint(r._mapping) for r in rows]


def _row(j: JointInspection, at: datetime) -> dict[str, Any]:
    return {
        "proposal_id": j.proposal_id,
        "ucr": j.ucr,
        "mrn": j.mrn,
        "proposed_by": j.proposed_by,
        "partner": j.partner,
        "at": j.at,
        "status": j.status.value,
        "note": j.note,
        "record": j.record,
        "signatures": j.signatures,
        "updated_at": at,
    }


def _joint(r: Any) -> JointInspection:
    return JointInspection(
        r["proposal_id"],
        r["ucr"],
        r["proposed_by"],
        r["partner"],
        r["at"],
        JointStatus(r["status"]),
        r["mrn"],
        r["note"],
        r["record"],
        dict(r["signatures"]),
    )
