"""Cargo reports the partner's node sent: trucks coming to this side (docs/gate.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from karakoram.adapters.db.audit_log import SqlAuditLog
from karakoram.adapters.db.tables import partner_cargo_reports, partner_cargo_ucrs
from karakoram.domain.gate.cargo_report import report_from_dict, report_to_dict
from karakoram.services.records import PartnerCargoReport

_r = partner_cargo_reports.c
_u = partner_cargo_ucrs.c


def _record(row: Any) -> PartnerCargoReport:
    return PartnerCargoReport(
        row.sender,
        row.message_id,
        row.carrier,
        report_from_dict(row.document),
        row.lodged_at,
        row.received_at,
        row.id,
    )


class SqlPartnerCargo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, record: PartnerCargoReport) -> bool:
        """Keep a partner's report; False when its message was kept already."""
        report = record.report
        row = {
            "sender": record.sender,
            "message_id": record.message_id,
            "carrier": record.carrier,
            "reference": report.reference,
            "registration": report.vehicle.registration,
            "document": report_to_dict(report),
            "lodged_at": record.lodged_at,
            "received_at": record.received_at,
        }
        try:
            with self._conn.begin_nested():
                key = self._conn.execute(insert(partner_cargo_reports).values(row))
        except IntegrityError:
            return False
        assert key.inserted_primary_key is not None
        report_id = int(key.inserted_primary_key[0])
        ucrs = sorted({c.ucr for c in report.consignments})
        self._conn.execute(
            insert(partner_cargo_ucrs), [{"report_id": report_id, "ucr": u} for u in ucrs]
        )
        return True

    def carrying(self, ucr: str) -> list[PartnerCargoReport]:
        """The partner's reports that list `ucr`, oldest first."""
        query = (
            select(partner_cargo_reports)
            .join(partner_cargo_ucrs, _u.report_id == _r.id)
            .where(_u.ucr == ucr)
            .order_by(_r.id)
        )
        return [_record(r) for r in self._conn.execute(query)]

    def latest(self, limit: int) -> list[PartnerCargoReport]:
        query = select(partner_cargo_reports).order_by(_r.id.desc()).limit(limit)
        return [_record(r) for r in self._conn.execute(query)]


class AuditedPartnerCargo(SqlPartnerCargo):
    def __init__(self, conn: Connection, audit: SqlAuditLog) -> None:
        super().__init__(conn)
        self._audit = audit

    def add(self, record: PartnerCargoReport) -> bool:
        kept = super().add(record)
        if kept:
            subject = f"partner_cargo/{record.sender}/{record.carrier}/{record.report.reference}"
            data = {"message": record.message_id, "at": record.received_at.isoformat()}
            self._audit.record("partner_cargo.received", subject, record.sender, data)
        return kept
