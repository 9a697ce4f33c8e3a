"""Pre-arrival checks of imports assessed while the partner was down (docs/gate.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from karakoram.adapters.db.audit_log import SqlAuditLog
from karakoram.adapters.db.tables import pre_arrival_checks
from karakoram.domain.gate.pre_arrival import CheckStatus, PreArrivalCheck

_p = pre_arrival_checks.c
#: built once: every received pre-arrival message asks it, and building it cost more than running it
_PENDING = (
    select(pre_arrival_checks)
    .where(_p.ucr == bindparam("ucr"), _p.status == CheckStatus.PENDING.value)
    .order_by(_p.id)
)
#: the same for the UCRs of a received batch at once
_PENDING_MANY = (
    select(pre_arrival_checks)
    .where(_p.ucr.in_(bindparam("ucrs", expanding=True)), _p.status == CheckStatus.PENDING.value)
    .order_by(_p.id)
)


def _check(row: Any) -> PreArrivalCheck:
    return PreArrivalCheck(
        row.mrn,
        row.ucr,
        row.partner_country,
        row.opened_at,
        CheckStatus(row.status),
        row.checked_at,
        tuple(row.findings),
        row.message_id,
        row.id,
    )


class SqlPreArrivalChecks:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def open(self, check: PreArrivalCheck) -> bool:
        """Open a check for an import; False when it has one already (assessed again)."""
        row = {
            "mrn": check.mrn,
            "ucr": check.ucr,
            "partner_country": check.partner_country,
            "status": check.status.value,
            "opened_at": check.opened_at,
            "findings": list(check.findings),
        }
        try:
            with self._conn.begin_nested():
                self._conn.execute(insert(pre_arrival_checks).values(row))
        except IntegrityError:
            return False
        return True

    def pending(self, ucr: str) -> list[PreArrivalCheck]:
        return [_check(r) for r in self._conn.execute(_PENDING, {"ucr": ucr})]

    def pending_many(self, ucrs: Sequence[str]) -> dict[str, list[PreArrivalCheck]]:
        """`pending` of each of `ucrs` that has a pending check, in one query."""
        found: dict[str, list[PreArrivalCheck]] = {}
        unique = sorted(set(ucrs))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            for row in self._conn.execute(_PENDING_MANY, {"ucrs": chunk}):
                found.setdefault(row.ucr, []).append(_check(row))
        return found

    def settle(self, check: PreArrivalCheck) -> bool:
        """Store a pending check's outcome; False when another delivery settled it first."""
        done = self._conn.execute(
            update(pre_arrival_checks)
            .where(_p.id == check.id, _p.status == CheckStatus.PENDING.value)
            .values(
                status=check.status.value,
                checked_at=check.checked_at,
                findings=list(check.findings),
                message_id=check.message_id,
            )
        )
        return done.rowcount == 1

    def listed(self, status: CheckStatus | None, limit: int) -> list[PreArrivalCheck]:
        """The latest checks first, of one status or all."""
        query = select(pre_arrival_checks).order_by(_p.id.desc()).limit(limit)
        if status is not None:
            query = query.where(_p.status == status.value)
        return [_check(r) for r in self._conn.execute(query)]

    def of(self, mrn: str) -> PreArrivalCheck | None:
        row = self._conn.execute(select(pre_arrival_checks).where(_p.mrn == mrn)).one_or_none()
        return None if row is None else _check(row)


class AuditedPreArrivalChecks(SqlPreArrivalChecks):
    """Opening a check and its outcome (a post-clearance review raised) are in the audit chain."""

    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit

    def open(self, check: PreArrivalCheck) -> bool:
        opened = super().open(check)
        if opened:
            data = {"ucr": check.ucr, "partner": check.partner_country}
            data["at"] = check.opened_at.isoformat()
            self._audit.record("pre_arrival.pending", check.mrn, "system", data)
        return opened

    def settle(self, check: PreArrivalCheck) -> bool:
        settled = super().settle(check)
        if settled:
            data: dict[str, Any] = {"findings": list(check.findings), "message": check.message_id}
            data["at"] = None if check.checked_at is None else check.checked_at.isoformat()
            self._audit.record(f"pre_arrival.{check.status.value}", check.mrn, "system", data)
        return settled
