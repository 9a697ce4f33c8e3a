"""Cargo reports and the consignments on them (docs/gate.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from karakoram.adapters.db.tables import cargo_consignments, cargo_reports
from karakoram.domain.declaration.model import plain_decimal
from karakoram.domain.gate.cargo_report import report_from_dict, report_to_dict
from karakoram.domain.gate.truck import TruckStatus
from karakoram.services.gate.records import CargoReportRecord

_r = cargo_reports.c
_c = cargo_consignments.c
_COLUMNS = (
    _r.id,
    _r.carrier,
    _r.document,
    _r.status,
    _r.digest,
    _r.lodged_by,
    _r.lodged_at,
    _r.updated_at,
    _r.version,
)


def _record(row: Any) -> CargoReportRecord:
    return CargoReportRecord(
        row.carrier,
        report_from_dict(row.document),
        TruckStatus(row.status),
        row.digest,
        row.lodged_by,
        row.lodged_at,
        row.updated_at,
        row.version,
        row.id,
    )


class SqlCargoRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, record: CargoReportRecord) -> CargoReportRecord | None:
        """Store a new report; None when the carrier's reference exists already (a concurrent
        lodgement won: the caller reads that one)."""
        report = record.report
        row = {
            "carrier": record.carrier,
            "reference": report.reference,
            "direction": report.direction.value,
            "crossing": report.crossing,
            "registration": report.vehicle.registration,
            "status": record.status.value,
            "digest": record.digest,
            "document": report_to_dict(report),
            "version": record.version,
            "lodged_by": record.lodged_by,
            "lodged_at": record.lodged_at,
            "updated_at": record.updated_at,
        }
        try:
            with self._conn.begin_nested():
                key = self._conn.execute(insert(cargo_reports).values(row)).inserted_primary_key
        except IntegrityError:
            return None
        assert key is not None
        report_id = int(key[0])
        self._conn.execute(
            insert(cargo_consignments),
            [
                {
                    "report_id": report_id,
                    "ucr": c.ucr,
                    "packages": c.packages,
                    "gross_mass": plain_decimal(c.gross_mass),
                }
                for c in report.consignments
            ],
        )
        return CargoReportRecord(
            record.carrier,
            report,
            record.status,
            record.digest,
            record.lodged_by,
            record.lodged_at,
            record.updated_at,
            record.version,
            report_id,
        )

    def get(self, report_id: int) -> CargoReportRecord | None:
        row = self._conn.execute(select(*_COLUMNS).where(_r.id == report_id)).one_or_none()
        return None if row is None else _record(row)

    def by_reference(self, carrier: str, reference: str) -> CargoReportRecord | None:
        query = select(*_COLUMNS).where(_r.carrier == carrier, _r.reference == reference)
        row = self._conn.execute(query).one_or_none()
        return None if row is None else _record(row)

    def carrying(self, ucr: str) -> list[CargoReportRecord]:
        """The reports that list consignment `ucr`, oldest first."""
        query = (
            select(*_COLUMNS)
            .join(cargo_consignments, _c.report_id == _r.id)
            .where(_c.ucr == ucr)
            .order_by(_r.id)
        )
        return [_record(row) for row in self._conn.execute(query)]
